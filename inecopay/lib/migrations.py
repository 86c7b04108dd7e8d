"""Helpers for hand-written migrations."""

from __future__ import annotations

from django.db import migrations


def postgresql_only(forwards: list[str], backwards: list[str]) -> migrations.RunPython:
    """Run these statements on PostgreSQL only: for changes that are cheap there done by
    hand (a renamed constraint instead of one dropped and rebuilt on a big table) and need
    nothing on the embedded SQLite."""

    def run(statements: list[str]):
        def apply(apps, schema_editor) -> None:
            if schema_editor.connection.vendor == "postgresql":
                for statement in statements:
                    schema_editor.execute(statement)

        return apply

    return migrations.RunPython(run(forwards), run(backwards))
