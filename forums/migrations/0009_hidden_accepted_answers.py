"""A post hidden by three flags stayed its topic's accepted answer (the flag path did not
clear it, the moderator's hide did): clear the ones left over."""

from django.db import migrations


def clear_hidden_accepted_answers(apps, schema_editor):
    Topic = apps.get_model("forums", "Topic")
    Topic.objects.filter(accepted_post__is_hidden=True).update(accepted_post=None)


class Migration(migrations.Migration):
    dependencies = [("forums", "0008_imported_posts")]

    operations = [
        migrations.RunPython(clear_hidden_accepted_answers, migrations.RunPython.noop),
    ]
