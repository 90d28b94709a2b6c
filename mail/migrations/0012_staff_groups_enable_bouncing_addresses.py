"""Both staff groups may turn mail on again for an address its bounces stopped
(mail.enable_bouncing_address): they see the deliveries already, and a person asking
for mail again is theirs to answer. Backwards takes the permission from the groups again."""

from django.db import migrations

GROUPS = ("Consortia staff", "Community staff")


def _permission(apps):
    from django.contrib.auth.management import create_permissions

    # Permissions are created after all migrations (post_migrate); this one is needed now.
    config = apps.get_app_config("mail")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    return apps.get_model("auth", "Permission").objects.get(
        content_type__app_label="mail", codename="enable_bouncing_address"
    )


def grant(apps, schema_editor):
    permission = _permission(apps)
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GROUPS):
        group.permissions.add(permission)


def revoke(apps, schema_editor):
    permission = _permission(apps)
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GROUPS):
        group.permissions.remove(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("mail", "0011_bounce_score"),
        ("accounts", "0003_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
