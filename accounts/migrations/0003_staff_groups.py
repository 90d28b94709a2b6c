"""The staff groups: each staff power is a permission, granted through these groups.

"Consortia staff" run the consortia: they act for any lead contact, finalize agreements,
mark consortia inactive and verify organizations. "Community staff" run the technical
community: contributions, nominations, staff levels, group terms, briefings, forum
moderation and private forums, idea statuses, session review and the meetings'
programmes. Both see the mail deliveries. Each group also holds the admin permissions
its work needs (seeing the models; a few configuration models to edit). Who holds what
is documented in the README ("Staff and their powers"); superusers grant the groups.

The groups and their permissions are as of this migration: a later change of a group is
a migration of its own. Running it again (or backwards) leaves people's groups alone.
"""

from django.db import migrations


def _view(app_label: str, *models: str) -> list[str]:
    return [f"{app_label}.view_{model}" for model in models]


CONSORTIA_STAFF = [
    "consortia.manage_any_consortium",
    "consortia.finalize_consortium",
    "consortia.deactivate_consortium",
    "consortia.verify_organization",
    *_view(
        "consortia",
        "organization",
        "organizationcontact",
        "consortium",
        "consortiumcountry",
        "consortiumcontact",
        "membership",
        "checklistitem",
        "checklistentry",
        "document",
        "progressreport",
    ),
    # Configuration and vouching, edited in the admin.
    "consortia.change_organization",
    "consortia.add_organizationcontact",
    "consortia.change_organizationcontact",
    "consortia.delete_organizationcontact",
    "consortia.add_checklistitem",
    "consortia.change_checklistitem",
    # Through the same services as the manage page.
    "consortia.delete_document",
    *_view("mail", "delivery", "digestrun", "unsubscription"),
]

COMMUNITY_STAFF = [
    "contributors.verify_contribution",
    "contributors.nominate",
    "contributors.record_staff_level",
    "contributors.write_any_briefing",
    "contributors.manage_groups",
    "forums.moderate_forums",
    "forums.read_private_forums",
    "forums.set_idea_status",
    "events.review_sessions",
    "events.manage_programme",
    *_view(
        "contributors",
        "profile",
        "levelchange",
        "contribution",
        "group",
        "membership",
        "nomination",
        "rollentry",
        "vote",
        "nominationevent",
        "agreement",
        "signature",
        "briefing",
        "briefingsubscription",
    ),
    *_view(
        "forums",
        "forum",
        "topic",
        "post",
        "postrevision",
        "ideastatuschange",
        "flag",
        "subscription",
        "moderationaction",
    ),
    *_view("events", "meeting", "session", "speaker", "registration"),
    # Configuration edited in the admin: the OST agreement's versions and the forums.
    "contributors.add_agreement",
    "contributors.change_agreement",
    "contributors.delete_agreement",
    "forums.add_forum",
    "forums.change_forum",
    # An ORCID iD proved by two people (accounts.services.orcid_conflict_report): staff
    # remove the wrongly connected ORCID account in the admin, which drops its iD.
    "socialaccount.view_socialaccount",
    "socialaccount.delete_socialaccount",
    *_view("mail", "delivery", "digestrun", "unsubscription"),
]

GROUPS = {"Consortia staff": CONSORTIA_STAFF, "Community staff": COMMUNITY_STAFF}


def create_groups(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are created after all migrations (post_migrate); these need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in GROUPS.items():
        group, _created = Group.objects.get_or_create(name=name)
        for perm in wanted:
            app_label, codename = perm.split(".", 1)
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_verified_orcid_ids"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("consortia", "0005_staff_permissions"),
        ("contributors", "0005_group_manage_permission"),
        ("consortia", "0006_trust"),
        ("forums", "0004_staff_permissions"),
        ("events", "0002_staff_permissions"),
        ("mail", "0005_delivery_to_an_address"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
