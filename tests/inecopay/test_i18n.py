"""The Russian catalog is complete and compiled, so a fresh clone shows translated pages."""

from __future__ import annotations

from gettext import GNUTranslations
from pathlib import Path

import polib
import pytest

LOCALE = Path(__file__).resolve().parents[2] / "locale"


@pytest.fixture(scope="module")
def ru_po() -> polib.POFile:
    return polib.pofile(str(LOCALE / "ru" / "LC_MESSAGES" / "django.po"))


def test_every_russian_entry_is_translated_and_not_fuzzy(ru_po):
    missing = [entry.msgid for entry in ru_po if not entry.obsolete and not entry.translated()]
    fuzzy = [entry.msgid for entry in ru_po if "fuzzy" in entry.flags]
    assert missing == []
    assert fuzzy == []


def test_compiled_catalog_matches_the_po_file(ru_po):
    with open(LOCALE / "ru" / "LC_MESSAGES" / "django.mo", "rb") as handle:
        compiled = GNUTranslations(handle)
    for entry in ru_po:
        if entry.obsolete or entry.msgid_plural or entry.msgctxt:
            continue
        assert compiled.gettext(entry.msgid) == entry.msgstr, entry.msgid


def test_english_catalog_exists():
    assert (LOCALE / "en" / "LC_MESSAGES" / "django.po").is_file()
