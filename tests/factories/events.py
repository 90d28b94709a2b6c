from datetime import timedelta

import factory
from django.utils import timezone

from core.regions import Region
from events.models import Meeting, Registration, Session, Speaker
from tests.factories.accounts import UserFactory


def _in_days(days: int, hours: int = 0):
    return lambda o: timezone.now().replace(microsecond=0) + timedelta(days=days, hours=hours)


class MeetingFactory(factory.django.DjangoModelFactory):
    """An upcoming meeting in Berlin whose call for sessions is open."""

    class Meta:
        model = Meeting

    title = factory.Sequence(lambda n: f"ORCID outreach meeting {n}")
    slug = factory.Sequence(lambda n: f"outreach-{n}")
    region = Region.EMEA
    starts_at = factory.LazyAttribute(_in_days(30))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(days=1, hours=8))
    time_zone = "Europe/Berlin"
    place = "Berlin, Germany"
    description = "Two days of **ORCID** integrations."
    capacity = 50
    call_opens_at = factory.LazyAttribute(_in_days(-10))
    call_closes_at = factory.LazyAttribute(_in_days(10))

    class Params:
        past = factory.Trait(
            starts_at=factory.LazyAttribute(_in_days(-60)),
            call_opens_at=factory.LazyAttribute(_in_days(-120)),
            call_closes_at=factory.LazyAttribute(_in_days(-90)),
        )
        call_closed = factory.Trait(call_closes_at=factory.LazyAttribute(_in_days(-1)))


class SessionFactory(factory.django.DjangoModelFactory):
    """A session on the programme, one hour from the meeting's start, with one speaker."""

    class Meta:
        model = Session
        skip_postgeneration_save = True

    meeting = factory.SubFactory(MeetingFactory)
    title = factory.Sequence(lambda n: f"Integrating ORCID, part {n}")
    abstract = "How we *integrated* ORCID sign-in."
    state = Session.State.ACCEPTED
    starts_at = factory.LazyAttribute(lambda o: o.meeting.starts_at + timedelta(hours=1))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=1))
    room = "Hall A"

    class Params:
        proposal = factory.Trait(
            state=Session.State.PROPOSED, starts_at=None, ends_at=None, room=""
        )

    @factory.post_generation
    def speakers(obj, create, extracted, **kwargs):
        if not create:
            return
        people = extracted if extracted is not None else [UserFactory(orcid=True)]
        for i, person in enumerate(people):
            Speaker.objects.create(session=obj, user=person, position=i)
        if obj.proposed_by_id is None and people:
            obj.proposed_by = people[0]
            obj.save(update_fields=["proposed_by"])


class RegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Registration

    meeting = factory.SubFactory(MeetingFactory)
    user = factory.SubFactory(UserFactory)
    state = Registration.State.CONFIRMED
