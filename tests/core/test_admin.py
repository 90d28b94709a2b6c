"""Every admin page answers, and hostile input in any admin form is an error on the form,
never a server error."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories.accounts import UserFactory, with_two_factor

pytestmark = pytest.mark.django_db

HOSTILE = ["", "\x00", "x" * 5000, "-1", "99999999999999999999", "<script>", "1e309", "nan"]


def _admins():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


@pytest.fixture
def superuser_client(client):
    client.force_login(with_two_factor(UserFactory(is_staff=True, is_superuser=True)))
    return client


def test_every_admin_page_answers(superuser_client, seeded_demo):
    # The demo data has a row of (nearly) every model.
    for model, _model_admin in _admins():
        info = (model._meta.app_label, model._meta.model_name)
        changelist = reverse("admin:{}_{}_changelist".format(*info))
        assert superuser_client.get(changelist).status_code == 200, changelist
        assert superuser_client.get(changelist + "?q=%00'").status_code in (200, 400), changelist
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            change = reverse("admin:{}_{}_change".format(*info), args=[obj.pk])
            assert superuser_client.get(change).status_code == 200, change
        add = superuser_client.get(reverse("admin:{}_{}_add".format(*info)))
        assert add.status_code in (200, 403), model


def _forms(client):
    """The address and fields of every admin form: each add form, each change form."""
    for model, _model_admin in _admins():
        info = (model._meta.app_label, model._meta.model_name)
        urls = [reverse("admin:{}_{}_add".format(*info))]
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            urls.append(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
        for url in urls:
            page = client.get(url)
            if page.status_code == 200 and page.context.get("adminform"):
                yield url, list(page.context["adminform"].form.fields)


def test_hostile_input_in_every_admin_form_is_a_form_error(superuser_client, seeded_demo):
    for url, fields in list(_forms(superuser_client)):
        for value in HOSTILE:
            response = superuser_client.post(url, {name: value for name in fields})
            assert response.status_code in (200, 302, 400, 403), (url, value)


def _view_on_site(obj) -> str:
    from django.contrib.contenttypes.models import ContentType

    return f"/admin/r/{ContentType.objects.get_for_model(obj).pk}/{obj.pk}/"


def test_view_on_site_answers_only_for_what_the_person_may_see_in_the_admin(client):
    from tests.factories.accounts import grant, staff_person

    someone = UserFactory(orcid=True)
    # Consortia staff may enter the admin but not see people: no way from a number to a
    # profile.
    client.force_login(staff_person("Consortia staff"))
    assert client.get(_view_on_site(someone)).status_code == 404
    client.force_login(grant(with_two_factor(UserFactory(is_staff=True)), "accounts.view_user"))
    response = client.get(_view_on_site(someone))
    assert response.status_code == 302
    assert response["Location"].endswith(someone.get_absolute_url())


def test_view_on_site_does_not_tell_the_title_of_a_private_forums_topic(client):
    from contributors.services import membership_add
    from forums import services as forums
    from tests.factories.accounts import grant
    from tests.factories.contributors import GroupFactory

    group = GroupFactory()
    member = UserFactory()
    membership_add(group=group, user=member)
    private = forums.forum_create(
        slug="private-w", name="W", kind="group", group=group, is_private=True
    )
    topic = forums.topic_create(forum=private, by=member, title="Secret merger plans", body="Hush.")
    client.force_login(grant(with_two_factor(UserFactory(is_staff=True)), "forums.view_topic"))
    assert client.get(_view_on_site(topic)).status_code == 404
    client.force_login(
        grant(
            with_two_factor(UserFactory(is_staff=True)),
            "forums.view_topic",
            "forums.read_private_forums",
        )
    )
    assert "secret-merger-plans" in client.get(_view_on_site(topic))["Location"]
