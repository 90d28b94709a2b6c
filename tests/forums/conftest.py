import pytest

from forums import services
from tests.factories.accounts import person, staff_person
from tests.factories.forums import ForumFactory, IdeasForumFactory


@pytest.fixture
def forum(db):
    return ForumFactory(slug="api-users", name="ORCID API Users", kind="api_users")


@pytest.fixture
def ideas(db):
    return IdeasForumFactory()


@pytest.fixture
def author(db):
    return person(name="Ana Author")


@pytest.fixture
def reader(db):
    return person(name="Ben Reader")


@pytest.fixture
def staff(db):
    return staff_person()


@pytest.fixture
def topic(forum, author):
    return services.topic_create(
        forum=forum, by=author, title="Token expired on read-public", body="Why **401**?"
    )


@pytest.fixture
def private(db):
    """The steering group's private forum."""
    from tests.factories.contributors import GroupFactory

    group = GroupFactory(name="Technical steering group", slug="steering", kind="steering")
    return services.forum_create(
        slug="steering", name="Steering group (private)", kind="group", group=group, is_private=True
    )


@pytest.fixture
def member(private):
    from contributors.services import membership_add

    user = person(name="Maria Member")
    membership_add(group=private.group, user=user)
    return user


@pytest.fixture
def secret(private, member):
    return services.topic_create(
        forum=private, by=member, title="Confidential orcid budget", body="orcid secret plans"
    )
