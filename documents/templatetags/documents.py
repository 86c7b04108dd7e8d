"""Small helpers for the «Документы» page template."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django import template

from documents.models import DocumentVersion
from documents.selectors import DocumentRow

register = template.Library()


@register.filter
def errors_for(errors: Mapping[int, list[str]] | None, key: int) -> list[str]:
    """The messages for one document type from the view's `{type pk: [messages]}`."""
    return list((errors or {}).get(key, []))


@register.filter
def current_version(row: DocumentRow) -> DocumentVersion | None:
    """The current version taken from the prefetched history, so its files cost no query."""
    if row.document is None or row.document.current_version_id is None:
        return None
    return next((v for v in row.versions if v.pk == row.document.current_version_id), None)


@dataclass(frozen=True)
class Progress:
    approved: int
    required: int

    @property
    def complete(self) -> bool:
        return self.approved == self.required


@register.simple_tag
def documents_progress(rows: Iterable[DocumentRow]) -> Progress:
    """How many required documents have an approved version (a newer upload keeps it)."""
    required = [row for row in rows if row.type.required]
    return Progress(
        approved=sum(1 for row in required if row.approved is not None),
        required=len(required),
    )
