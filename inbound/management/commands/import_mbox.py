"""Import a mailing list's archive into a forum: ``manage.py import_mbox --forum api-users
FILE.mbox`` (inbound.archive says how mails become topics and posts)."""

import json
import mailbox

from django.core.management.base import BaseCommand, CommandError

from forums.selectors import forum_by_slug
from inbound.archive import mbox_import


class Command(BaseCommand):
    help = (
        "Import an mbox archive (a Google group's export) into a forum: threads, dates and "
        "authors kept, each Message-ID once. Prints JSON last."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .mbox file")
        parser.add_argument("--forum", required=True, help="the forum's slug, e.g. api-users")
        parser.add_argument(
            "--progress-every", type=int, default=100, help="a progress line every N mails"
        )

    def handle(self, *args, file, forum, progress_every, **options):
        target = forum_by_slug(forum)
        if target is None:
            raise CommandError(f"No forum with the slug {forum!r}.")
        every = max(1, progress_every)

        def progress(done: int, total: int) -> None:
            if done % every == 0 or done == total:
                self.stderr.write(f"{done}/{total} mails ({100 * done // max(total, 1)}%)")

        try:
            summary = mbox_import(forum=target, path=file, by=None, progress=progress)
        except (OSError, mailbox.Error) as error:
            raise CommandError(f"Cannot read {file}: {error}") from error
        for problem in summary.problems:
            self.stderr.write(f"skipped {problem}")
        self.stdout.write(
            f"{summary.messages} mails: {summary.topics} topics and {summary.posts} posts "
            f"imported into {target.slug}; {summary.skipped} skipped "
            f"({summary.duplicates} imported before, {summary.malformed} unusable)."
        )
        self.stdout.write(json.dumps(summary.as_json()))
