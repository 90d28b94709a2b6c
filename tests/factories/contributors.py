from datetime import timedelta

import factory
from django.utils import timezone

from contributors.models import (
    Agreement,
    Briefing,
    BriefingSubscription,
    Contribution,
    Group,
    Level,
    LevelChange,
    Membership,
    Profile,
    one_year_after,
)
from core.markdown import render_markdown
from tests.factories.accounts import UserFactory


class ContributionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contribution

    user = factory.SubFactory(UserFactory)
    kind = Contribution.Kind.PATCH
    title = factory.Sequence(lambda n: f"Fix number {n}")
    link = factory.Sequence(lambda n: f"https://github.com/ORCID/orcid-source/pull/{n}")
    date = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))

    class Params:
        verified = factory.Trait(
            verified_by=factory.SubFactory(UserFactory, is_staff=True),
            verified_at=factory.LazyFunction(timezone.now),
        )


class ProfileFactory(factory.django.DjangoModelFactory):
    """A person at a level, with the history row that got them there."""

    class Meta:
        model = Profile
        django_get_or_create = ("user",)
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    level = Level.CONTRIBUTOR

    @factory.post_generation
    def history(obj, create, extracted, **kwargs):
        if not create or obj.level == Level.USER:
            return
        # ``history__basis=...`` picks the basis (by default OST as development staff).
        basis = kwargs.get("basis") or (
            LevelChange.Basis.DEVELOPMENT_STAFF
            if obj.level == Level.OST
            else LevelChange.Basis.STAFF_DECISION
        )
        LevelChange.objects.create(
            user=obj.user, from_level=Level.USER, to_level=obj.level, basis=basis, reason="Test"
        )


def contributor(**user_fields):
    """A technical contributor with one verified contribution and, unless ``orcid=False``,
    a verified ORCID iD."""
    user_fields.setdefault("orcid", True)
    user = UserFactory(**user_fields)
    ProfileFactory(user=user, level=Level.CONTRIBUTOR)
    ContributionFactory(user=user, verified=True)
    return user


def ost_member(basis=None, **user_fields):
    """An OST member, with a verified ORCID iD; by default as ORCID development staff
    (without a vote)."""
    user_fields.setdefault("orcid", True)
    user = UserFactory(**user_fields)
    ProfileFactory(user=user, level=Level.OST, history__basis=basis)
    return user


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Working group {n}")
    slug = factory.Sequence(lambda n: f"working-group-{n}")
    kind = Group.Kind.WORKING
    purpose = "Make things better."


def steering_group():
    return GroupFactory(
        name="Technical steering group", slug="steering-group", kind=Group.Kind.STEERING
    )


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    group = factory.SubFactory(GroupFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.MEMBER
    term_start = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))
    term_end = factory.LazyAttribute(lambda m: one_year_after(m.term_start))


def steering_members(n: int, *, chair: bool = True) -> list:
    """``n`` people with a current term in the steering group (the first one chairs)."""
    group = steering_group()
    people = []
    for i in range(n):
        membership = MembershipFactory(
            group=group,
            role=Membership.Role.CHAIR if chair and i == 0 else Membership.Role.MEMBER,
        )
        people.append(membership.user)
    return people


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agreement

    version = factory.Sequence(lambda n: f"1.{n}")
    title = "ORCID open source team agreement"
    body = "You follow the **development process**."
    published_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))


class BriefingFactory(factory.django.DjangoModelFactory):
    """A published briefing (``published_at=None`` for a draft); no mail is written."""

    class Meta:
        model = Briefing

    group = factory.SubFactory(GroupFactory)
    author = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Briefing number {n}")
    body = "The group met and **decided** things."
    body_html = factory.LazyAttribute(lambda b: str(render_markdown(b.body)))
    published_at = factory.LazyFunction(timezone.now)
    published_by = factory.LazyAttribute(lambda b: b.author if b.published_at else None)


class BriefingSubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BriefingSubscription

    user = factory.SubFactory(UserFactory)
    group = factory.SubFactory(GroupFactory)
