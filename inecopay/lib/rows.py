"""Hand-written statements for the few hot paths where compiling a queryset costs more
than running it.

`RowLoader` makes model instances from their rows as the ORM does: the columns are listed
once per model, and each value goes through the converters the ORM would apply (JSON text
parsed, SQLite's dates read). `prepared_cursor` runs them as prepared statements.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.utils import CursorWrapper
from django.db.models import Model
from django.db.models.expressions import Col


def prepared_cursor() -> CursorWrapper:
    """A cursor whose statements PostgreSQL plans once per connection: parameters bound
    on the server, so a statement run a few times is prepared (`prepare_threshold`,
    setting DATABASE_PREPARED_STATEMENTS) and then skips planning, which is most of the
    server's work for a short statement. The ORM's cursors bind on the client and
    prepare nothing. Error translation and execute wrappers are those of any Django
    cursor. Elsewhere than PostgreSQL, and while queries are logged (DEBUG, a test
    capturing them: a prepared run does not keep its SQL text), the usual cursor."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql" or db.queries_logged:
        return db.cursor()
    import psycopg

    # What Django's own `connection.cursor()` does, with another cursor class.
    db.close_if_health_check_failed()
    db.ensure_connection()
    with db.wrap_database_errors:
        raw = psycopg.Cursor(db.connection)
    return db._prepare_cursor(raw)


class RowLoader:
    def __init__(self, model: type[Model], alias: str) -> None:
        self.model = model
        self.alias = alias
        self.fields = list(model._meta.concrete_fields)
        self.names = [field.attname for field in self.fields]

    def columns(self) -> str:
        """`alias."column", …` for a SELECT list, in the loader's order."""
        quote = connection.ops.quote_name
        return ", ".join(f"{self.alias}.{quote(field.column)}" for field in self.fields)

    def _converters(self) -> list[tuple[int, list[tuple[Callable, Col]]]]:
        """The converters of the fields that have any, made on first use for each
        connection (one per thread): some are the backend's bound methods."""
        db = connections[DEFAULT_DB_ALIAS]
        cache = db.__dict__.setdefault("_row_loader_converters", {})
        converters = cache.get(self.model)
        if converters is None:
            converters = []
            for index, field in enumerate(self.fields):
                column = field.get_col(self.alias)
                found = db.ops.get_db_converters(column) + column.get_db_converters(db)
                if found:
                    converters.append((index, [(convert, column) for convert in found]))
            cache[self.model] = converters
        return converters

    def load(self, values: Sequence) -> Model:
        db = connections[DEFAULT_DB_ALIAS]
        values = list(values)
        for index, steps in self._converters():
            for convert, column in steps:
                values[index] = convert(values[index], column, db)
        return self.model.from_db(db.alias, self.names, values)
