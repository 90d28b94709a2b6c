"""Demo forums for `manage.py seed_demo` (idempotent: forums by slug, topics by title).

Seed data is history, not people acting now: rows are written directly (no rate limit, no
mail), then the services' own recount and search-index helpers bring counters and search
vectors in line.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.utils import timezone

from contributors.selectors import groups_overview
from core.i18n import fill_translations
from core.markdown import render_markdown
from forums import services
from forums.models import Flag, Forum, IdeaStatus, IdeaStatusChange, Post, Subscription, Topic, Vote

API_TOPICS = [
    (
        "Three-legged OAuth: redirect_uri mismatch",
        "authentication",
        "I get `redirect_uri_mismatch` from the ORCID OAuth server although the URI is registered on my ORCID client. Is the trailing slash significant?",
    ),
    (
        "/authenticate scope vs /read-limited",
        "authentication",
        "For sign-in only, is the `/authenticate` scope enough, or do I need `/read-limited` to get the ORCID iD and name?",
    ),
    (
        "Refresh tokens on the ORCID member API",
        "authentication",
        "How long do ORCID access tokens live and can I refresh them without asking the researcher again?",
    ),
    (
        "OpenID Connect id_token with ORCID",
        "authentication",
        "Does ORCID support OpenID Connect? I would like to validate the `id_token` signature with the published JWKS.",
    ),
    (
        "Implicit flow deprecated?",
        "authentication",
        "Our single-page app uses the implicit OAuth flow against ORCID. Should we move to PKCE?",
    ),
    (
        "Revoking a token when a researcher disconnects",
        "authentication",
        "What is the right ORCID API call to revoke a token when someone disconnects our integration?",
    ),
    (
        "read-public: 2-step client credentials token",
        "read-public",
        "I request a `/read-public` token with client credentials, but searching returns 403. What am I missing?",
    ),
    (
        "Searching ORCID records by affiliation ROR ID",
        "read-public",
        "Can the ORCID public API search by `ror-org-id`? I'd like every record affiliated with 02mhbdp94.",
    ),
    (
        "Paging through expanded-search results",
        "read-public",
        "The ORCID expanded-search endpoint returns 1000 rows at most. How do I page beyond 10,000 results?",
    ),
    (
        "Rate limits of the public API",
        "read-public",
        "What are the ORCID public API rate limits (requests per second and burst)? We get 503 during nightly harvests.",
    ),
    (
        "Reading works in bulk",
        "read-public",
        "Is there a bulk endpoint to read many ORCID works at once, or should I use the /works/{put-codes} call?",
    ),
    (
        "Public data file vs API",
        "read-public",
        "For analytics on all ORCID records, is the annual public data file better than harvesting the API?",
    ),
    (
        "JSON vs XML in API 3.0",
        "read-public",
        "Are all fields of the ORCID 3.0 XML schema available in JSON too? The `citation` element looks different.",
    ),
    (
        "Why is my record's email not in the API response?",
        "read-public",
        "My ORCID record shows my email but the public API does not return it. Visibility settings?",
    ),
    (
        "Webhooks: registering a callback",
        "webhooks",
        "How do I register an ORCID webhook for record changes, and which scope does it need?",
    ),
    (
        "Webhook payload is empty",
        "webhooks",
        "Our ORCID webhook callback receives a POST with no body. Is that expected, and how do we know what changed?",
    ),
    (
        "Webhooks retry policy",
        "webhooks",
        "If our endpoint is down, does ORCID retry webhook notifications? For how long?",
    ),
    (
        "Webhooks for thousands of records",
        "webhooks",
        "We track 40,000 ORCID iDs. Is there a limit on webhook registrations per client?",
    ),
    (
        "Verifying webhook requests",
        "webhooks",
        "Can we verify that a webhook request really comes from ORCID (signature, IP range)?",
    ),
    (
        "Sandbox account emails never arrive",
        "sandbox",
        "In the ORCID sandbox, verification emails go to mailinator only? Our test users never get them.",
    ),
    (
        "Sandbox data reset",
        "sandbox",
        "Is the ORCID sandbox reset regularly? Our test records disappeared.",
    ),
    (
        "Member API credentials in the sandbox",
        "sandbox",
        "How do we get ORCID member API credentials for the sandbox to test adding works?",
    ),
    (
        "Sandbox vs production base URLs",
        "sandbox",
        "We mixed `sandbox.orcid.org` and `api.sandbox.orcid.org`. Which is for OAuth and which for the API?",
    ),
    (
        "Test iD 4444-4444-4444-4446 returns 404",
        "sandbox",
        "The documented sandbox test iD 4444-4444-4444-4446 gives 404 on the public API. Is it still valid?",
    ),
    (
        "Adding works with a put-code",
        "member API",
        "After POSTing a work to an ORCID record we get a put-code. Should we store it to update the work later?",
    ),
    (
        "Duplicate works from two sources",
        "member API",
        "Our CRIS and Crossref both add the same work to ORCID records. How does grouping by DOI work?",
    ),
    (
        "Affiliations: department field",
        "member API",
        "Can we write an employment affiliation with a department and ROR ID through the ORCID member API?",
    ),
    (
        "Peer review items via the API",
        "member API",
        "What fields are required to add a peer review to an ORCID record?",
    ),
    (
        "Error 409 when updating a work",
        "member API",
        "Updating a work returns 409 conflict from ORCID. The put-code is right. What conflicts?",
    ),
    (
        "Funding items with grant numbers",
        "member API",
        "How should grant numbers be sent in ORCID funding items so they are linked to the funder?",
    ),
    (
        "ORCID iD checksum validation in Python",
        "libraries",
        "Here is a Python function for the ORCID iD MOD 11-2 check character; corrections welcome.\n\n```python\ndef check(base):\n    total = 0\n    for d in base:\n        total = (total + int(d)) * 2\n    r = (12 - total % 11) % 11\n    return 'X' if r == 10 else str(r)\n```",
    ),
    (
        "A Java client for API 3.0?",
        "libraries",
        "Is there a maintained Java client library for the ORCID API 3.0?",
    ),
]

REPLIES = [
    "Same problem here; following this thread.",
    "Check the ORCID API tutorials: the scope must be requested explicitly.",
    "This is documented in the ORCID API guide, section on tokens. It worked for us after re-registering the client.",
    "We solved it by URL-encoding the redirect URI exactly as registered with ORCID.",
    "Thanks, that fixed it!",
]

IDEAS = [
    ("Dark mode for the ORCID Registry", IdeaStatus.PLANNED),
    ("Show ROR IDs on affiliation lists", IdeaStatus.DONE),
    ("Bulk export of my works as BibTeX", IdeaStatus.IN_PROGRESS),
    ("Webhook signature header", IdeaStatus.UNDER_REVIEW),
    ("GraphQL endpoint for the public API", IdeaStatus.DECLINED),
    ("Notify me when a trusted party adds a work", IdeaStatus.NEW),
    ("Let researchers pin featured works", IdeaStatus.PLANNED),
    ("Chinese and Russian name transliteration help", IdeaStatus.UNDER_REVIEW),
    ("Keyboard shortcuts in the record editor", IdeaStatus.NEW),
    ("Show citation counts next to works", IdeaStatus.DECLINED),
    ("Sandbox: reset my test records on demand", IdeaStatus.NEW),
    ("CSV import of peer reviews", IdeaStatus.NEW),
    ("Public API: filter works by year", IdeaStatus.IN_PROGRESS),
    ("Two-factor authentication with WebAuthn keys", IdeaStatus.PLANNED),
    ("A status page for the ORCID API", IdeaStatus.DONE),
    ("Longer-lived sandbox credentials", IdeaStatus.NEW),
    ("Affiliation start dates with day precision", IdeaStatus.UNDER_REVIEW),
    ("Let consortia see their members' integrations", IdeaStatus.NEW),
    ("OpenAPI description for the member API", IdeaStatus.DONE),
    ("Emoji reactions in the forums", IdeaStatus.DECLINED),
    ("Import works from DataCite by ORCID iD", IdeaStatus.IN_PROGRESS),
    ("Dark mode for the ORCID Registry (duplicate)", IdeaStatus.NEW),
]


# The forums in the portal's other languages, by slug (English is in the seed below); a
# group's forum is named as its group is in each language.
LANGUAGES = ("es", "pt_br", "ru", "zh_hans", "zh_hant")
FORUM_TRANSLATIONS = {
    "api-users": {
        "name_es": "Usuarios de la API de ORCID",
        "name_pt_br": "Usuários da API do ORCID",
        "name_ru": "Пользователи API ORCID",
        "name_zh_hans": "ORCID API 用户",
        "name_zh_hant": "ORCID API 使用者",
        "description_es": "La lista ORCID API Users: preguntas y respuestas sobre las API de "
        "ORCID. Las publicaciones también se envían por correo a los suscriptores de la lista.",
        "description_pt_br": "A lista ORCID API Users: perguntas e respostas sobre as APIs do "
        "ORCID. As publicações também são enviadas por e-mail aos assinantes da lista.",
        "description_ru": "Список рассылки ORCID API Users: вопросы и ответы об API ORCID. "
        "Сообщения также приходят по почте подписчикам списка.",
        "description_zh_hans": "ORCID API Users 邮件列表：关于 ORCID API 的问答。"
        "帖子也会通过邮件发送给列表的订阅者。",
        "description_zh_hant": "ORCID API Users 郵件列表：關於 ORCID API 的問答。"
        "貼文也會透過郵件寄送給列表的訂閱者。",
    },
    "ideas": {
        "description_es": "Propón ideas para ORCID y vota por las que más quieras.",
        "description_pt_br": "Proponha ideias para o ORCID e vote nas que você mais deseja.",
        "description_ru": "Предлагайте идеи для ORCID и голосуйте за самые нужные вам.",
        "description_zh_hans": "为 ORCID 提出想法，并为您最想要的想法投票。",
        "description_zh_hant": "為 ORCID 提出想法，並為您最想要的想法投票。",
    },
    "technical-steering-group": {
        "description_es": "Privado para los miembros del grupo directivo.",
        "description_pt_br": "Privado para os membros do grupo diretor.",
        "description_ru": "Доступен только участникам руководящей группы.",
        "description_zh_hans": "仅限指导小组成员。",
        "description_zh_hant": "僅限指導小組成員。",
    },
    "member-api-working-group": {
        "description_es": "Debates del grupo de trabajo de la API para miembros.",
        "description_pt_br": "Discussões do grupo de trabalho da API de membros.",
        "description_ru": "Обсуждения рабочей группы по API для участников.",
        "description_zh_hans": "会员 API 工作组的讨论。",
        "description_zh_hant": "會員 API 工作小組的討論。",
    },
    "documentation-working-group": {
        "description_es": "Debates del grupo de trabajo de documentación.",
        "description_pt_br": "Discussões do grupo de trabalho de documentação.",
        "description_ru": "Обсуждения рабочей группы по документации.",
        "description_zh_hans": "文档工作组的讨论。",
        "description_zh_hant": "文件工作小組的討論。",
    },
}


def _translate(forum: Forum, group=None) -> None:
    texts = dict(FORUM_TRANSLATIONS.get(forum.slug, {}))
    if group is not None:
        texts.update({f"name_{lang}": getattr(group, f"name_{lang}") for lang in LANGUAGES})
    fill_translations(forum, texts)


def _topic(forum, author, title, body, *, when, replies=(), repliers=()):
    topic = Topic.objects.filter(forum=forum, title=title).first()
    if topic is not None:
        return topic, False
    topic = Topic.objects.create(
        forum=forum,
        title=title,
        author=author,
        last_post_at=when,
        last_post_author=author,
        status=IdeaStatus.NEW if forum.is_ideas else "",
    )
    first = Post.objects.create(
        topic=topic, author=author, body=body, body_html=render_markdown(body), is_first=True
    )
    posts = [first]
    for text, who in zip(replies, itertools.cycle(repliers or [author]), strict=False):
        posts.append(
            Post.objects.create(topic=topic, author=who, body=text, body_html=render_markdown(text))
        )
    latest = timezone.now()
    for n, post in enumerate(posts):
        # Replies three hours apart, but never in the future: the last ones a minute apart.
        created = min(when + timedelta(hours=3 * n), latest - timedelta(minutes=len(posts) - n))
        Post.objects.filter(pk=post.pk).update(created_at=created)
        services.post_index(post, title if post.is_first else "")
    Topic.objects.filter(pk=topic.pk).update(created_at=when)
    topic.created_at = when
    Subscription.objects.get_or_create(user=author, topic=topic)
    services.topic_refresh(topic)
    return topic, True


def _forum(slug, **fields):
    forum = Forum.objects.filter(slug=slug).first()
    return forum or services.forum_create(slug=slug, **fields)


def seed(stdout, context: dict) -> None:
    people = context["people"]
    everyone = list(people.values())
    now = timezone.now()

    api = _forum(
        "api-users",
        name="ORCID API Users",
        kind=Forum.Kind.API_USERS,
        position=1,
        description="The ORCID API Users list: questions and answers about the ORCID APIs. "
        "Posts also go out by mail to the list's subscribers.",
    )
    ideas = _forum(
        "ideas",
        name="iDeas",
        kind=Forum.Kind.IDEAS,
        position=2,
        description="Propose ideas for ORCID and vote on the ones you want most.",
    )
    group_forums = []
    for position, group in enumerate(groups_overview(), start=3):
        forum = Forum.objects.filter(group=group).first() or _forum(
            group.slug,
            name=group.name,
            kind=Forum.Kind.GROUP,
            group=group,
            position=position,
            is_private=group.kind == "steering",
            description=(
                "Private to the members of the steering group."
                if group.kind == "steering"
                else f"Discussions of the {group.name}."
            ),
        )
        _translate(forum, group)
        group_forums.append(forum)
    _translate(api)
    _translate(ideas)

    askers = [people[k] for k in ("user", "member", "lead", "contributor2", "contributor")]
    helpers = [people[k] for k in ("devstaff", "ost", "contributor", "staff")]
    created = 0
    for n, (title, subject, body) in enumerate(API_TOPICS):
        when = now - timedelta(days=60 - n * 2, hours=n)
        topic, new = _topic(
            api,
            askers[n % len(askers)],
            title,
            f"{body}\n\n*Subject: {subject}*",
            when=when,
            replies=REPLIES[: 1 + n % len(REPLIES)],
            repliers=helpers[n % len(helpers) :] + helpers[: n % len(helpers)],
        )
        created += new
        if new and n % 3 == 0 and topic.reply_count:
            answer = topic.posts.filter(is_first=False).order_by("created_at").last()
            Topic.objects.filter(pk=topic.pk).update(accepted_post=answer)
        if new and n == 0:
            Topic.objects.filter(pk=topic.pk).update(is_pinned=True)
        if new and n == 5:
            Topic.objects.filter(pk=topic.pk).update(is_locked=True)

    # A flagged reply waiting in the review queue, and a spam post hidden after three flags.
    spam_topic, new = _topic(
        api,
        people["user"],
        "Is the ORCID API free for non-members?",
        "We are a small repository. Can we use the ORCID public API without membership?",
        when=now - timedelta(days=3),
        replies=["Yes, the public API is free for non-commercial use. See the ORCID docs."],
        repliers=[people["devstaff"]],
    )
    if new:
        reply = spam_topic.posts.filter(is_first=False).first()
        Flag.objects.get_or_create(
            post=reply,
            user=people["member"],
            defaults={"reason": Flag.Reason.OTHER, "note": "Is this still true?"},
        )
        spam = Post.objects.create(
            topic=spam_topic,
            author=people["contributor2"],
            body="Cheap ORCID integration services!!! Visit our site.",
            body_html=render_markdown("Cheap ORCID integration services!!! Visit our site."),
            is_hidden=True,
            hidden_reason=Post.HiddenReason.FLAGS,
        )
        for key in ("member", "lead", "user"):
            Flag.objects.get_or_create(
                post=spam, user=people[key], defaults={"reason": Flag.Reason.SPAM}
            )
        services.post_index(spam)
        services.topic_refresh(spam_topic)

    deciders = people["staff"]
    for n, (title, status) in enumerate(IDEAS):
        when = now - timedelta(days=90 - n * 4)
        idea, new = _topic(
            ideas,
            everyone[n % len(everyone)],
            title,
            f"It would help ORCID users a lot: {title.lower()}.",
            when=when,
            replies=REPLIES[: n % 3],
            repliers=everyone[::-1],
        )
        created += new
        if not new:
            continue
        for voter in everyone[: (n * 7) % len(everyone) + 1]:
            Vote.objects.get_or_create(idea=idea, user=voter)
        idea.vote_count = Vote.objects.filter(idea=idea).count()
        fields = {"vote_count": idea.vote_count}
        if status != IdeaStatus.NEW:
            note = {
                IdeaStatus.UNDER_REVIEW: "The product team is looking at this.",
                IdeaStatus.PLANNED: "Planned for the next quarter.",
                IdeaStatus.IN_PROGRESS: "Work has started; follow the changelog.",
                IdeaStatus.DONE: "Released. Thank you for voting!",
                IdeaStatus.DECLINED: "Not on our roadmap: it does not fit ORCID's scope.",
            }[status]
            IdeaStatusChange.objects.create(
                idea=idea,
                old_status=IdeaStatus.NEW,
                new_status=status,
                note=note,
                changed_by=deciders,
            )
            fields.update(status=status, status_note=note)
        Topic.objects.filter(pk=idea.pk).update(**fields)

    for forum in group_forums:
        members = everyone[:6]
        _topic(
            forum,
            people["chair"],
            f"Agenda of the next {forum.name} meeting",
            "Proposed agenda:\n\n1. ORCID API roadmap\n2. Working group reports\n3. Any other business",
            when=now - timedelta(days=10),
            replies=["Could we add the webhooks proposal?", "Added, thanks."],
            repliers=members[1:] + [people["chair"]],
        )

    for forum in [api, ideas, *group_forums]:
        services.forum_refresh(forum)
    stdout.write(f"  forums: {2 + len(group_forums)} forums, {created} new topics and ideas")
