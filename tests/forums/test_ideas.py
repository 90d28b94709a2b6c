"""iDeas: one vote per person, withdrawable, sorted; statuses with a note mailed to voters; merges."""

import pytest
from django.core import mail
from django.db import IntegrityError

from core.errors import NotAllowed, RuleViolation
from forums import services
from forums.models import IdeaStatusChange, ReplyKey, Subscription, Vote
from tests.factories.accounts import person
from tests.factories.forums import IdeaFactory, VoteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def idea(ideas, author):
    return services.topic_create(
        forum=ideas, by=author, title="Show affiliations on the public API", body="Please."
    )


def test_a_new_idea_starts_as_new_and_lives_at_forums_ideas(client, idea):
    assert idea.status == "new"
    page = client.get("/forums/ideas/").content.decode()
    assert idea.title in page
    assert client.get("/forums/ideas/").status_code == 200


def test_voting_twice_counts_once_and_the_vote_can_be_withdrawn(client, idea, reader):
    client.force_login(reader)
    client.post(f"/forums/t/{idea.pk}/vote/", {"vote": "1"})
    client.post(f"/forums/t/{idea.pk}/vote/", {"vote": "1"})
    idea.refresh_from_db()
    assert idea.vote_count == 1 == Vote.objects.filter(idea=idea).count()
    client.post(f"/forums/t/{idea.pk}/vote/", {"vote": "0"})
    idea.refresh_from_db()
    assert idea.vote_count == 0


def test_a_vote_from_the_list_returns_to_that_idea_in_the_list_as_it_was_shown(
    client, idea, reader
):
    client.force_login(reader)
    page = client.get("/forums/ideas/?sort=newest&status=new").content.decode()
    assert f'id="idea-{idea.pk}"' in page
    back = "/forums/ideas/?sort=newest&amp;status=new&amp;page=1"
    assert f'name="next" value="{back}"' in page
    response = client.post(
        f"/forums/t/{idea.pk}/vote/", {"vote": "1", "next": back.replace("&amp;", "&")}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/forums/ideas/?sort=newest&status=new&page=1#idea-{idea.pk}"


def test_a_vote_on_the_idea_s_page_returns_to_its_vote_box(client, idea, reader):
    client.force_login(reader)
    response = client.post(f"/forums/t/{idea.pk}/vote/", {"vote": "1"})
    assert response["Location"] == f"{idea.get_absolute_url()}#votes"
    assert 'id="votes"' in client.get(idea.get_absolute_url()).content.decode()


@pytest.mark.parametrize("elsewhere", ["https://evil.example/forums/ideas/", "/forums/", "//evil"])
def test_a_vote_never_returns_elsewhere_than_the_ideas(client, idea, reader, elsewhere):
    client.force_login(reader)
    response = client.post(f"/forums/t/{idea.pk}/vote/", {"vote": "1", "next": elsewhere})
    assert response["Location"] == f"{idea.get_absolute_url()}#votes"


def test_the_database_holds_one_vote_per_person_per_idea(idea, reader):
    Vote.objects.create(idea=idea, user=reader)
    with pytest.raises(IntegrityError):
        Vote.objects.create(idea=idea, user=reader)


def test_anonymous_visitors_cannot_vote(client, idea):
    response = client.post(f"/forums/t/{idea.pk}/vote/", {"vote": "1"})
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert not Vote.objects.exists()


def test_a_topic_outside_the_ideas_forum_takes_no_votes(client, topic, reader):
    client.force_login(reader)
    assert client.post(f"/forums/t/{topic.pk}/vote/", {"vote": "1"}).status_code == 400


def test_ideas_sort_by_votes_newest_and_status(client, ideas):
    popular = IdeaFactory(forum=ideas, title="Popular idea", vote_count=9)
    fresh = IdeaFactory(forum=ideas, title="Fresh idea", vote_count=1)
    done = IdeaFactory(forum=ideas, title="Done idea", vote_count=0, status="done")
    by_votes = client.get("/forums/ideas/?sort=votes").content.decode()
    assert by_votes.index(popular.title) < by_votes.index(fresh.title)
    newest = client.get("/forums/ideas/?sort=newest").content.decode()
    assert newest.index(done.title) < newest.index(popular.title)
    by_status = client.get("/forums/ideas/?sort=status").content.decode()
    assert by_status.index(popular.title) < by_status.index(done.title)
    only_done = client.get("/forums/ideas/?status=done").content.decode()
    assert done.title in only_done
    assert popular.title not in only_done
    assert client.get("/forums/ideas/?sort=<script>&status=nope").status_code == 200


def test_staff_sets_a_status_with_a_note_shown_on_the_idea_and_mailed_to_voters(
    client, idea, staff, django_capture_on_commit_callbacks
):
    voters = [person(name=f"Voter {n}") for n in range(2)]
    for voter in voters:
        services.idea_vote(idea=idea, by=voter)
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/forums/t/{idea.pk}/status/", {"status": "planned", "note": "Planned for Q3."}
        )
    assert response.status_code == 302
    idea.refresh_from_db()
    assert idea.status == "planned"
    assert "Planned for Q3." in client.get(idea.get_absolute_url()).content.decode()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(v.email for v in voters)
    assert "Planned for Q3." in mail.outbox[0].body
    assert "planned" in mail.outbox[0].subject
    # Each voter answers by mail in the idea's thread, through a reply address of their own.
    for message in mail.outbox:
        voter = next(v for v in voters if v.email == message.to[0])
        key = ReplyKey.objects.get(user=voter, topic=idea).key
        assert message.reply_to == [f"reply+{key}@community.orcid.example"]
        first = idea.posts.get(is_first=True)
        assert message.extra_headers["In-Reply-To"] == f"<post-{first.pk}@community.orcid.example>"


def test_the_status_mail_shows_names_titles_and_notes_unescaped_in_its_text_part(
    ideas, author, staff, django_capture_on_commit_callbacks
):
    idea = services.topic_create(forum=ideas, by=author, title="R&D <faster>", body="x")
    services.idea_vote(idea=idea, by=person(name="Seán O'Brien"))
    with django_capture_on_commit_callbacks(execute=True):
        services.idea_status_set(idea=idea, by=staff, status="planned", note='Q3 & Q4 "soon"')
    message = mail.outbox[0]
    assert "Hello Seán O'Brien," in message.body
    assert "“R&D <faster>”" in message.body
    assert 'Q3 & Q4 "soon"' in message.body
    assert "&amp;" not in message.body
    assert "&#x27;" not in message.body
    html = message.alternatives[0][0]
    assert "R&amp;D &lt;faster&gt;" in html
    assert (
        "<faster>" not in html
    )  # no HTML of a title or note gets into the mail's HTML  # escaped once in the HTML part, not twice
    assert "&amp;amp;" not in html


def test_each_status_change_mails_the_voters_again(idea, staff, django_capture_on_commit_callbacks):
    services.idea_vote(idea=idea, by=person())
    with django_capture_on_commit_callbacks(execute=True):
        services.idea_status_set(idea=idea, by=staff, status="under_review", note="Looking.")
        services.idea_status_set(idea=idea, by=staff, status="done", note="Shipped.")
    assert len(mail.outbox) == 2
    assert IdeaStatusChange.objects.filter(idea=idea).count() == 2


def test_a_status_needs_a_note_and_a_known_status(idea, staff):
    with pytest.raises(services.InvalidInput):
        services.idea_status_set(idea=idea, by=staff, status="planned", note="  ")
    with pytest.raises(services.InvalidInput):
        services.idea_status_set(idea=idea, by=staff, status="maybe", note="x")


def test_people_outside_staff_and_the_steering_group_cannot_set_a_status(client, idea, reader):
    client.force_login(reader)
    response = client.post(f"/forums/t/{idea.pk}/status/", {"status": "done", "note": "Done!"})
    assert response.status_code == 403
    idea.refresh_from_db()
    assert idea.status == "new"


def test_people_who_may_not_set_a_status_are_refused_before_their_form_is_read(
    client, idea, reader
):
    # An empty or broken form is a 403 too, not the status form with its errors (400).
    client.force_login(reader)
    response = client.post(f"/forums/t/{idea.pk}/status/", {"status": "", "note": ""})
    assert response.status_code == 403
    assert b'name="status"' not in response.content


def test_a_steering_group_member_sets_a_status(idea):
    from tests.factories.contributors import steering_members

    member = steering_members(1)[0]
    services.idea_status_set(idea=idea, by=member, status="under_review", note="We discuss it.")
    idea.refresh_from_db()
    assert idea.status == "under_review"


def test_merging_moves_votes_without_counting_anyone_twice(client, ideas, staff):
    target, duplicate = IdeaFactory(forum=ideas), IdeaFactory(forum=ideas)
    both, only_dup, only_target = person(), person(), person()
    for user, idea in [
        (both, target),
        (both, duplicate),
        (only_dup, duplicate),
        (only_target, target),
    ]:
        services.idea_vote(idea=idea, by=user)
    client.force_login(staff)
    response = client.post(f"/forums/t/{duplicate.pk}/merge/", {"target": target.pk})
    assert response.status_code == 302
    target.refresh_from_db()
    duplicate.refresh_from_db()
    assert target.vote_count == 3
    assert set(Vote.objects.filter(idea=target).values_list("user", flat=True)) == {
        both.pk,
        only_dup.pk,
        only_target.pk,
    }
    assert duplicate.vote_count == 0
    assert duplicate.merged_into == target
    assert duplicate.is_locked
    assert duplicate.title not in client.get("/forums/ideas/").content.decode()
    assert "merged into" in client.get(duplicate.get_absolute_url()).content.decode()


def test_merge_moves_watchers_and_refuses_loops(ideas, staff):
    target, duplicate = IdeaFactory(forum=ideas), IdeaFactory(forum=ideas)
    watcher = person()
    services.subscription_set(by=watcher, topic=duplicate, mode="daily")
    services.idea_merge(duplicate=duplicate, target=target, by=staff)
    assert Subscription.objects.get(user=watcher, topic=target).mode == "daily"
    with pytest.raises(RuleViolation):
        services.idea_merge(duplicate=target, target=target, by=staff)
    with pytest.raises(RuleViolation):
        services.idea_merge(duplicate=duplicate, target=target, by=staff)
    with pytest.raises(RuleViolation):
        services.idea_vote(idea=duplicate, by=watcher)


def test_merge_is_for_staff_and_the_steering_group(client, ideas, reader):
    target, duplicate = IdeaFactory(forum=ideas), IdeaFactory(forum=ideas)
    with pytest.raises(NotAllowed):
        services.idea_merge(duplicate=duplicate, target=target, by=reader)
    client.force_login(reader)
    assert client.get(f"/forums/t/{duplicate.pk}/merge/").status_code == 403


def test_merging_into_an_unknown_idea_is_a_clear_400(client, ideas, staff):
    duplicate = IdeaFactory(forum=ideas)
    client.force_login(staff)
    response = client.post(f"/forums/t/{duplicate.pk}/merge/", {"target": 99999})
    assert response.status_code == 400
    assert "no idea with this number" in response.content.decode()


def test_vote_factory_votes_are_counted_by_the_services(ideas):
    vote = VoteFactory(idea=IdeaFactory(forum=ideas))
    idea = services.idea_vote(idea=vote.idea, by=person())
    assert idea.vote_count == 2
