"""The onboarding checklist of DOMAIN.md, as data staff can edit in the admin."""

from django.db import migrations

PRE = [
    ("Lead organization identified, with its main contact", ""),
    ("Funding model decided", "Including cost recovery for support staff."),
    (
        "Consortium policy drafted",
        "Goals, membership criteria, governance principles, and how progress is monitored.",
    ),
    ("Call for participation issued", ""),
    ("Implementation model chosen", "Central platform, distributed, or mixed."),
    (
        "Community-management staff: job description finalized and hiring call issued",
        "",
    ),
    (
        "Web page about the consortium published",
        "With a support contact and basic ORCID best practices.",
    ),
]
POST = [
    ("Community-management staff hired and onboarded", "Within three months of signing."),
    ("Lead staff trained by ORCID", "Within three months of signing."),
    ("Support staff complete ORCID training", "Within three months of signing."),
    (
        "Every member contacted with how to reach support and the other members",
        "Within three months of signing.",
    ),
    ("Member organization details entered", "Within three months of signing."),
]


def create_items(apps, schema_editor):
    ChecklistItem = apps.get_model("consortia", "ChecklistItem")
    for phase, items in (("pre", PRE), ("post", POST)):
        for position, (title, description) in enumerate(items, start=1):
            ChecklistItem.objects.get_or_create(
                phase=phase,
                title=title,
                defaults={"description": description, "position": position},
            )


class Migration(migrations.Migration):
    dependencies = [("consortia", "0001_initial")]

    operations = [migrations.RunPython(create_items, migrations.RunPython.noop)]
