"""PostgreSQL: a GIN index on the stored search vector of posts.

Not in Post.Meta.indexes because SQLite cannot build a GIN index; on SQLite this
migration does nothing (search falls back to icontains there).
"""

from django.db import migrations

INDEX = "forums_post_search_gin"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON forums_post USING gin (search_vector)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("forums", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
