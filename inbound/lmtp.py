"""The mail gateway: an LMTP server (aiosmtpd) that the mail server hands our domain's
mail to, as Mailman 3 receives from Postfix.

Addresses are checked when the mail server names them (RCPT): an unknown one is refused
with 550, never accepted and dropped; while the database cannot be reached the answer is
451, so the sending server tries again later. Each accepted mail goes through
``inbound.services.message_receive``, once per recipient (LMTP answers DATA once per
recipient). The database is used from one worker thread (Django's connections belong to
a thread), so the event loop never waits on it.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection

from inbound.services import message_receive, recipient_target

logger = logging.getLogger(__name__)

TRY_LATER = "451 4.3.0 The list cannot take mail right now; try again later"
UNKNOWN = "550 5.1.1 No such address here"


def _in_thread(function, *args, **kwargs):
    # A connection the database dropped (a restart) is replaced instead of failing forever.
    close_old_connections()
    try:
        return function(*args, **kwargs)
    except DatabaseError:
        connection.close()
        raise


def _sender(mail_from) -> str:
    # aiosmtpd keeps MAIL FROM:<> as "<>" or "": both are the null sender.
    return "" if not mail_from or mail_from.strip() == "<>" else mail_from


class Handler:
    def __init__(self) -> None:
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inbound-db")

    async def _run(self, function, *args, **kwargs):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self.executor, lambda: _in_thread(function, *args, **kwargs)
        )

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        try:
            target = await self._run(recipient_target, address)
        except DatabaseError:
            logger.warning("Database unreachable at RCPT %s", address, exc_info=True)
            return TRY_LATER
        if target is None:
            return UNKNOWN
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or b""
        answers = []
        for recipient in envelope.rcpt_tos:
            try:
                result = await self._run(
                    message_receive,
                    raw=raw,
                    recipient=recipient,
                    envelope_from=_sender(envelope.mail_from),
                )
            except DatabaseError:
                logger.warning("Database unreachable for a mail to %s", recipient, exc_info=True)
                answers.append(TRY_LATER)
            except Exception:
                logger.exception("Could not process a mail to %s", recipient)
                answers.append(TRY_LATER)
            else:
                answers.append(f"250 2.0.0 {result.outcome}")
        return "\r\n".join(answers)


class LMTPController(Controller):
    """aiosmtpd's threaded controller, speaking LMTP with our size limit (552 beyond)."""

    def __init__(self, *, host: str, port: int) -> None:
        super().__init__(
            Handler(),
            hostname=host,
            port=port,
            ready_timeout=10.0,
            data_size_limit=settings.INBOUND_MAX_BYTES,
            ident="ORCID Community Portal LMTP",
        )

    def factory(self):
        return LMTP(self.handler, **self.SMTP_kwargs)
