"""core's one table: the cache invalidations a committed transaction still owes Redis."""

from django.db import models
from django.utils import timezone


class PendingInvalidation(models.Model):
    """Areas whose generations a transaction bumps (core.cache): written in the transaction,
    deleted once Redis has the bumps; the sweep replays what a dead process left behind."""

    areas = models.CharField(max_length=200)  # comma-separated core.cache.AREAS
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.areas} ({self.created_at:%Y-%m-%d %H:%M:%S})"
