"""``field__any=[...]``: membership in a list sent as one array parameter on PostgreSQL.

``pk__in=ids`` writes one placeholder per id: with 500 ids a query costs Django, psycopg
(which re-parses the long SQL) and PostgreSQL (which plans a 500-term list) a few
milliseconds each, and digest batches run eight such queries. ``= ANY(%s)`` is one
parameter and one plan whatever the length. Other databases get the usual ``IN (...)``.
"""

from django.db.models import Field, ForeignObject, Lookup


class AnyOf(Lookup):
    lookup_name = "any"
    prepare_rhs = False  # the list is prepared element by element below

    def _values(self, connection) -> list:
        field = self.lhs.output_field
        return [field.get_db_prep_value(value, connection, prepared=False) for value in self.rhs]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = self._values(connection)
        if not values:
            return "1 = 0", []  # like an empty IN: nothing matches
        placeholders = ", ".join(["%s"] * len(values))
        return f"{lhs} IN ({placeholders})", [*lhs_params, *values]

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        db_type = self.lhs.output_field.db_type(connection).split("(")[0]
        return f"{lhs} = ANY(%s::{db_type}[])", [*lhs_params, self._values(connection)]


Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)  # relations keep lookups of their own
