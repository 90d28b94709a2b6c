"""Search: finds posts by their words (full-text on PostgreSQL), filters, never a 500."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from forums import services
from forums.models import Post

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus(forum, ideas, author):
    webhooks = services.topic_create(
        forum=forum,
        by=author,
        title="Webhooks for record updates",
        body="How do I register a webhook for ORCID record changes?",
    )
    sandbox = services.topic_create(
        forum=forum,
        by=author,
        title="Sandbox credentials",
        body="The sandbox returns invalid_client for my client credentials.",
    )
    idea = services.topic_create(
        forum=ideas, by=author, title="Webhook retries", body="Retry webhooks that fail."
    )
    return {"webhooks": webhooks, "sandbox": sandbox, "idea": idea}


def link(topic) -> str:
    return f'href="/forums/p/{topic.posts.get(is_first=True).pk}/"'


def test_search_finds_posts_by_their_words_and_highlights_them(client, corpus):
    response = client.get("/forums/search/?q=sandbox")
    page = response.content.decode()
    assert response.status_code == 200
    assert link(corpus["sandbox"]) in page
    assert link(corpus["webhooks"]) not in page
    assert "<mark>Sandbox</mark> credentials" in page


def test_search_filters_by_forum_and_dates(client, corpus, forum):
    webhooks, idea = link(corpus["webhooks"]), link(corpus["idea"])
    in_forum = client.get(f"/forums/search/?q=webhook&forum={forum.slug}").content.decode()
    assert webhooks in in_forum
    assert idea not in in_forum
    Post.objects.filter(topic=corpus["idea"]).update(created_at=timezone.now() - timedelta(days=40))
    since = (timezone.now() - timedelta(days=7)).date().isoformat()
    recent = client.get(f"/forums/search/?q=webhook&since={since}").content.decode()
    assert webhooks in recent
    assert idea not in recent
    until = (timezone.now() - timedelta(days=30)).date().isoformat()
    old = client.get(f"/forums/search/?q=webhook&until={until}").content.decode()
    assert idea in old
    assert webhooks not in old


def test_hidden_posts_are_not_found(client, corpus, staff):
    services.post_hide(post=corpus["sandbox"].posts.get(), by=staff)
    assert link(corpus["sandbox"]) not in client.get("/forums/search/?q=sandbox").content.decode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="stemming is PostgreSQL's")
def test_postgresql_search_is_stemmed_and_ranks_title_matches_first(client, forum, author):
    in_body = services.topic_create(
        forum=forum, by=author, title="Help please", body="My tokens expired."
    )
    in_title = services.topic_create(
        forum=forum, by=author, title="Expiring tokens", body="Help please."
    )
    page = client.get("/forums/search/?q=token+expires").content.decode()
    assert page.index(link(in_title)) < page.index(link(in_body))


HOSTILE = [
    '"unclosed quote',
    "webhook & | ! ( ) :* <-> '",
    "a\x00b",
    "\x00",
    "x" * 10_000,
    "webhook " * 2000,
    "<script>alert(1)</script>",
    "' OR 1=1; DROP TABLE forums_post; --",
    "%_%",
    "\\",
    "\ue000marker\ue001",
    "!!!",
    "-",
]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_answer_200_never_500(client, corpus, q):
    response = client.get("/forums/search/", {"q": q})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_bad_filters_get_a_clear_400(client, corpus):
    assert client.get("/forums/search/?q=x&since=yesterday").status_code == 400
    assert client.get("/forums/search/?q=x&since=2025-02-01&until=2025-01-01").status_code == 400
    assert client.get("/forums/search/?q=x&forum=nope").status_code == 400
    assert client.get("/forums/search/?q=x&page=zz").status_code == 200


def test_an_empty_query_shows_the_form(client):
    response = client.get("/forums/search/")
    assert response.status_code == 200
    assert "Results" not in response.content.decode()


def test_excerpts_escape_post_text(client, forum, author):
    services.topic_create(
        forum=forum, by=author, title="Escaping", body="orcid <img src=x onerror=alert(1)>"
    )
    page = client.get("/forums/search/?q=orcid").content.decode()
    assert "<img src=x" not in page
    assert "&lt;img" in page


def test_a_topic_is_one_result_its_best_post(client, forum, author, reader):
    topic = services.topic_create(
        forum=forum, by=author, title="Where data comes from", body="And affiliations?"
    )
    services.post_create(topic=topic, by=reader, body="Affiliations come from the record.")
    best = services.post_create(
        topic=topic, by=author, body="Affiliations affiliations: employment affiliations."
    )
    other = services.topic_create(
        forum=forum, by=author, title="Other", body="Unrelated affiliations question."
    )
    html = client.get("/forums/search/?q=affiliations").content.decode()
    assert html.count('href="/forums/p/') == 2
    assert link(other) in html
    if connection.vendor == "postgresql":  # the best ranked; SQLite takes the newest
        assert f'href="/forums/p/{best.pk}/"' in html


def test_excerpts_are_the_text_as_read_not_its_markdown(client, forum, author):
    services.topic_create(
        forum=forum,
        by=author,
        title="Formatting",
        body="Use **bold** webhooks, see [the guide](https://example.org/guide) & `code`.",
    )
    html = client.get("/forums/search/?q=webhooks").content.decode()
    excerpt = html.split('class="excerpt">')[1].split("</p>")[0]
    assert "**" not in excerpt
    assert "](" not in excerpt
    assert "example.org" not in excerpt
    assert "`" not in excerpt
    assert "<mark>webhooks</mark>" in excerpt
    assert "the guide" in excerpt
    assert "&amp;" in excerpt  # one escape: neither "&" raw nor "&amp;amp;"


def test_the_search_page_has_one_search_box_and_all_forums_by_default(client, forum):
    html = client.get("/forums/search/").content.decode()
    assert html.count('type="search"') == 1
    assert html.count('role="search"') == 1
    assert '<option value="" selected>All forums</option>' in html
    # Other forum pages keep the box in their navigation.
    assert 'id="subnav-q"' in client.get("/forums/").content.decode()


@pytest.mark.parametrize("q", ["read-public", "read public"])
def test_hyphenated_terms_find_the_compound_word(client, forum, author, q):
    topic = services.topic_create(
        forum=forum,
        by=author,
        title="Scopes",
        body="Which token do I need for the read-public scope?",
    )
    services.topic_create(forum=forum, by=author, title="Other", body="Nothing related.")
    html = client.get("/forums/search/", {"q": q}).content.decode()
    assert link(topic) in html
    assert html.count('href="/forums/p/') == 1


@pytest.mark.parametrize("dates", ["until=9999-12-31", "since=9999-12-31", "since=0001-01-01"])
def test_dates_at_the_ends_of_the_calendar_are_no_500(client, corpus, dates):
    response = client.get(f"/forums/search/?q=sandbox&{dates}")
    assert response.status_code == 200
    found = link(corpus["sandbox"]) in response.content.decode()
    assert found == (dates != "since=9999-12-31")


def test_the_search_markers_typed_into_a_post_never_become_markup(client, forum, author):
    topic = services.topic_create(
        forum=forum, by=author, title="Markers \ue000here\ue001", body="odd \ue000text\ue001"
    )
    first = topic.posts.get()
    assert (topic.title, first.body) == ("Markers here", "odd text")
    html = client.get("/forums/search/?q=odd").content.decode()
    assert html.count("<mark>") == html.count("</mark>") == 1
