"""Each forum's name and description as its English version (0005 added a column per
language): what a forum says today is English; the other languages are empty and show
English."""

from django.db import migrations


def fill(apps, schema_editor):
    Forum = apps.get_model("forums", "Forum")
    for forum in Forum.objects.all():
        forum.name_en = forum.name_en or forum.name
        forum.description_en = forum.description_en or forum.description
        forum.save(update_fields=["name_en", "description_en"])


class Migration(migrations.Migration):
    dependencies = [("forums", "0005_forum_languages")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
