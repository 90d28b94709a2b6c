"""PostgreSQL: trigram indexes for the directory's search (``q``) on organization names.

The directory matches ``q`` anywhere in a consortium's, its lead's or a member's name
(``icontains``, which Django writes as ``UPPER(name) LIKE UPPER('%q%')``). Without an
index that is a scan of every organization per search (~15 ms at 20,000); a trigram GIN
index on ``UPPER(name)`` answers it from the index. pg_trgm ships with PostgreSQL and is
a trusted extension (the database owner may create it). Not in ``Meta.indexes`` because
SQLite has no GIN index; on SQLite this migration does nothing.
"""

from django.db import migrations

INDEXES = {
    "organization_name_trgm": "consortia_organization",
    "consortium_name_trgm": "consortia_consortium",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for index, table in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {index} ON {table} "
            "USING gin (UPPER(name::text) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {index}")


class Migration(migrations.Migration):
    dependencies = [("consortia", "0002_checklist_items")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
