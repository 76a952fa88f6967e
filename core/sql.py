"""Names for the few statements written in plain SQL, taken from the models so a renamed field or table
cannot leave the SQL behind. Quoted for the database in use; values always go in as parameters."""

from django.db import connection


def table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def column(model, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)
