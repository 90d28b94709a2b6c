"""Demo data for `manage.py seed_demo`: groups, 30+ contributors, two nominations, briefings.

Idempotent: people are keyed by email, groups by slug, and every step is skipped when
what it would create is already there. State changes go through the services.
"""

from __future__ import annotations

from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.utils import timezone

from accounts.demo import connect_demo_orcid, demo_orcid
from accounts.models import User
from contributors import services
from contributors.models import (
    Agreement,
    Briefing,
    BriefingSubscription,
    Contribution,
    Group,
    Level,
    LevelChange,
    Membership,
    Nomination,
    Profile,
)
from core.i18n import fill_translations

FIRST = ["Amara", "Bruno", "Chloé", "Dmitri", "Elif", "Farid", "Greta", "Hiroshi", "Isabel",
         "Jonas", "Kavya", "Liam", "Marta", "Nikolai", "Olu", "Priya", "Quentin", "Rosa",
         "Sven", "Tariq", "Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zofia", "Arjun",
         "Beatriz", "Chen", "Dagny"]  # fmt: skip
LAST = ["Mensah", "Costa", "Dubois", "Volkov", "Yilmaz", "Haddad", "Schmidt", "Sato",
        "García", "Berg", "Iyer", "O'Brien", "Nowak", "Petrov", "Adeyemi", "Sharma",
        "Lefèvre", "Romero", "Lund", "Aziz", "Rao", "Novak", "Li", "Torres", "Demir",
        "Kowalska", "Menon", "Almeida", "Wei", "Nilsen"]  # fmt: skip
AFFILIATIONS = ["University of Cape Town", "Universidade de Lisboa", "Sorbonne Université",
                "Moscow State University", "Boğaziçi University", "American University of Beirut",
                "TU Berlin", "Kyoto University", "Universidad de Buenos Aires", "Lund University"]  # fmt: skip
TITLES = {
    Contribution.Kind.PATCH: "Fix the {n}th edge case of the works API",
    Contribution.Kind.DOCUMENTATION: "Document the member API, part {n}",
    Contribution.Kind.FORUM: "Answers in the API users forum ({n})",
    Contribution.Kind.HELP: "Helped a consortium with ORCID integration ({n})",
    Contribution.Kind.TALK: "Technical session at an outreach meeting ({n})",
}
KINDS = list(TITLES)

# The groups in the portal's other languages, by slug (English is in the seed below).
GROUP_TRANSLATIONS = {
    "technical-steering-group": {
        "name_es": "Grupo directivo técnico",
        "name_pt_br": "Grupo diretor técnico",
        "name_ru": "Техническая руководящая группа",
        "name_zh_hans": "技术指导小组",
        "name_zh_hant": "技術指導小組",
        "purpose_es": "Asesora a ORCID sobre estrategia y prioridades técnicas, crea grupos de "
        "trabajo y decide las nominaciones al equipo de código abierto.",
        "purpose_pt_br": "Assessora o ORCID em estratégia e prioridades técnicas, cria grupos "
        "de trabalho e decide as indicações para a equipe de código aberto.",
        "purpose_ru": "Консультирует ORCID по технической стратегии и приоритетам, создаёт "
        "рабочие группы и решает, кого принять в команду открытого исходного кода.",
        "purpose_zh_hans": "就技术战略和优先事项为 ORCID 提供建议，组建工作组，并决定开源团队的提名。",
        "purpose_zh_hant": "就技術策略和優先事項為 ORCID 提供建議，成立工作小組，並決定開源團隊的提名。",
    },
    "member-api-working-group": {
        "name_es": "Grupo de trabajo de la API para miembros",
        "name_pt_br": "Grupo de trabalho da API de membros",
        "name_ru": "Рабочая группа по API для участников",
        "name_zh_hans": "会员 API 工作组",
        "name_zh_hant": "會員 API 工作小組",
        "purpose_es": "Revisa los endpoints de afiliaciones de la API para miembros.",
        "purpose_pt_br": "Revisa os endpoints de afiliações da API de membros.",
        "purpose_ru": "Проверяет методы API для участников, работающие с аффилиациями.",
        "purpose_zh_hans": "审查会员 API 的隶属关系端点。",
        "purpose_zh_hant": "審查會員 API 的隸屬關係端點。",
        "deliverables_es": "- Un informe sobre la calidad de los datos de afiliación\n"
        "- Una propuesta de endpoints para la v4",
        "deliverables_pt_br": "- Um relatório sobre a qualidade dos dados de afiliação\n"
        "- Uma proposta de endpoints para a v4",
        "deliverables_ru": "- Отчёт о качестве данных об аффилиациях\n"
        "- Предложение методов для версии 4",
        "deliverables_zh_hans": "- 隶属关系数据质量报告\n- v4 端点提案",
        "deliverables_zh_hant": "- 隸屬關係資料品質報告\n- v4 端點提案",
    },
    "documentation-working-group": {
        "name_es": "Grupo de trabajo de documentación",
        "name_pt_br": "Grupo de trabalho de documentação",
        "name_ru": "Рабочая группа по документации",
        "name_zh_hans": "文档工作组",
        "name_zh_hant": "文件工作小組",
        "purpose_es": "Reescribe los tutoriales de la API para quienes empiezan.",
        "purpose_pt_br": "Reescreve os tutoriais da API para iniciantes.",
        "purpose_ru": "Переписывает руководства по API для новичков.",
        "purpose_zh_hans": "为新手重写 API 教程。",
        "purpose_zh_hant": "為新手重寫 API 教學。",
        "deliverables_es": "- Nuevo tutorial de primeros pasos\n- Glosario de la API traducido",
        "deliverables_pt_br": "- Novo tutorial de primeiros passos\n- Glossário da API traduzido",
        "deliverables_ru": "- Новое руководство для начинающих\n- Переведённый глоссарий API",
        "deliverables_zh_hans": "- 新的入门教程\n- 翻译后的 API 术语表",
        "deliverables_zh_hant": "- 新的入門教學\n- 翻譯後的 API 術語表",
    },
}


def _person(n: int, email: str, name: str, affiliation: str) -> User:
    user, created = User.objects.get_or_create(
        email=email,
        defaults={"name": name, "affiliation": affiliation},
    )
    if created:
        user.set_password(settings.DEMO_PASSWORD)
        user.save(update_fields=["password"])
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return connect_demo_orcid(user, demo_orcid(n))


def _contributions(person: User, staff: User, count: int, *, offset: int, verified=True) -> None:
    if Contribution.objects.filter(user=person).exists():
        return
    today = timezone.localdate()
    for i in range(count):
        kind = KINDS[(i + offset) % len(KINDS)]
        data = {
            "user": person,
            "kind": kind,
            "title": TITLES[kind].format(n=i + 1),
            "date": today - timedelta(days=40 + 97 * i + 13 * offset),
            "link": f"https://github.com/ORCID/ORCID-Source/pull/{1000 + offset * 10 + i}"
            if kind in (Contribution.Kind.PATCH, Contribution.Kind.DOCUMENTATION)
            else "",
        }
        services.contribution_add(by=staff if verified else person, **data)


def _membership(group: Group, user: User, role: str, days_ago: int) -> None:
    if Membership.objects.current().filter(group=group, user=user).exists():
        return
    services.membership_add(
        group=group,
        user=user,
        role=role,
        term_start=timezone.localdate() - timedelta(days=days_ago),
    )


def seed(stdout, context: dict) -> None:
    people = context["people"]
    staff = people["staff"]
    now = timezone.now()

    agreement, _ = Agreement.objects.get_or_create(
        version="2026.1",
        defaults={
            "title": "ORCID open source team agreement",
            "published_at": now - timedelta(days=365),
            "body": (
                "As a member of the ORCID open source team I agree to:\n\n"
                "1. follow ORCID's **development process**: every change goes through a pull "
                "request, is reviewed by another OST member and passes the test suite;\n"
                "2. follow ORCID's security and privacy policies, and report vulnerabilities "
                "privately;\n"
                "3. license my contributions under the project's open source license;\n"
                "4. respect the community's code of conduct."
            ),
        },
    )

    # The steering group: seven members with a current term, one chairing.
    steering, _ = Group.objects.get_or_create(
        slug="technical-steering-group",
        defaults={
            "name": "Technical steering group",
            "kind": Group.Kind.STEERING,
            "purpose": "Advises ORCID on technical strategy and priorities, creates working "
            "groups and decides nominations to the open source team.",
        },
    )
    extra = [
        _person(201, "steering4@example.org", "Nadia Haddad", "American University of Beirut"),
        _person(202, "steering5@example.org", "Carlos Romero", "Universidad de Buenos Aires"),
        _person(203, "steering6@example.org", "Aino Virtanen", "University of Helsinki"),
    ]
    roll = [people["chair"], people["steering1"], people["steering2"], people["steering3"], *extra]
    for i, member in enumerate(roll):
        role = Membership.Role.CHAIR if i == 0 else Membership.Role.MEMBER
        _membership(steering, member, role, days_ago=200 - 10 * i)

    api, _ = Group.objects.get_or_create(
        slug="member-api-working-group",
        defaults={
            "name": "Member API working group",
            "kind": Group.Kind.WORKING,
            "purpose": "Reviews the member API's affiliation endpoints.",
            "deliverables": "- A report on affiliation data quality\n- A proposal for v4 endpoints",
            "starts_on": timezone.localdate() - timedelta(days=90),
            "ends_on": timezone.localdate() + timedelta(days=180),
            "max_members": 8,
        },
    )
    docs, _ = Group.objects.get_or_create(
        slug="documentation-working-group",
        defaults={
            "name": "Documentation working group",
            "kind": Group.Kind.WORKING,
            "purpose": "Rewrites the API tutorials for newcomers.",
            "deliverables": "- New getting-started tutorial\n- Translated API glossary",
            "starts_on": timezone.localdate() - timedelta(days=30),
            "ends_on": timezone.localdate() + timedelta(days=240),
            "max_members": 6,
        },
    )
    for group in (steering, api, docs):
        fill_translations(group, GROUP_TRANSLATIONS[group.slug])
    _membership(api, people["steering2"], Membership.Role.CHAIR, days_ago=90)
    _membership(api, people["contributor2"], Membership.Role.MEMBER, days_ago=90)
    _membership(docs, people["contributor"], Membership.Role.CHAIR, days_ago=30)

    # Contributors at three levels: 30 generated people plus the named demo people.
    _contributions(people["contributor"], staff, 9, offset=1)
    _contributions(people["contributor2"], staff, 6, offset=2)
    _contributions(people["ost"], staff, 12, offset=3)
    for i, member in enumerate(roll):
        _contributions(member, staff, 2 + i % 3, offset=4 + i)
    for i in range(30):
        person = _person(
            300 + i,
            f"contributor{i + 3}@example.org",
            f"{FIRST[i]} {LAST[i]}",
            AFFILIATIONS[i % len(AFFILIATIONS)],
        )
        # Every seventh stays a user: their own contributions wait for staff to verify them.
        _contributions(person, staff, 1 + i % 5, offset=i, verified=i % 7 != 3)
    for key, basis, reason in (
        ("devstaff", LevelChange.Basis.DEVELOPMENT_STAFF, "ORCID development team"),
    ):
        if Profile.objects.filter(user=people[key], level=Level.OST).exists():
            continue
        services.level_set_by_staff(
            user=people[key], level=Level.OST, basis=basis, reason=reason, by=staff
        )
    vendor = User.objects.get(email="contributor10@example.org")
    if not Profile.objects.filter(user=vendor, level=Level.OST).exists():
        services.level_set_by_staff(
            user=vendor,
            level=Level.OST,
            basis=LevelChange.Basis.VENDOR,
            reason="Contracted for the 2026 registry UI work",
            by=staff,
        )

    # One decided nomination: Lucía was approved two months ago and signed the agreement.
    ost = people["ost"]
    if not Nomination.objects.filter(nominee=ost).exists():
        opened = now - timedelta(days=60)
        decided = services.nomination_open(
            nominee=ost,
            rationale="Continued, broad and significant work: patches to the works API, "
            "documentation of the member API, and many answers in the forums.",
            by=staff,
            now=opened,
        )
        for i, member in enumerate(roll):
            choice = "abstain" if i == 6 else "approve"
            services.vote_cast(
                nomination=decided,
                by=member,
                choice=choice,
                comment="Well deserved." if i == 0 else "",
                now=opened + timedelta(days=1, hours=i),
            )
        decided.refresh_from_db()
        services.agreement_sign(
            by=ost,
            nomination=decided,
            agreement_version=agreement.version,
            full_name=ost.name,
            confirmed=True,
            ip_address="192.0.2.10",
            now=opened + timedelta(days=10),
        )

    # One open nomination with some votes so far.
    nominee = people["contributor"]
    if not Nomination.objects.filter(nominee=nominee).exists():
        open_one = services.nomination_open(
            nominee=nominee,
            rationale="Mei has written most of the new member API documentation and chairs "
            "the documentation working group.",
            by=staff,
            now=now - timedelta(days=3),
        )
        services.vote_cast(nomination=open_one, by=roll[1], choice="approve")
        services.vote_cast(
            nomination=open_one,
            by=roll[2],
            choice="reject",
            comment="I would like to see more code contributions first.",
        )
        services.vote_cast(nomination=open_one, by=roll[3], choice="abstain")

    _briefings(steering, api, people)

    levels = dict.fromkeys(Level.values, 0)
    for level in Profile.objects.values_list("level", flat=True):
        levels[level] += 1
    stdout.write(
        f"  contributors: {levels['contributor']} technical contributors, "
        f"{levels['ost']} OST members, {Group.objects.count()} groups, "
        f"{Nomination.objects.count()} nominations, "
        f"{Briefing.objects.published().count()} published briefings"
    )


BRIEFINGS = [
    (
        "steering",
        "chair",
        120,
        "Steering group: priorities for the year",
        "The technical steering group met in March and agreed on three priorities:\n\n"
        "1. **Affiliation data quality**: the member API working group reports by autumn.\n"
        "2. **Documentation for newcomers**: a documentation working group starts now.\n"
        "3. **The open source team**: two nominations are under review.\n\n"
        "Questions are welcome in the steering group's forum.",
    ),
    (
        "steering",
        "chair",
        20,
        "Steering group: OST nomination decided",
        "The steering group approved the nomination of *Lucía Fernández* to the open source "
        "team; she has signed the agreement. Thank you to everyone who voted.",
    ),
    (
        "api",
        "steering2",
        45,
        "Member API working group: first findings",
        "We reviewed 2,000 affiliation records. The most common problems:\n\n"
        "| problem | share |\n| --- | --- |\n| missing ROR ID | 41% |\n"
        "| department in the organization name | 17% |\n\n"
        "Our draft proposal for the v4 endpoints follows next month.",
    ),
]


def _briefings(steering: Group, api: Group, people: dict) -> None:
    """Published briefings (no one is subscribed yet, so nothing is mailed), then readers."""
    groups = {"steering": steering, "api": api}
    now = timezone.now()
    for group_key, author_key, days_ago, title, body in BRIEFINGS:
        group, author = groups[group_key], people[author_key]
        if Briefing.objects.filter(group=group, title=title).exists():
            continue
        briefing = services.briefing_create(group=group, by=author, title=title, body=body)
        services.briefing_publish(briefing=briefing, by=author, now=now - timedelta(days=days_ago))
    for key, group_keys in (
        ("user", ["steering"]),
        ("member", ["steering", "api"]),
        ("contributor2", ["api"]),
        ("ost", ["steering"]),
    ):
        for group_key in group_keys:
            group = groups[group_key]
            if not BriefingSubscription.objects.filter(user=people[key], group=group).exists():
                services.briefing_subscribe(by=people[key], group=group)
