"""State changes of people's accounts."""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import RuleViolation
from core.identifiers import normalize_orcid


@transaction.atomic
def user_set_orcid_id(*, user: User, orcid_id: str | None) -> User:
    """Set (or clear) a person's ORCID iD after normalizing and validating it."""
    bare = normalize_orcid(orcid_id) if orcid_id else None
    if bare and User.objects.filter(orcid_id=bare).exclude(pk=user.pk).exists():
        raise RuleViolation(_("This ORCID iD belongs to another account."))
    user.orcid_id = bare
    user.full_clean()
    user.save(update_fields=["orcid_id"])
    return user


def user_set_language(*, user: User, language: str) -> User:
    """Remember the language the person chose (the portal and its mail use it)."""
    user.language = language
    user.full_clean(exclude=["password"])
    user.save(update_fields=["language"])
    return user
