import pytest
from django.core.management import call_command

from forums.models import Flag, Forum, IdeaStatus, Topic

pytestmark = pytest.mark.django_db


def test_demo_forums_are_idempotent_and_searchable(client, seeded_demo):
    counts = (Forum.objects.count(), Topic.objects.count(), Flag.objects.count())
    call_command("seed_demo", quiet_accounts=True)
    assert (Forum.objects.count(), Topic.objects.count(), Flag.objects.count()) == counts
    api = Forum.objects.get(kind="api_users")
    ideas = Topic.objects.filter(forum__kind="ideas")
    assert api.topics.count() >= 30
    assert ideas.count() >= 20
    assert set(ideas.values_list("status", flat=True)) == set(IdeaStatus.values)
    assert client.get("/forums/search/?q=orcid").content.decode().count("<li>") >= 10
    assert client.get("/forums/ideas/").status_code == 200


def test_demo_posts_are_never_dated_in_the_future(seeded_demo):
    from forums.models import Post

    now = seeded_demo  # when the seeding ended
    assert not Post.objects.filter(created_at__gt=now).exists()
    assert not Topic.objects.filter(last_post_at__gt=now).exists()
    assert not Forum.objects.filter(last_post_at__gt=now).exists()
