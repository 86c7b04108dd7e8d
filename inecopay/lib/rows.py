"""Model instances from the rows of a hand-written statement, as the ORM makes them.

For the few hot paths where compiling a queryset costs more than running it: the columns
are listed once per model, and each value goes through the converters the ORM would apply
(JSON text parsed, SQLite's dates read), so the instance is the one a queryset returns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.db import connection
from django.db.models import Model


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

    def _converters(self) -> list[tuple[int, list[Callable]]]:
        # Per connection (one per thread), made on first use.
        cache = connection.__dict__.setdefault("_row_loader_converters", {})
        converters = cache.get(self.model)
        if converters is None:
            converters = []
            for index, field in enumerate(self.fields):
                column = field.get_col(self.alias)
                found = connection.ops.get_db_converters(column) + column.get_db_converters(
                    connection
                )
                if found:
                    converters.append((index, [(f, column) for f in found]))
            cache[self.model] = converters
        return converters

    def load(self, values: Sequence) -> Model:
        values = list(values)
        for index, steps in self._converters():
            for convert, column in steps:
                values[index] = convert(values[index], column, connection)
        return self.model.from_db(connection.alias, self.names, values)
