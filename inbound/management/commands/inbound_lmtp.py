"""Run the mail gateway: ``python manage.py inbound_lmtp`` (``bin/stack inbound``)."""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from inbound.lmtp import LMTPController


class Command(BaseCommand):
    help = "Receive the list domain's mail over LMTP (replies and new topics by mail)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=settings.INBOUND_LMTP_HOST)
        parser.add_argument("--port", type=int, default=settings.INBOUND_LMTP_PORT)

    def handle(self, *args, host, port, **options):
        controller = LMTPController(host=host, port=port)
        controller.start()
        self.stdout.write(f"LMTP gateway listening on {host}:{port}", ending="\n")
        self.stdout.flush()
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        stop.wait()
        controller.stop()
