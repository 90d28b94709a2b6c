from django.db import models


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
