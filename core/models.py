"""core's tables: forms already answered, and the cache invalidations a committed
transaction still owes Redis."""

from django.db import models
from django.utils import timezone


class Submission(models.Model):
    """A form already answered (core.submissions): a second identical one is sent where the
    first one was, instead of making a second thing."""

    # SHA-256 of who sent what to which address (core.submissions.fingerprint).
    fingerprint = models.CharField(max_length=64, unique=True)
    answered_at = models.DateTimeField(db_index=True)
    # Where the first submission was redirected: the reply, the topic, the request.
    result = models.CharField(max_length=2000, blank=True)

    def __str__(self) -> str:
        return f"{self.fingerprint[:12]} → {self.result}"


class PendingInvalidation(models.Model):
    """Areas whose generations a transaction bumps (core.cache): written in the transaction,
    deleted once Redis has the bumps; the sweep replays what a dead process left behind."""

    areas = models.CharField(max_length=200)  # comma-separated core.cache.AREAS
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.areas} ({self.created_at:%Y-%m-%d %H:%M:%S})"
