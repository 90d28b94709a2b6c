"""ORCID iDs are proved by signing in with ORCID, never typed (issue 16).

``User.orcid_id`` keeps its name and its unique constraint, and from now on holds only an
iD the person proved: the uid of their ORCID account in allauth (``SocialAccount``,
provider ``orcid``), whose value comes from ORCID's OAuth token response. Every other iD
in it — typed on the profile, where anyone could type anyone's iD — moves to
``unverified_orcid_id``: not unique, never shown, no profile address.

Why a second field and not a "verified" flag beside the iD: the unique constraint has to
mean "one account per proved iD". With a flag, a typed iD would keep its place in the
unique index and go on blocking its real owner's Sign in with ORCID (the bug this fixes)
unless the constraint became partial; and every query that reads iDs — profile addresses,
event speakers, nominations, the directory, the admin — would have to remember to filter
on the flag, and one that forgot would show an unproved iD. With ``orcid_id`` meaning
"proved", those queries stay as simple as they are and are right by construction.

Every person also gets ``public_id`` (a random UUID): the address of the public profile of
someone without a verified iD, ``/contributors/p/<public_id>/``.
"""

import uuid

from django.core.exceptions import ValidationError
from django.db import migrations, models

import core.identifiers

BATCH = 1000


def _proved_ids(SocialAccount) -> dict[int, list[str]]:
    """The ORCID iDs each person proved, by person."""
    proved: dict[int, list[str]] = {}
    rows = SocialAccount.objects.filter(provider="orcid").order_by("pk")
    for user_id, uid in rows.values_list("user_id", "uid").iterator():
        try:
            proved.setdefault(user_id, []).append(core.identifiers.normalize_orcid(uid))
        except ValidationError:
            continue
    return proved


def keep_proved_ids_only(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    SocialAccount = apps.get_model("socialaccount", "SocialAccount")
    proved = _proved_ids(SocialAccount)
    set_aside, to_set, everyone = [], [], []
    for user in User.objects.only("pk", "orcid_id").order_by("pk").iterator():
        ids = proved.get(user.pk, [])
        # A person with two ORCID accounts (allauth allows it) keeps the one they had typed.
        verified = user.orcid_id if user.orcid_id in ids else (ids[0] if ids else None)
        user.public_id = uuid.uuid4()
        if user.orcid_id != verified:
            user.unverified_orcid_id = user.orcid_id or ""
            user.orcid_id = None
            set_aside.append(user)
            if verified:
                to_set.append((user, verified))
        everyone.append(user)
    # Clear first, then set: an iD typed by one person and proved by another must leave
    # the unique index before its owner takes it.
    User.objects.bulk_update(set_aside, ["orcid_id", "unverified_orcid_id"], batch_size=BATCH)
    for user, verified in to_set:
        user.orcid_id = verified
    User.objects.bulk_update([u for u, _ in to_set], ["orcid_id"], batch_size=BATCH)
    User.objects.bulk_update(everyone, ["public_id"], batch_size=BATCH)


def restore_typed_ids(apps, schema_editor):
    """Put typed iDs back where no one else holds them (the unique constraint)."""
    User = apps.get_model("accounts", "User")
    held = set(User.objects.exclude(orcid_id=None).values_list("orcid_id", flat=True))
    restored = []
    for user in User.objects.filter(orcid_id=None).exclude(unverified_orcid_id=""):
        if user.unverified_orcid_id not in held:
            held.add(user.unverified_orcid_id)
            user.orcid_id = user.unverified_orcid_id
            restored.append(user)
    User.objects.bulk_update(restored, ["orcid_id"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("socialaccount", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="unverified_orcid_id",
            field=models.CharField(
                blank=True,
                editable=False,
                help_text="Typed on the profile before iDs had to be proved; never shown.",
                max_length=19,
                verbose_name="unverified ORCID iD",
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="public_id",
            field=models.UUIDField(editable=False, null=True, verbose_name="public id"),
        ),
        migrations.RunPython(keep_proved_ids_only, restore_typed_ids, elidable=False),
        migrations.AlterField(
            model_name="user",
            name="public_id",
            field=models.UUIDField(
                default=uuid.uuid4, editable=False, unique=True, verbose_name="public id"
            ),
        ),
        migrations.AlterField(
            model_name="user",
            name="orcid_id",
            field=models.CharField(
                blank=True,
                editable=False,
                help_text="Proved by signing in with ORCID.",
                max_length=19,
                null=True,
                unique=True,
                validators=[core.identifiers.validate_orcid],
                verbose_name="ORCID iD",
            ),
        ),
    ]
