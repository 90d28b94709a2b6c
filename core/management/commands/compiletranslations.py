"""Compile locale/*/LC_MESSAGES/*.po to .mo with polib (no GNU gettext needed).

Compiled catalogs are not kept in git; `make run` and `make test` run this first. A .mo
file newer than its .po is left alone.
"""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile the .po translation catalogs to .mo (pure Python)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Recompile every catalog.")

    def handle(self, *args, force: bool = False, **options):
        compiled = 0
        for locale_dir in settings.LOCALE_PATHS:
            for po_path in sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po")):
                mo_path = po_path.with_suffix(".mo")
                if (
                    not force
                    and mo_path.exists()
                    and mo_path.stat().st_mtime >= po_path.stat().st_mtime
                ):
                    continue
                polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
                compiled += 1
        if options["verbosity"] > 0:
            self.stdout.write(f"Compiled {compiled} catalog(s).")
