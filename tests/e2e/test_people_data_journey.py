"""A person downloads their data (built by the worker, mailed through SMTP) and deletes
their account; the topic they started still reads, by "a former member"."""

import io
import json
import re
import zipfile

import pytest

from tests.e2e.helpers import check_accessibility, sign_in

pytestmark = pytest.mark.e2e

EMAIL = "leaving@example.org"
PASSWORD = "a-Long-passphrase-42"
# A person of their own (not a demo one the other journeys use), with a topic.
MAKE_PERSON = f"""
from datetime import timedelta
from allauth.account.models import EmailAddress
from django.utils import timezone
from accounts.models import User
from forums import services
from forums.models import Forum
person = User.objects.create_user(
    email="{EMAIL}", password="{PASSWORD}", name="Lee Leaving",
    date_joined=timezone.now() - timedelta(days=60),
)
EmailAddress.objects.create(user=person, email=person.email, verified=True, primary=True)
topic = services.topic_create(
    forum=Forum.objects.get(slug="api-users"), by=person,
    title="Thanks for the API examples", body="They saved me a week.",
)
print(topic.get_absolute_url())
"""


def test_a_person_downloads_their_data_then_deletes_their_account(stack, mailbox, new_page):
    topic_url = stack.manage("shell", "-c", MAKE_PERSON).stdout.strip().splitlines()[-1]
    page = new_page()
    sign_in(page, EMAIL, PASSWORD)

    page.goto("/accounts/data/")
    assert check_accessibility(page) == []
    page.get_by_role("button", name="Ask for a copy of my data").click()
    page.wait_for_url(re.compile(r"/accounts/data/$"))
    (message,) = mailbox.wait_for(EMAIL, subject_contains="Your data", timeout=60)
    link = re.search(r"http://\S+/accounts/data/[0-9a-f-]+/download/", mailbox.text(message))
    page.goto("/accounts/data/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download your data (ZIP)").click()
    archive = zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes()))
    profile = json.loads(archive.read("account/profile.json"))
    assert profile["email"] == EMAIL
    assert json.loads(archive.read("forums/topics.json"))[0]["title"].startswith("Thanks")
    assert link.group(0).endswith(f"{download.value.url.split('/accounts/data/')[1]}")

    page.goto("/accounts/delete/")
    assert check_accessibility(page) == []
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("I understand").check()
    page.get_by_role("button", name="Delete my account").click()
    page.wait_for_url(re.compile(r"/$"))
    assert page.get_by_text("Your account was deleted.").is_visible()

    page.goto(topic_url)
    assert page.get_by_text("A former member").first.is_visible()
    assert "Lee Leaving" not in page.content()
    sign_in(page, EMAIL, PASSWORD)
    assert "/accounts/login/" in page.url  # the account cannot sign in any more
