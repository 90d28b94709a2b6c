import factory
from allauth.account.models import EmailAddress

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


def with_orcid(user: User, orcid_id: str | None = None) -> User:
    """``user`` connects an ORCID account (``orcid_id``, or one of their own) and so has a
    verified iD: the path of Sign in with ORCID, without the HTTP round trips."""
    # Far above the demo data's iDs (accounts, contributors and consortia demos).
    return connect_demo_orcid(user, orcid_id or demo_orcid(5 * 10**10 + user.pk))
