"""Load realistic demo data. Idempotent: running it again changes nothing.

Each app's ``demo`` module has ``seed(stdout, context)``; they run in the order below and
share ``context`` (e.g. the demo people by key). The command lives in the project layer
because it is the one place that knows every app.
"""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import demo as accounts_demo
from consortia import demo as consortia_demo
from contributors import demo as contributors_demo
from events import demo as events_demo
from forums import demo as forums_demo

# After accounts (the people), in the order each needs the one before.
DEMO_MODULES = [consortia_demo, contributors_demo, forums_demo, events_demo]


class Command(BaseCommand):
    help = "Load demo data for development (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--quiet-accounts", action="store_true", help="Do not print the demo accounts."
        )

    @transaction.atomic
    def handle(self, *args, **options):
        context: dict = {"people": accounts_demo.seed(self.stdout)}
        for module in DEMO_MODULES:
            module.seed(self.stdout, context)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        if not options["quiet_accounts"]:
            self.stdout.write("")
            self.stdout.write(
                "Demo accounts (development only), password: " + settings.DEMO_PASSWORD
            )
            for key, user in context["people"].items():
                self.stdout.write(f"  {key:<13} {user.email:<28} {user.name}")
