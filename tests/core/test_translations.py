"""Six languages: complete catalogs, pages and mail in each language."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]
LOCALES = {"zh-hans": "zh_Hans", "zh-hant": "zh_Hant", "pt-br": "pt_BR", "es": "es", "ru": "ru"}
PLURALS = {"zh_Hans": 1, "zh_Hant": 1, "pt_BR": 2, "es": 2, "ru": 3}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdf]|%[sdf]|\{\{.*?\}\}")


def catalog(locale: str) -> polib.POFile:
    return polib.pofile(str(ROOT / "locale" / locale / "LC_MESSAGES" / "django.po"))


def test_the_six_languages_are_offered():
    assert [code for code, _ in settings.LANGUAGES] == [
        "en",
        "zh-hans",
        "zh-hant",
        "pt-br",
        "es",
        "ru",
    ]


@pytest.mark.parametrize("locale", LOCALES.values())
def test_catalog_has_no_empty_or_fuzzy_entry(locale):
    po = catalog(locale)
    assert len(po) > 500
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    assert "fuzzy" not in po.metadata_as_entry().flags


@pytest.mark.parametrize("locale", LOCALES.values())
def test_plural_forms_are_complete(locale):
    po = catalog(locale)
    assert f"nplurals={PLURALS[locale]};" in po.metadata["Plural-Forms"].replace(" ", "")
    for entry in po:
        if entry.msgid_plural:
            forms = entry.msgstr_plural
            assert sorted(forms) == list(range(PLURALS[locale])), entry.msgid
            assert all(forms.values()), entry.msgid


@pytest.mark.parametrize("locale", LOCALES.values())
def test_translations_keep_every_placeholder(locale):
    wrong = []
    for entry in catalog(locale):
        if entry.obsolete:
            continue
        expected = sorted(PLACEHOLDER.findall(entry.msgid))
        translations = [entry.msgstr] if not entry.msgid_plural else entry.msgstr_plural.values()
        for text in translations:
            found = sorted(PLACEHOLDER.findall(text))
            # A plural form may drop the count ("один") but never invent a placeholder.
            if entry.msgid_plural and set(found) <= set(expected):
                continue
            if found != expected:
                wrong.append((entry.msgid, text))
    assert wrong == []


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext's xgettext missing")
def test_catalogs_are_current_with_the_source(tmp_path):
    """Extract the strings again from a copy of the tree: nothing may be new or changed."""
    copy = tmp_path / "tree"
    ignore = shutil.ignore_patterns(
        ".venv", ".git", "staticfiles", "artifacts", "media", "private_documents", "*.mo",
        "__pycache__", "db.sqlite3*", "node_modules", "bench",
    )  # fmt: skip
    shutil.copytree(ROOT, copy, ignore=ignore)
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--no-obsolete", "--no-location",
         *[arg for loc in LOCALES.values() for arg in ("-l", loc)],
         "--ignore", "tests/*", "--ignore", "artifacts/*"],
        cwd=copy, capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin", "DJANGO_DEBUG": "true", "HOME": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    for locale in LOCALES.values():
        po = polib.pofile(str(copy / "locale" / locale / "LC_MESSAGES" / "django.po"))
        missing = [e.msgid for e in po.untranslated_entries() + po.fuzzy_entries()]
        assert missing == [], f"{locale}: run `make messages` and translate: {missing[:10]}"


# --- Pages and mail in each language ------------------------------------------------------

PAGES = ["/", "/consortia/", "/consortia/irel/", "/forums/", "/contributors/", "/accounts/login/"]


def _visible_text(html: str) -> set[str]:
    """The page's text nodes: a catalog string counts only as a whole node, so a word of
    user content ("ORCID Asia-Pacific outreach meeting") is not taken for the UI's."""
    html = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", html)
    html = re.sub(r"(?s)<option\b.*?</option>", " ", html)  # the language names
    nodes = (re.sub(r"\s+", " ", node).strip() for node in re.split(r"<[^>]+>", html))
    return {node for node in nodes if node}


def _compile_catalogs() -> None:
    """Compile the catalogs and drop what this process loaded before they existed (a plain
    `pytest` on a fresh clone has no .mo files until now: English would stay cached)."""
    from django.utils.translation.reloader import translation_file_changed

    call_command("compiletranslations", verbosity=0)
    translation_file_changed(sender=None, file_path=Path("django.mo"))


@pytest.fixture
def demo(db):
    _compile_catalogs()
    call_command("seed_demo", quiet_accounts=True, stdout=open("/dev/null", "w"))  # noqa: SIM115
    # Each request of the test client activates its language on this thread and leaves it
    # active: restore the language, or the tests that run next speak Russian.
    with translation.override(translation.get_language()):
        yield


@pytest.mark.django_db
def test_main_pages_speak_each_language_with_no_english_left(client, demo):
    english_ids = {}
    for entry in catalog("ru"):
        text = entry.msgid
        if len(text) >= 12 and "%" not in text and "{" not in text and "<" not in text:
            english_ids[text] = entry
    for path in PAGES:
        english = _visible_text(client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode())
        shown = [t for t in english_ids if t in english]
        assert shown, f"no catalog string found on {path}"
        for code in LOCALES:
            response = client.get(path, HTTP_ACCEPT_LANGUAGE=code)
            assert response.status_code == 200, (path, code)
            html = response.content.decode()
            assert f'<html lang="{code}">' in html
            text = _visible_text(html)
            left = [t for t in shown if t in text]
            assert left == [], f"{path} in {code} still shows: {left[:5]}"


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "expected"), [("ru", "ru"), ("zh-hans", "zh_Hans")])
def test_mail_goes_out_in_the_recipients_language(
    language, expected, django_capture_on_commit_callbacks
):
    from django.core import mail
    from django.utils.translation import gettext_lazy as _

    from mail import services
    from tests.factories import UserFactory

    _compile_catalogs()
    person = UserFactory(language=language)
    with django_capture_on_commit_callbacks(execute=True):
        services.deliver(
            recipients=[person],
            kind="test.language",
            about="test:language",
            subject=_("Unsubscribe"),
            template="mail/email/test_notice",
            context={"message": "—"},
            list_id="tests",
        )
    (message,) = mail.outbox
    po = catalog(expected)
    assert message.subject == po.find("Unsubscribe").msgstr
    hello = po.find("Hello %(name)s,")
    assert hello is not None
    assert hello.msgstr.replace("%(name)s", person.display_name) in message.body
    with translation.override("en"):
        assert "Hello" not in message.body
