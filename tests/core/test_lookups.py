"""field__any: the same rows as field__in, with the list as one parameter on PostgreSQL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mail.models import Unsubscription
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


def test_any_finds_the_rows_in_the_list_like_in():
    ana, ben, cleo = UserFactory(), UserFactory(), UserFactory()
    model = type(ana)
    ids = [ana.pk, cleo.pk, 10**9]
    assert set(model.objects.filter(pk__any=ids)) == {ana, cleo}
    assert set(model.objects.filter(pk__any=ids)) == set(model.objects.filter(pk__in=ids))
    assert ben not in model.objects.filter(pk__any=ids)


def test_any_of_nothing_finds_nothing():
    UserFactory()
    assert not type(UserFactory()).objects.filter(pk__any=[]).exists()


def test_any_works_through_a_foreign_key():
    ana, ben = UserFactory(), UserFactory()
    Unsubscription.objects.create(user=ana, list_id="api-users")
    Unsubscription.objects.create(user=ben, list_id="api-users")
    found = Unsubscription.objects.filter(user_id__any={ana.pk})
    assert [u.user_id for u in found] == [ana.pk]


def test_any_sends_one_parameter_on_postgresql():
    users = [UserFactory() for _ in range(3)]
    model = type(users[0])
    with CaptureQueriesContext(connection) as queries:
        list(model.objects.filter(pk__any=[u.pk for u in users]).values_list("pk"))
    sql = queries[0]["sql"]
    if connection.vendor == "postgresql":
        assert "= ANY(" in sql
    else:
        assert " IN (" in sql
