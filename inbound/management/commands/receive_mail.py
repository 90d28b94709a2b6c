"""Feed one mail through the gateway's processing: ``manage.py receive_mail FILE.eml``
(or the mail on standard input), for a development machine without a mail server."""

import json
import sys
from email.utils import getaddresses

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from inbound.parsing import header, parse
from inbound.services import message_receive


class Command(BaseCommand):
    help = "Process one received mail (a file, or standard input) as the LMTP gateway would."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default="-", help="an .eml file; - or none: stdin")
        parser.add_argument(
            "--to",
            default="",
            help="the recipient address (default: the mail's first To or Delivered-To of "
            "our domain)",
        )

    def handle(self, *args, file, to, **options):
        if file == "-":
            raw = sys.stdin.buffer.read()
        else:
            try:
                with open(file, "rb") as handle:
                    raw = handle.read()
            except OSError as error:
                raise CommandError(str(error)) from error
        recipient = to or _our_recipient(raw)
        if not recipient:
            raise CommandError(f"No recipient at {settings.MAIL_LIST_ID_DOMAIN}: pass --to.")
        result = message_receive(raw=raw, recipient=recipient)
        self.stdout.write(
            json.dumps(
                {
                    "recipient": recipient,
                    "outcome": result.outcome,
                    "reason": result.reason,
                    "post": result.post_id,
                }
            )
        )


def _our_recipient(raw: bytes) -> str:
    message = parse(raw)
    domain = "@" + settings.MAIL_LIST_ID_DOMAIN.lower()
    values = [header(message, name) for name in ("Delivered-To", "To", "Cc")]
    for _name, address in getaddresses(values):
        if address.lower().endswith(domain):
            return address
    return ""
