"""Six languages for data too: the shipped checklist, the groups and forums in the reader's
language (English when a language is empty), countries in the reader's collation, month
and day names as each language writes them."""

import datetime
import importlib
import re
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import translation
from django.utils.translation.reloader import translation_file_changed

from consortia.models import ChecklistItem
from contributors.models import Group
from core.errors import InvalidInput
from forums import services as forums
from forums.models import Forum
from tests.factories.accounts import UserFactory, person, with_two_factor
from tests.factories.consortia import ConsortiumContactFactory, ConsortiumFactory
from tests.factories.contributors import GroupFactory
from tests.factories.forums import ForumFactory
from tests.helpers import count_queries, watch

pytestmark = pytest.mark.django_db

fill_checklist = importlib.import_module("consortia.migrations.0008_checklist_item_translations")


@pytest.fixture(autouse=True)
def _speak_english_afterwards():
    # A request of the test client leaves its language active on this thread.
    with translation.override("en"):
        yield


@pytest.fixture
def catalogs():
    """The compiled catalogs, reloaded (a fresh clone has no .mo files until now)."""
    call_command("compiletranslations", verbosity=0)
    translation_file_changed(sender=None, file_path=Path("django.mo"))


@pytest.fixture
def lead_client(client):
    consortium = ConsortiumFactory(slug="irel", name="IReL ORCID", status="forming")
    client.force_login(ConsortiumContactFactory(consortium=consortium, role="main").user)
    return client


def _options(html: str, select_name: str) -> list[str]:
    select = re.search(rf'<select name="{select_name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, select_name
    return re.findall(r"<option[^>]*>([^<]*)</option>", select.group(1))


# --- the shipped checklist --------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "title", "description"),
    [
        ("ru", "Модель финансирования определена", "Включая возмещение расходов"),
        ("zh-hans", "已确定资金模式", "包括支持人员的成本回收。"),
        ("zh-hant", "已確定資金模式", "包括支援人員的成本回收。"),
    ],
)
def test_the_shipped_checklist_is_shown_in_the_readers_language(
    lead_client, language, title, description
):
    html = lead_client.get("/consortia/irel/manage/checklist/", HTTP_ACCEPT_LANGUAGE=language)
    html = html.content.decode()
    assert title in html
    assert description in html
    assert "Funding model decided" not in html


def test_every_shipped_item_has_all_six_languages():
    items = list(ChecklistItem.objects.all())
    assert len(items) == 12
    for item in items:
        for language in ("en", "es", "pt_br", "ru", "zh_hans", "zh_hant"):
            assert getattr(item, f"title_{language}"), (item.title_en, language)


def test_an_item_staff_add_in_english_only_shows_english_in_every_language(lead_client):
    ChecklistItem.objects.create(phase="pre", position=8, title="Logo approved by ORCID")
    for language in ("ru", "zh-hans", "pt-br"):
        html = lead_client.get("/consortia/irel/manage/checklist/", HTTP_ACCEPT_LANGUAGE=language)
        assert "Logo approved by ORCID" in html.content.decode(), language
    with translation.override("ru"):
        assert ChecklistItem.objects.get(title_en="Logo approved by ORCID").title == (
            "Logo approved by ORCID"
        )


def test_the_data_migration_keeps_english_and_what_staff_translated():
    item = ChecklistItem.objects.get(title_en="Funding model decided")
    ChecklistItem.objects.filter(pk=item.pk).update(
        title_en=None, title_ru=None, title_es="Financiación: decidida"
    )
    added = ChecklistItem.objects.create(phase="post", position=9, title="Staff's own item")
    ChecklistItem.objects.filter(pk=added.pk).update(title_en=None)

    # The models as the migration sees them: plain columns, no translating descriptors.
    state = MigrationLoader(connection).project_state(
        ("consortia", "0008_checklist_item_translations")
    )
    fill_checklist.fill(state.apps, None)

    item.refresh_from_db()
    assert item.title_en == "Funding model decided"
    assert item.title_ru == "Модель финансирования определена"
    assert item.title_es == "Financiación: decidida"
    added.refresh_from_db()
    assert (added.title_en, added.title_ru) == ("Staff's own item", None)


# --- groups and forums ----------------------------------------------------------------


@pytest.fixture
def translated_group():
    group = GroupFactory(
        slug="documentation-working-group",
        name="Documentation working group",
        name_ru="Рабочая группа по документации",
        name_zh_hans="文档工作组",
    )
    ForumFactory(
        slug="documentation-working-group",
        name="Documentation working group",
        name_ru="Рабочая группа по документации",
        name_zh_hans="文档工作组",
        description="Discussions of the Documentation working group.",
        description_ru="Обсуждения рабочей группы по документации.",
        kind=Forum.Kind.GROUP,
        group=group,
    )
    return group


@pytest.mark.parametrize(
    ("language", "name", "description"),
    [
        ("ru", "Рабочая группа по документации", "Обсуждения рабочей группы по документации."),
        ("zh-hans", "文档工作组", "Discussions of the Documentation working group."),
    ],
)
def test_groups_and_forums_are_named_in_the_readers_language(
    client, translated_group, language, name, description
):
    forums = client.get("/forums/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert name in forums
    assert description in forums  # zh-hans: no translation, so English
    group = client.get("/groups/documentation-working-group/", HTTP_ACCEPT_LANGUAGE=language)
    assert name in group.content.decode()


def test_the_cached_forum_list_is_kept_per_language(client, translated_group):
    assert "Рабочая группа" in client.get("/forums/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    english = client.get("/forums/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Documentation working group" in english
    assert "Рабочая группа" not in english


def test_the_forum_list_keeps_its_query_count_with_translated_forums(client):
    ForumFactory(name="One", name_ru="Один")
    with translation.override("ru"):
        few = count_queries(client, "/forums/", clear_cache=True)
        for n in range(6):
            ForumFactory(name=f"Forum {n}", name_ru=f"Форум {n}")
        many = count_queries(client, "/forums/", clear_cache=True)
    assert many == few


def test_the_demo_seeds_its_groups_and_forums_in_every_language(seeded_demo):
    steering = Group.objects.get(slug="technical-steering-group")
    assert steering.name_ru == "Техническая руководящая группа"
    assert steering.name_zh_hant == "技術指導小組"
    api = Forum.objects.get(slug="api-users")
    assert api.name_pt_br == "Usuários da API do ORCID"
    with translation.override("es"):
        assert Forum.objects.get(slug="member-api-working-group").name == (
            "Grupo de trabajo de la API para miembros"
        )


def test_forum_create_takes_the_other_languages_and_nothing_else():
    forum = forums.forum_create(
        slug="sandbox", name="Sandbox", translations={"name_ru": "Песочница", "name_es": ""}
    )
    assert (forum.name_en, forum.name_ru, forum.name_es) == ("Sandbox", "Песочница", None)
    with pytest.raises(InvalidInput):
        forums.forum_create(slug="other", name="Other", translations={"is_private_ru": "1"})
    assert not Forum.objects.filter(slug="other").exists()


# --- the admin ------------------------------------------------------------------------


@pytest.fixture
def superuser_client(client):
    client.force_login(with_two_factor(UserFactory(is_staff=True, is_superuser=True)))
    return client


@pytest.mark.parametrize(
    ("admin_add", "fields"),
    [
        ("admin:consortia_checklistitem_add", ("title", "description")),
        ("admin:contributors_group_add", ("name", "purpose", "deliverables")),
        ("admin:forums_forum_add", ("name", "description")),
    ],
)
def test_the_admin_edits_each_language(superuser_client, admin_add, fields):
    html = superuser_client.get(reverse(admin_add)).content.decode()
    for field in fields:
        for language in ("en", "es", "pt_br", "ru", "zh_hans", "zh_hant"):
            assert f'name="{field}_{language}"' in html, (field, language)


def test_a_forum_added_in_the_admin_keeps_its_languages(superuser_client):
    response = superuser_client.post(
        reverse("admin:forums_forum_add"),
        {
            "name_en": "Sandbox",
            "name_ru": "Песочница",
            "slug": "sandbox",
            "description_en": "Trying things out.",
            "kind": Forum.Kind.GENERAL,
            "position": 5,
        },
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert response.status_code == 302
    forum = Forum.objects.get(slug="sandbox")
    assert (forum.name_en, forum.name_ru, forum.name_es) == ("Sandbox", "Песочница", None)
    assert forum.description_en == "Trying things out."


def test_a_checklist_item_added_in_the_admin_in_english_only_is_saved(superuser_client):
    response = superuser_client.post(
        reverse("admin:consortia_checklistitem_add"),
        {"title_en": "Logo approved", "phase": "pre", "position": 9, "is_active": "on"},
    )
    assert response.status_code == 302
    item = ChecklistItem.objects.get(title_en="Logo approved")
    assert item.title_ru is None
    refused = superuser_client.post(
        reverse("admin:consortia_checklistitem_add"),
        {"title_ru": "Только по-русски", "phase": "pre", "position": 10},
    )
    assert refused.status_code == 200  # English is required
    assert not ChecklistItem.objects.filter(title_ru="Только по-русски").exists()


# --- countries ------------------------------------------------------------------------


def test_the_directorys_country_filter_is_sorted_in_russian(client):
    html = client.get("/consortia/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    names = _options(html, "country")[1:]
    assert names.index("Австралия") < names.index("Австрия") < names.index("Аруба")
    assert names[0] == "Австралия"


def test_the_propose_form_lists_countries_in_the_readers_language_and_order(client):
    client.force_login(UserFactory())
    html = client.get("/consortia/propose/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    names = _options(html, "countries")
    assert names.index("Австралия") < names.index("Австрия") < names.index("Аруба")
    assert "Australia" not in names
    spanish = client.get("/consortia/propose/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    names = _options(spanish, "countries")
    assert names.index("Alemania") < names.index("Austria") < names.index("Azerbaiyán")


def test_no_country_is_sorted_first_by_a_stray_space_in_chinese(client, catalogs):
    html = client.get("/consortia/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    names = _options(html, "country")[1:]
    assert "斯瓦尔巴群岛和扬马延岛" in names
    assert names[0] != "斯瓦尔巴群岛和扬马延岛"
    assert all(name == name.strip() for name in names)


# --- month and day names --------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("es", "lunes, 7 de diciembre de 2026"),
        ("pt-br", "segunda-feira, 7 de dezembro de 2026"),
        ("ru", "понедельник, 7 декабря 2026 г."),
        ("zh-hans", "星期一, 2026年12月7日"),
    ],
)
def test_month_and_day_names_follow_each_languages_rules(catalogs, language, expected):
    when = datetime.date(2026, 12, 7)
    with translation.override(language):
        shown = f"{date_filter(when, 'l')}, {date_filter(when, 'DATE_FORMAT')}"
    assert shown == expected


def test_abbreviated_months_are_lower_case_in_russian_and_portuguese(catalogs):
    when = datetime.date(2026, 12, 7)
    with translation.override("ru"):
        assert date_filter(when, "N") == "дек."
    with translation.override("pt-br"):
        assert date_filter(when, "N") == "dez."


# --- mail ---------------------------------------------------------------------------------


def test_a_post_mails_the_forums_name_in_each_recipients_language(
    catalogs, django_capture_on_commit_callbacks
):
    api = ForumFactory(
        slug="api-users", name="ORCID API Users", name_ru="Пользователи API ORCID", kind="api_users"
    )
    author = person(email="ana@example.org", language="en")
    reader = person(email="boris@example.org", language="ru")
    watch(reader, "each", forum=api)
    with django_capture_on_commit_callbacks(execute=True):
        forums.topic_create(forum=api, by=author, title="Scopes", body="Which scope?")
    (message,) = mail.outbox
    assert message.subject == "[Пользователи API ORCID] Scopes"
