"""Every events page with each role (anonymous, member, speaker, reviewer, staff), the
refusals with their reasons, accessible markup under a strict CSP, and constant queries."""

from datetime import timedelta

import pytest
from django.core import mail

from contributors.models import Contribution
from events.models import Registration, Session
from tests.factories.accounts import UserFactory, grant, with_orcid, with_two_factor
from tests.factories.events import MeetingFactory, RegistrationFactory, SessionFactory
from tests.helpers import assert_clean_markup

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "member", "speaker", "reviewer", "staff"]


@pytest.fixture
def people(member, speaker, reviewer, staff):
    return {
        "member": member,
        "speaker": speaker,
        "reviewer": reviewer,
        "staff": staff,
        # Staff status opens the admin's door only: no review, no programme.
        "bare_staff": with_two_factor(UserFactory(is_staff=True)),
    }


@pytest.fixture
def as_role(client, people):
    def login(role):
        if role != "anonymous":
            client.force_login(people[role])
        return client

    return login


@pytest.fixture
def programme(meeting, speaker):
    """One session on the programme and one proposal, both by the speaker."""
    on = SessionFactory(meeting=meeting, title="Sign in with ORCID", speakers=[speaker])
    proposal = SessionFactory(
        meeting=meeting, proposal=True, title="Batch updates", speakers=[speaker]
    )
    return on, proposal


# --- Who sees what -------------------------------------------------------------------------

EXPECTED = {
    # page: status per role (anonymous, member, speaker, reviewer, staff)
    "list": (200, 200, 200, 200, 200),
    "detail": (200, 200, 200, 200, 200),
    "calendar": (200, 200, 200, 200, 200),
    "session": (200, 200, 200, 200, 200),
    "session_calendar": (200, 200, 200, 200, 200),
    "proposal": (404, 404, 200, 200, 200),
    "propose": (302, 200, 200, 200, 200),
    "proposals": (403, 403, 403, 200, 200),
    "review": (403, 403, 403, 200, 200),
}


def url_of(page, meeting, on, proposal):
    base = f"/events/{meeting.slug}/"
    return {
        "list": "/events/",
        "detail": base,
        "calendar": f"{base}calendar.ics",
        "session": f"{base}sessions/{on.pk}/",
        "session_calendar": f"{base}sessions/{on.pk}/calendar.ics",
        "proposal": f"{base}sessions/{proposal.pk}/",
        "propose": f"{base}propose/",
        "proposals": f"{base}proposals/",
        "review": f"{base}proposals/{proposal.pk}/",
    }[page]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", list(EXPECTED))
def test_each_page_answers_each_role(as_role, role, page, meeting, programme):
    client = as_role(role)
    response = client.get(url_of(page, meeting, *programme))
    assert response.status_code == EXPECTED[page][ROLES.index(role)]
    if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
        assert_clean_markup(response.content.decode())


@pytest.mark.parametrize("role", ["anonymous", "member", "speaker", "bare_staff"])
def test_the_review_pages_say_who_may_review(as_role, role, meeting, programme):
    response = as_role(role).get(f"/events/{meeting.slug}/proposals/")
    assert response.status_code == 403
    assert "steering group review session proposals" in response.content.decode()


def test_the_detail_page_shows_the_programme_in_the_meetings_time_zone(client, meeting, programme):
    on, proposal = programme
    html = client.get(f"/events/{meeting.slug}/").content.decode()
    local = on.starts_at.astimezone(meeting.tz)
    assert local.strftime("%H:%M") in html
    assert "Europe/Berlin" in html
    assert on.title in html
    assert on.speakers.first().user.orcid_id in html
    assert proposal.title not in html  # a proposal is not on the programme
    assert "Propose a session" in html


def test_the_speaker_sees_their_proposal_and_the_reviewer_the_review_link(
    as_role, meeting, programme
):
    html = as_role("speaker").get(f"/events/{meeting.slug}/").content.decode()
    assert "Batch updates" in html
    assert "Review proposals" not in html


def test_the_reviewer_sees_how_many_proposals_wait(as_role, meeting, programme):
    html = as_role("reviewer").get(f"/events/{meeting.slug}/").content.decode()
    assert "Review proposals (1 waiting)" in html


def test_the_list_filters_by_region_and_separates_past_from_upcoming(client):
    MeetingFactory(title="Americas upcoming", region="americas")
    MeetingFactory(title="EMEA upcoming", region="emea")
    MeetingFactory(title="EMEA past", region="emea", past=True)
    html = client.get("/events/?region=emea").content.decode()
    assert "EMEA upcoming" in html
    assert "Americas upcoming" not in html
    upcoming, past = html.split('id="past-title"')
    assert "EMEA upcoming" in upcoming
    assert "EMEA past" in past


def test_an_unknown_region_is_a_400(client):
    response = client.get("/events/?region=mars")
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_an_unknown_meeting_or_session_is_a_404(client, meeting):
    assert client.get("/events/nothing-here/").status_code == 404
    assert client.get(f"/events/{meeting.slug}/sessions/999999/").status_code == 404
    other = SessionFactory()
    assert client.get(f"/events/{meeting.slug}/sessions/{other.pk}/").status_code == 404


# --- Actions through the pages -------------------------------------------------------------


def test_a_member_registers_and_cancels_from_the_page(as_role, meeting):
    client = as_role("member")
    response = client.post(f"/events/{meeting.slug}/register/", follow=True)
    assert "You are registered for this meeting." in response.content.decode()
    assert "Cancel my registration" in response.content.decode()
    response = client.post(f"/events/{meeting.slug}/cancel/", follow=True)
    assert "Your registration is cancelled." in response.content.decode()
    assert Registration.objects.get().state == "cancelled"


def test_registering_twice_is_a_409_with_the_reason(as_role, meeting):
    client = as_role("member")
    client.post(f"/events/{meeting.slug}/register/")
    response = client.post(f"/events/{meeting.slug}/register/")
    assert response.status_code == 409
    assert "already registered" in response.content.decode()
    assert Registration.objects.count() == 1


def test_registering_after_the_meeting_is_a_409(as_role):
    past = MeetingFactory(past=True)
    response = as_role("member").post(f"/events/{past.slug}/register/")
    assert response.status_code == 409
    assert "registration is closed" in response.content.decode()
    assert not Registration.objects.exists()


def test_anonymous_people_are_sent_to_sign_in_to_register(client, meeting):
    response = client.post(f"/events/{meeting.slug}/register/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert not Registration.objects.exists()


def test_a_full_meeting_offers_the_waiting_list_and_shows_the_position(as_role):
    full = MeetingFactory(capacity=1)
    RegistrationFactory(meeting=full)
    RegistrationFactory(meeting=full, state="waiting")
    client = as_role("member")
    assert "Join the waiting list" in client.get(f"/events/{full.slug}/").content.decode()
    response = client.post(f"/events/{full.slug}/register/", follow=True)
    html = response.content.decode()
    assert "you are on the waiting list" in html
    assert "number 2" in html


def test_a_member_proposes_a_session_through_the_form(as_role, meeting, speaker, member):
    with_orcid(member)
    response = as_role("member").post(
        f"/events/{meeting.slug}/propose/",
        {
            "title": "Affiliations via the member API",
            "abstract": "How we did it.",
            "co_speakers": f"https://orcid.org/{speaker.orcid_id}",
        },
    )
    session = Session.objects.get()
    assert response.status_code == 302
    assert response["Location"] == session.get_absolute_url()
    assert session.speakers.count() == 2


def test_a_proposal_with_no_fields_shows_what_is_missing(as_role, meeting):
    response = as_role("member").post(f"/events/{meeting.slug}/propose/", {})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not Session.objects.exists()


@pytest.mark.parametrize("typed_by_someone", [False, True])
def test_a_co_speaker_without_that_verified_id_is_a_400_and_saves_nothing(
    as_role, meeting, member, typed_by_someone
):
    with_orcid(member)
    if typed_by_someone:  # an iD typed on a profile before iDs were proved names nobody
        UserFactory(name="Typed Only", unverified_orcid_id="0000-0002-1825-0097")
    response = as_role("member").post(
        f"/events/{meeting.slug}/propose/",
        {"title": "T", "abstract": "A", "co_speakers": "0000-0002-1825-0097"},
    )
    assert response.status_code == 400
    assert "has connected the ORCID iD 0000-0002-1825-0097" in response.content.decode()
    assert not Session.objects.exists()


def test_a_proposer_without_a_verified_id_is_told_to_connect_orcid(as_role, meeting):
    client = as_role("member")
    page = client.get(f"/events/{meeting.slug}/propose/").content.decode()
    assert 'href="/accounts/3rdparty/"' in page
    response = client.post(f"/events/{meeting.slug}/propose/", {"title": "T", "abstract": "A"})
    assert response.status_code == 400
    assert "Every speaker needs a verified ORCID iD" in response.content.decode()
    assert not Session.objects.exists()


def test_a_proposal_after_the_call_closed_is_a_409(as_role):
    closed = MeetingFactory(call_closed=True)
    client = as_role("member")
    assert client.get(f"/events/{closed.slug}/propose/").status_code == 409
    response = client.post(
        f"/events/{closed.slug}/propose/", {"title": "Late", "abstract": "Too late."}
    )
    assert response.status_code == 409
    assert "call for sessions of this meeting is not open" in response.content.decode()
    assert not Session.objects.exists()


def review(client, meeting, proposal, **data):
    return client.post(f"/events/{meeting.slug}/proposals/{proposal.pk}/", data)


def test_a_reviewer_accepts_with_times_in_the_meetings_time_zone(
    as_role, meeting, programme, reviewer, django_capture_on_commit_callbacks
):
    reviewer.time_zone = "America/Los_Angeles"  # the reviewer's own zone plays no part
    reviewer.save()
    _on, proposal = programme
    start = meeting.starts_at.astimezone(meeting.tz) + timedelta(hours=3)
    with django_capture_on_commit_callbacks(execute=True):
        response = review(
            as_role("reviewer"),
            meeting,
            proposal,
            action="accept",
            **{
                "accept-starts_at": start.strftime("%Y-%m-%dT%H:%M"),
                "accept-ends_at": (start + timedelta(minutes=45)).strftime("%Y-%m-%dT%H:%M"),
                "accept-room": "Hall B",
            },
        )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.state == "accepted"
    assert proposal.starts_at.astimezone(meeting.tz).strftime("%H:%M") == start.strftime("%H:%M")
    assert proposal.starts_at.utcoffset() is not None
    assert len(mail.outbox) == 1


def test_an_overlapping_slot_is_a_409_with_the_clash_named(as_role, meeting, programme):
    on, proposal = programme
    start = on.starts_at.astimezone(meeting.tz) + timedelta(minutes=30)
    response = review(
        as_role("staff"),
        meeting,
        proposal,
        action="accept",
        **{
            "accept-starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "accept-ends_at": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "accept-room": on.room,
        },
    )
    assert response.status_code == 409
    assert "is already taken at that time by “Sign in with ORCID”" in response.content.decode()
    assert Session.objects.get(pk=proposal.pk).state == "proposed"


def test_declining_without_a_note_is_a_400(as_role, meeting, programme):
    _on, proposal = programme
    response = review(as_role("staff"), meeting, proposal, action="decline", **{"decline-note": ""})
    assert response.status_code == 400
    assert Session.objects.get(pk=proposal.pk).state == "proposed"


@pytest.mark.parametrize("role", ["member", "speaker", "bare_staff"])
def test_reviewing_without_the_right_is_a_403_and_changes_nothing(
    as_role, role, meeting, programme
):
    _on, proposal = programme
    response = review(as_role(role), meeting, proposal, action="decline", **{"decline-note": "No"})
    assert response.status_code == 403
    assert Session.objects.get(pk=proposal.pk).state == "proposed"


def test_speakers_add_slides_once_the_session_started_and_others_cannot(as_role, staff):
    speaker = UserFactory()
    past = SessionFactory(meeting=MeetingFactory(past=True), speakers=[speaker])
    url = f"/events/{past.meeting.slug}/sessions/{past.pk}/slides/"
    client = as_role("member")
    assert client.post(url, {"slides_url": "https://example.org/s"}).status_code == 403
    client.force_login(speaker)
    assert client.post(url, {"slides_url": "https://example.org/s"}).status_code == 302
    assert Session.objects.get(pk=past.pk).slides_url == "https://example.org/s"
    assert client.post(url, {"slides_url": "not a link"}).status_code == 400


def test_slides_before_the_session_are_refused(as_role, meeting, programme):
    on, _proposal = programme
    response = as_role("speaker").post(
        f"/events/{meeting.slug}/sessions/{on.pk}/slides/", {"slides_url": "https://e.org/s"}
    )
    assert response.status_code == 409
    assert Session.objects.get(pk=on.pk).slides_url == ""


@pytest.mark.parametrize(
    ("role", "status"), [("member", 403), ("reviewer", 403), ("bare_staff", 403), ("staff", 302)]
)
def test_only_staff_mark_a_session_held_through_the_page(as_role, role, status):
    past = SessionFactory(meeting=MeetingFactory(past=True))
    response = as_role(role).post(f"/events/{past.meeting.slug}/sessions/{past.pk}/held/")
    assert response.status_code == status
    assert Contribution.objects.count() == (1 if status == 302 else 0)


# --- Constant queries ----------------------------------------------------------------------


# The header's to-do count on a signed-in person's page: their groups (for the forums
# they moderate) and the count itself (orcid_community.todo), whatever the data size.
TODO_COUNT = 2


def populate(n: int) -> None:
    for i in range(n):
        meeting = MeetingFactory(region=["americas", "emea", "apac"][i % 3], past=i % 2 == 0)
        for j in range(n):
            SessionFactory(
                meeting=meeting,
                room=f"Room {j}",
                speakers=UserFactory.create_batch(2),
            )
            RegistrationFactory(meeting=meeting)


@pytest.mark.parametrize("role", ["anonymous", "reviewer"])
@pytest.mark.parametrize("size", [1, 6])
def test_the_list_page_runs_a_fixed_number_of_queries(
    as_role, role, size, django_assert_max_num_queries
):
    populate(size)
    client = as_role(role)
    with django_assert_max_num_queries(5 + (0 if role == "anonymous" else TODO_COUNT)):
        assert client.get("/events/").status_code == 200


@pytest.mark.parametrize("role", ["anonymous", "speaker", "reviewer", "staff"])
@pytest.mark.parametrize("size", [1, 8])
def test_the_detail_pages_run_a_fixed_number_of_queries(
    as_role, role, size, meeting, speaker, people, django_assert_max_num_queries
):
    for j in range(size):
        SessionFactory(meeting=meeting, room=f"Room {j}", speakers=[speaker, UserFactory()])
        SessionFactory(meeting=meeting, proposal=True, speakers=UserFactory.create_batch(2))
        RegistrationFactory(meeting=meeting)
    RegistrationFactory(meeting=meeting, user=people.get(role, speaker), state="waiting")
    session = meeting.sessions.filter(state="accepted").first()
    client = as_role(role)
    for url in (
        f"/events/{meeting.slug}/",
        f"/events/{meeting.slug}/calendar.ics",
        f"/events/{meeting.slug}/sessions/{session.pk}/",
    ):
        with django_assert_max_num_queries(12 + TODO_COUNT):
            assert client.get(url).status_code == 200
    if role in ("reviewer", "staff"):
        proposal = meeting.sessions.filter(state="proposed").first()
        for url in (
            f"/events/{meeting.slug}/proposals/",
            f"/events/{meeting.slug}/proposals/{proposal.pk}/",
        ):
            with django_assert_max_num_queries(12 + TODO_COUNT):
                assert client.get(url).status_code == 200


def test_staff_manage_meetings_sessions_and_registrations_in_the_admin(client, meeting, programme):
    admin = with_two_factor(UserFactory(is_staff=True, is_superuser=True))
    RegistrationFactory(meeting=meeting)
    client.force_login(admin)
    on, _proposal = programme
    for url in (
        "/admin/events/meeting/",
        f"/admin/events/meeting/{meeting.pk}/change/",
        "/admin/events/meeting/add/",
        f"/admin/events/session/{on.pk}/change/",
        "/admin/events/registration/",
    ):
        assert client.get(url).status_code == 200, url


def test_raising_the_capacity_in_the_admin_moves_the_waiting_list_up(client):
    full = MeetingFactory(capacity=1)
    RegistrationFactory(meeting=full)
    waiting = RegistrationFactory(meeting=full, state="waiting")
    client.force_login(with_two_factor(UserFactory(is_staff=True, is_superuser=True)))
    data = {
        "title": full.title,
        "slug": full.slug,
        "region": full.region,
        "starts_at_0": full.starts_at.strftime("%Y-%m-%d"),
        "starts_at_1": full.starts_at.strftime("%H:%M:%S"),
        "ends_at_0": full.ends_at.strftime("%Y-%m-%d"),
        "ends_at_1": full.ends_at.strftime("%H:%M:%S"),
        "time_zone": full.time_zone,
        "place": full.place,
        "online_url": "",
        "description": full.description,
        "capacity": 2,
        "call_opens_at_0": "",
        "call_opens_at_1": "",
        "call_closes_at_0": "",
        "call_closes_at_1": "",
        "sessions-TOTAL_FORMS": 0,
        "sessions-INITIAL_FORMS": 0,
        "sessions-MIN_NUM_FORMS": 0,
        "sessions-MAX_NUM_FORMS": 1000,
    }
    response = client.post(f"/admin/events/meeting/{full.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    waiting.refresh_from_db()
    assert waiting.state == "confirmed"


def _session_admin_post(session, note):
    speakers = list(session.speakers.all())
    data = {
        "title": session.title,
        "abstract": session.abstract,
        "slides_url": "",
        "review_note": note,
        "proposed_at_0": session.proposed_at.strftime("%Y-%m-%d"),
        "proposed_at_1": session.proposed_at.strftime("%H:%M:%S"),
        "speakers-TOTAL_FORMS": len(speakers),
        "speakers-INITIAL_FORMS": len(speakers),
        "speakers-MIN_NUM_FORMS": 0,
        "speakers-MAX_NUM_FORMS": 1000,
    }
    for i, speaker in enumerate(speakers):
        data[f"speakers-{i}-id"] = speaker.pk
        data[f"speakers-{i}-session"] = session.pk
        data[f"speakers-{i}-position"] = speaker.position
    return data


def test_the_admin_keeps_the_note_of_a_declined_session(client, meeting):
    declined = SessionFactory(
        meeting=meeting, proposal=True, state="declined", review_note="Out of scope."
    )
    client.force_login(with_two_factor(UserFactory(is_staff=True, is_superuser=True)))
    url = f"/admin/events/session/{declined.pk}/change/"
    response = client.post(url, _session_admin_post(declined, "  "))
    assert response.status_code == 200
    assert "Tell the speakers why the proposal is declined." in response.content.decode()
    declined.refresh_from_db()
    assert declined.review_note == "Out of scope."
    response = client.post(url, _session_admin_post(declined, "Out of scope this year."))
    assert response.status_code == 302
    declined.refresh_from_db()
    assert declined.review_note == "Out of scope this year."


def test_the_admin_clears_the_note_of_an_accepted_session(client, meeting):
    accepted = SessionFactory(meeting=meeting, review_note="Welcome!")
    client.force_login(with_two_factor(UserFactory(is_staff=True, is_superuser=True)))
    response = client.post(
        f"/admin/events/session/{accepted.pk}/change/", _session_admin_post(accepted, "")
    )
    assert response.status_code == 302
    accepted.refresh_from_db()
    assert accepted.review_note == ""


def test_staff_status_alone_edits_no_meeting_in_the_admin(client, meeting):
    viewer = with_two_factor(
        grant(
            UserFactory(is_staff=True),
            "events.view_meeting",
            "events.add_meeting",
            "events.change_meeting",
        )
    )
    client.force_login(viewer)
    assert client.get("/admin/events/meeting/add/").status_code == 403
    response = client.post(f"/admin/events/meeting/{meeting.pk}/change/", {"capacity": 1})
    assert response.status_code == 403
    meeting.refresh_from_db()
    assert meeting.capacity == 50
