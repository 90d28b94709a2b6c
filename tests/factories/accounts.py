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
        if not (create and extracted):
            return
        # Far above the demo data's iDs (accounts, contributors and consortia demos).
        orcid_id = extracted if isinstance(extracted, str) else demo_orcid(5 * 10**10 + obj.pk)
        connect_demo_orcid(obj, orcid_id)
