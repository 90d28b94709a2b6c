import importlib
import time
from datetime import timedelta

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts.demo import connect_demo_orcid, demo_orcid
from accounts.models import User


class UserFactory(factory.django.DjangoModelFactory):
    """A person with a verified email address and, by default, no ORCID iD.

    ``UserFactory(orcid=True)`` gives them a verified iD (``orcid="0000-…"`` a given one)
    the way Sign in with ORCID does: a connected ORCID account, then the service that
    records the iD it proved (``accounts.demo.connect_demo_orcid``).
    """

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery-staple")

    @factory.post_generation
    def verified_email(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)
        if create:
            obj.save()

    @factory.post_generation
    def orcid(obj, create, extracted, **kwargs):
        if create and extracted:
            with_orcid(obj, extracted if isinstance(extracted, str) else None)


def person(**fields) -> User:
    """Someone who joined a month ago: not a 'new user' for the forums' rate limit."""
    fields.setdefault("date_joined", timezone.now() - timedelta(days=30))
    return UserFactory(**fields)


def with_orcid(user: User, orcid_id: str | None = None) -> User:
    """``user`` connects an ORCID account (``orcid_id``, or one of their own) and so has a
    verified iD: the path of Sign in with ORCID, without the HTTP round trips."""
    # Far above the demo data's iDs (accounts, contributors and consortia demos).
    return connect_demo_orcid(user, orcid_id or demo_orcid(5 * 10**10 + user.pk))


# The secret of test staff's authenticator app (base32, as allauth stores it).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _forget_permissions(user: User) -> None:
    for attr in ("_perm_cache", "_user_perm_cache", "_group_perm_cache", "_has_two_factor"):
        user.__dict__.pop(attr, None)


def grant(user: User, *permissions: str) -> User:
    """Give ``user`` these permissions ("app_label.codename") directly."""
    from django.contrib.auth.models import Permission

    for perm in permissions:
        app_label, codename = perm.split(".", 1)
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    _forget_permissions(user)
    return user


def with_two_factor(user: User, secret: str = TOTP_SECRET) -> User:
    """Give ``user`` a TOTP authenticator (two-factor authentication) with ``secret``."""
    from allauth.mfa.models import Authenticator

    Authenticator.objects.get_or_create(
        user=user, type=Authenticator.Type.TOTP, defaults={"data": {"secret": secret}}
    )
    _forget_permissions(user)
    return user


def totp_code(secret: str = TOTP_SECRET, *, step: int = 0) -> str:
    """The code an authenticator app shows now for ``secret`` (computed as allauth does);
    ``step=1`` the code of the next period (accepted too: MFA_TOTP_TOLERANCE)."""
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    counter = int(time.time()) // app_settings.TOTP_PERIOD + step
    return format_hotp_value(hotp_value(secret, counter))


def staff_group(name: str):
    """A staff group as the data migration accounts/0003 creates it (again, when a
    transactional test's flush removed it)."""
    from django.contrib.auth.models import Group, Permission

    group, created = Group.objects.get_or_create(name=name)
    if created:
        migration = importlib.import_module("accounts.migrations.0003_staff_groups")
        for perm in migration.GROUPS[name]:
            app_label, codename = perm.split(".", 1)
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
    return group


def staff_person(*groups: str, two_factor: bool = True, **fields) -> User:
    """A member of ORCID staff: may enter the admin, is in ``groups`` (by default every
    staff group: "Consortia staff", "Community staff") and has two-factor authentication."""
    from accounts.staff import STAFF_GROUPS

    fields.setdefault("name", "Olivia Staff")
    user = UserFactory(is_staff=True, **fields)
    user.groups.add(*(staff_group(name) for name in groups or STAFF_GROUPS))
    if two_factor:
        with_two_factor(user)
    _forget_permissions(user)
    return user
