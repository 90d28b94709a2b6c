"""Demo people for `manage.py seed_demo` (idempotent: keyed by email)."""

from datetime import timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import encrypt
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import User
from accounts.services import ORCID, user_orcid_connect
from accounts.staff import STAFF_GROUPS
from core.identifiers import orcid_check_character, orcid_url

# Demo staff sign in with two-factor authentication, like all staff: the secret of their
# authenticator app is this known value (demo data only: seed_demo never runs in
# production). `oathtool --totp -b <secret>` prints the current code.
DEMO_TOTP_SECRET = "YLNPZ3BMWELZH5PDSNKIFJGEKAIUDV5X"


def demo_orcid(n: int) -> str:
    """A valid ORCID iD in the 0009 block, unique for ``n``."""
    base = f"0009{n:011d}"
    digits = base + orcid_check_character(base)
    return "-".join(digits[i : i + 4] for i in range(0, 16, 4))


def connect_demo_orcid(user: User, orcid_id: str) -> User:
    """Give a demo (or test) person the ORCID account they would have after signing in
    with ORCID: the row allauth writes, with the record ORCID sends, then the same service
    that records the proved iD. Idempotent."""
    name = (user.name or "").split(" ", 1)
    record = {
        "orcid-identifier": {"uri": orcid_url(orcid_id), "path": orcid_id, "host": "orcid.org"},
        "person": {
            "name": {
                "given-names": {"value": name[0]},
                "family-name": {"value": name[1] if len(name) > 1 else ""},
            }
        },
    }
    account, _ = SocialAccount.objects.get_or_create(
        provider=ORCID, uid=orcid_id, defaults={"user": user, "extra_data": record}
    )
    return user_orcid_connect(user=user, account=account)


# (key, email, name, affiliation, staff?) — the key is how other apps' demo data refer to them.
# Staff are in every staff group, with two-factor authentication (DEMO_TOTP_SECRET).
PEOPLE = [
    ("staff", "staff@example.org", "Olivia Staff", "ORCID", True),
    ("chair", "chair@example.org", "Ana Souza", "Universidade de São Paulo", False),
    ("steering1", "steering1@example.org", "Kenji Watanabe", "University of Tokyo", False),
    ("steering2", "steering2@example.org", "Ingrid Larsen", "University of Oslo", False),
    ("steering3", "steering3@example.org", "Samuel Okafor", "University of Lagos", False),
    ("ost", "ost@example.org", "Lucía Fernández", "Universidad de Chile", False),
    ("devstaff", "dev@example.org", "Tom Developer", "ORCID", False),
    ("contributor", "contributor@example.org", "Mei Chen", "Peking University", False),
    ("contributor2", "contributor2@example.org", "Pavel Ivanov", "Novosibirsk State University", False),
    ("lead", "lead@example.org", "Fiona Murphy", "Trinity College Dublin", False),
    ("member", "member@example.org", "Raj Patel", "University of Melbourne", False),
    ("user", "user@example.org", "Jo Visitor", "", False),
]  # fmt: skip


def seed(stdout) -> dict[str, User]:
    people: dict[str, User] = {}
    for n, (key, email, name, affiliation, staff) in enumerate(PEOPLE, start=1):
        user, created = User.objects.get_or_create(
            email=email,
            defaults={
                "name": name,
                "affiliation": affiliation,
                "is_staff": staff,
                # The demo community is a year old: its people are not new to the forums
                # (the API Users list holds new people's first posts for a moderator).
                "date_joined": timezone.now() - timedelta(days=365),
            },
        )
        if created:
            user.set_password(settings.DEMO_PASSWORD)
            user.save(update_fields=["password"])
        if staff:
            _make_staff(user)
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        people[key] = connect_demo_orcid(user, demo_orcid(n))
    stdout.write(f"  people: {len(people)}")
    stdout.write(f"  staff two-factor secret: {DEMO_TOTP_SECRET}")
    return people


def _make_staff(user: User) -> None:
    user.groups.add(*Group.objects.filter(name__in=STAFF_GROUPS))
    Authenticator.objects.get_or_create(
        user=user,
        type=Authenticator.Type.TOTP,
        defaults={"data": {"secret": encrypt(DEMO_TOTP_SECRET)}},
    )
