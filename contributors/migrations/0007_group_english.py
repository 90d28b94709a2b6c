"""Each group's name and texts as its English version (0006 added a column per language):
what a group says today is English; the other languages are empty and show English."""

from django.db import migrations


def fill(apps, schema_editor):
    Group = apps.get_model("contributors", "Group")
    for group in Group.objects.all():
        group.name_en = group.name_en or group.name
        group.purpose_en = group.purpose_en or group.purpose
        group.deliverables_en = group.deliverables_en or group.deliverables
        group.save(update_fields=["name_en", "purpose_en", "deliverables_en"])


class Migration(migrations.Migration):
    dependencies = [("contributors", "0006_group_languages")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
