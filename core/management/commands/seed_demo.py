"""Load realistic demo data. Idempotent: running it again changes nothing.

Each project app may have a ``demo`` module with ``seed(stdout, context)``; they run in
the order below and share ``context`` (e.g. the demo people by key).
"""

import importlib

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from core.cache import bump

DEMO_APPS = ["accounts", "consortia", "contributors", "forums", "events"]


class Command(BaseCommand):
    help = "Load demo data for development (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--quiet-accounts", action="store_true", help="Do not print the demo accounts."
        )

    @transaction.atomic
    def handle(self, *args, **options):
        context: dict = {}
        for app in DEMO_APPS:
            try:
                module = importlib.import_module(f"{app}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app}.demo":
                    raise
                continue
            if app == "accounts":
                context["people"] = module.seed(self.stdout)
            else:
                module.seed(self.stdout, context)
        # The demo writes some counters with QuerySet.update(), which sends no signal:
        # drop every cached fragment (core.cache).
        bump()
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        if not options["quiet_accounts"]:
            self.stdout.write("")
            self.stdout.write(
                "Demo accounts (development only), password: " + settings.DEMO_PASSWORD
            )
            for key, user in context["people"].items():
                self.stdout.write(f"  {key:<13} {user.email:<28} {user.name}")
