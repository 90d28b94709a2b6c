from django.contrib.auth.models import Group, Permission

from accounts.selectors import people_with_permission
from tests.factories import UserFactory


def _permission(codename: str) -> Permission:
    return Permission.objects.get(codename=codename, content_type__app_label="consortia")


def test_people_with_permission_through_a_group_directly_or_as_superuser(db):
    group = Group.objects.create(name="Verifiers")
    group.permissions.add(_permission("verify_organization"))
    through_group = UserFactory()
    through_group.groups.add(group)
    direct = UserFactory()
    direct.user_permissions.add(_permission("verify_organization"))
    superuser = UserFactory(is_superuser=True, is_staff=True)
    other_power = UserFactory()  # holds another power only
    other_power.user_permissions.add(_permission("finalize_consortium"))
    UserFactory(is_active=False, is_superuser=True)  # inactive
    UserFactory(is_staff=True)  # staff without the permission

    found = set(people_with_permission("consortia.verify_organization"))

    assert found == {through_group, direct, superuser}
