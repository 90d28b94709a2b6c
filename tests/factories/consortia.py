import factory
from django.utils import timezone

from consortia.models import (
    ChecklistEntry,
    ChecklistItem,
    Consortium,
    ConsortiumContact,
    ConsortiumCountry,
    Membership,
    Organization,
    OrganizationContact,
    ProgressReport,
    Verification,
)
from core.identifiers import ror_checksum
from tests.factories.accounts import UserFactory, grant, with_two_factor

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def ror_for(n: int) -> str:
    """A ROR ID with valid check digits, unique for ``n``."""
    digits = ""
    for _ in range(6):
        n, rest = divmod(n, 32)
        digits = _CROCKFORD[rest] + digits
    base = "0" + digits
    return base + ror_checksum(base)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"University {n}")
    ror_id = factory.Sequence(lambda n: ror_for(500_000 + n))
    country = "IE"
    org_type = Organization.Type.HIGHER_EDUCATION
    verification = Verification.VERIFIED


class OrganizationContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrganizationContact

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = OrganizationContact.Role.MAIN


class ConsortiumFactory(factory.django.DjangoModelFactory):
    """A consortium with its countries, its lead organization as a member, no contacts."""

    class Meta:
        model = Consortium
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Consortium {n}")
    slug = factory.Sequence(lambda n: f"consortium-{n}")
    kind = Consortium.Kind.NATIONAL
    region = "emea"
    lead_organization = factory.SubFactory(OrganizationFactory)
    status = Consortium.Status.ACTIVE
    verification = Verification.VERIFIED
    agreement_finalized_at = factory.LazyAttribute(
        lambda c: timezone.now() if c.status == Consortium.Status.ACTIVE else None
    )

    @factory.post_generation
    def countries(obj, create, extracted, **kwargs):
        if not create:
            return
        codes = extracted or [str(obj.lead_organization.country)]
        ConsortiumCountry.objects.bulk_create(
            [ConsortiumCountry(consortium=obj, country=code) for code in codes]
        )

    @factory.post_generation
    def lead_membership(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            Membership.objects.create(
                consortium=obj, organization=obj.lead_organization, state=Membership.State.ACTIVE
            )


class ConsortiumContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsortiumContact

    consortium = factory.SubFactory(ConsortiumFactory)
    user = factory.SubFactory(UserFactory)
    role = ConsortiumContact.Role.STAFF


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    consortium = factory.SubFactory(ConsortiumFactory)
    organization = factory.SubFactory(OrganizationFactory)
    state = Membership.State.ACTIVE


class ChecklistEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChecklistEntry

    consortium = factory.SubFactory(ConsortiumFactory)
    item = factory.Iterator(ChecklistItem.objects.all())
    done = True


class ProgressReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgressReport

    consortium = factory.SubFactory(ConsortiumFactory)
    title = factory.Sequence(lambda n: f"Report {n}")
    body = "We **grew**."


def add_members(consortium, countries, *, org_type=Organization.Type.HIGHER_EDUCATION):
    """Add one active member per country code in ``countries``; return the memberships."""
    return [
        MembershipFactory(
            consortium=consortium,
            organization=OrganizationFactory(country=code, org_type=org_type),
        )
        for code in countries
    ]


def complete_checklist(consortium) -> None:
    for item in ChecklistItem.objects.filter(phase=ChecklistItem.Phase.PRE_AGREEMENT):
        ChecklistEntry.objects.update_or_create(
            consortium=consortium, item=item, defaults={"done": True}
        )


def verifier(**fields):
    """Staff with the power to verify organizations, proposed consortia and contact
    requests (``consortia.verify_organization``), as the staff group grants it."""
    return grant(
        with_two_factor(UserFactory(is_staff=True, **fields)), "consortia.verify_organization"
    )
