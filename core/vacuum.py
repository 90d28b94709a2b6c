"""VACUUM ANALYZE for the benchmarks: what autovacuum would have done on a real site."""

from django.apps import apps
from django.db import connection


def vacuum_analyze(*models: str) -> None:
    """VACUUM ANALYZE these models' tables ("app_label.Model") on PostgreSQL (nothing
    elsewhere).

    A benchmark that makes and deletes its data leaves dead rows in every index it
    touched, and fresh rows have no planner statistics: on a real site autovacuum cleans
    up after both, but this machine's PostgreSQL runs with autovacuum off, so each run
    would be slower than the one before. VACUUM cannot run inside a transaction (a test's
    own): there it does nothing.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        for name in models:
            cursor.execute(f'VACUUM ANALYZE "{apps.get_model(name)._meta.db_table}"')
