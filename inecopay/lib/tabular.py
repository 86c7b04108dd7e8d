"""Tables out to CSV and XLSX: one column model, streamed writers, no formula ever runs.

Rows are plain sequences, one value per column, in column order. Values by kind:

- ``text``: ``str`` (or anything ``str()`` makes sense of); ``None`` is an empty cell.
- ``int``: ``int``.
- ``money``: ``int`` in minor units (converted by the currency's exponent) or ``Decimal``
  already in major units.
- ``datetime``: a ``datetime`` already in the zone the reader should see (the merchant's);
  an aware value is written as its wall-clock time, since neither format keeps a zone.
- ``date``: a ``date``.

CSV is UTF-8 with a BOM (so spreadsheet programs detect the encoding); decimals use a comma
when the delimiter is ``;`` (the convention of the locales that use ``;``), a point otherwise.
XLSX is written by openpyxl in write-only mode: memory stays flat at any length.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Literal

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .money import MINOR_UNITS

Kind = Literal["text", "int", "money", "datetime", "date"]
KINDS: frozenset[str] = frozenset({"text", "int", "money", "datetime", "date"})

# A cell starting with one of these is taken for a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

CURRENCY_SYMBOLS = {"AMD": "֏", "USD": "$", "EUR": "€", "RUB": "₽"}
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
DATE_FORMAT = "yyyy-mm-dd"
INT_FORMAT = "#,##0"
CSV_DATETIME = "%Y-%m-%d %H:%M:%S"
# Rows buffered before a CSV chunk is handed on: big enough to keep overhead low, small
# enough that a streamed response starts at once.
CSV_CHUNK_ROWS = 500
MAX_XLSX_TEXT = 32_767


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    kind: Kind = "text"
    width: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


@dataclass
class Sheet:
    """One worksheet: a title (≤ 31 characters), columns, rows, optional currency and totals.

    ``currency`` gives money cells that currency's symbol and exponent; ``totals`` is one
    more row (a sequence like the others) written in bold after the data.
    """

    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    currency: str | None = None
    totals: Sequence[Any] | None = None
    # Rows written so far; readable while the writer runs (progress) and after it.
    written: int = field(default=0, init=False)


def safe_text(value: Any) -> str:
    """The value as CSV text that no spreadsheet program will run as a formula."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if text and text[0] in FORMULA_STARTS:
        return "'" + text
    return text


def money_major(value: int | Decimal, currency: str | None = None) -> Decimal:
    """Minor units (int) to a Decimal in major units; a Decimal is taken as major already."""
    if isinstance(value, Decimal):
        return value
    exponent = MINOR_UNITS.get(currency or "", 2)
    return Decimal(value).scaleb(-exponent)


def money_format(currency: str | None = None) -> str:
    """The XLSX number format for amounts: grouped, the currency's decimals and symbol."""
    exponent = MINOR_UNITS.get(currency or "", 2)
    number = "#,##0" + ("." + "0" * exponent if exponent else "")
    symbol = CURRENCY_SYMBOLS.get(currency or "")
    return f'{number} "{symbol}"' if symbol else number


# ---------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------
def _csv_converters(columns: Sequence[Column], decimal: str) -> list:
    # Every currency the portal handles has two decimals; a Decimal is shown with them.
    cents = Decimal("0.01")

    def text(value: Any) -> str:
        return safe_text(value)

    def integer(value: Any) -> str:
        return "" if value is None else str(int(value))

    def money(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, Decimal):
            value = value.quantize(cents)
        formatted = f"{money_major(value):f}"
        return formatted.replace(".", decimal) if decimal != "." else formatted

    def moment(value: Any) -> str:
        return "" if value is None else value.strftime(CSV_DATETIME)

    def day(value: Any) -> str:
        return "" if value is None else value.isoformat()

    by_kind = {"text": text, "int": integer, "money": money, "datetime": moment, "date": day}
    return [by_kind[column.kind] for column in columns]


def csv_decimal_separator(delimiter: str) -> str:
    return "," if delimiter == ";" else "."


def iter_csv(
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    delimiter: str = ";",
    header: bool = True,
    bom: bool = True,
    newline: str = "\r\n",
) -> Iterator[bytes]:
    """The CSV as UTF-8 chunks of a few hundred rows each, for a streamed response."""
    converters = _csv_converters(columns, csv_decimal_separator(delimiter))
    buffer = io.StringIO()
    # CRLF as RFC 4180 has it; with a bare LF Python's writer would leave a field's CR unquoted.
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    if bom:
        buffer.write("\ufeff")
    if header:
        writer.writerow([safe_text(column.title) for column in columns])
    pending = 0
    for row in rows:
        writer.writerow([convert(value) for convert, value in zip(converters, row, strict=True)])
        pending += 1
        if pending >= CSV_CHUNK_ROWS:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    tail = buffer.getvalue()
    if tail:
        yield tail.encode()


def write_csv(
    stream: IO[bytes],
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    delimiter: str = ";",
) -> int:
    """Write the CSV (BOM, header, rows) to a binary stream; returns the rows written."""
    count = 0

    def counted() -> Iterator[Sequence[Any]]:
        nonlocal count
        for row in rows:
            count += 1
            yield row

    for chunk in iter_csv(columns, counted(), delimiter=delimiter):
        stream.write(chunk)
    return count


def csv_header(columns: Sequence[Column], *, delimiter: str = ";", newline: str = "\r\n") -> bytes:
    """BOM and header line alone, for writers that produce the rows elsewhere (COPY)."""
    return b"".join(iter_csv(columns, (), delimiter=delimiter, newline=newline))


# ---------------------------------------------------------------------------
# XLSX
# ---------------------------------------------------------------------------
def _xlsx_text(value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    # Control characters are not allowed in the file format; drop rather than fail.
    if ILLEGAL_CHARACTERS_RE.search(text):
        text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return text[:MAX_XLSX_TEXT]


class _RowWriter:
    """Turns a row of values into cells, reusing one styled cell per column.

    openpyxl's write-only sheet writes each cell as soon as it is yielded, so a cell
    object can carry a new value in every row; styling it once per column instead of
    once per cell is what keeps the writer at openpyxl's own speed.
    """

    def __init__(self, ws, columns: Sequence[Column], currency: str | None, bold: bool) -> None:
        self.ws = ws
        self.kinds = [column.kind for column in columns]
        self.currency = currency
        self.cells = []
        font = Font(bold=True) if bold else None
        formats = {
            "money": money_format(currency),
            "datetime": DATETIME_FORMAT,
            "date": DATE_FORMAT,
            "int": INT_FORMAT,
        }
        for kind in self.kinds:
            cell = WriteOnlyCell(ws)
            if kind in formats:
                cell.number_format = formats[kind]
            if font is not None:
                cell.font = font
            self.cells.append(cell)

    def __call__(self, row: Sequence[Any]) -> list:
        out: list = []
        currency = self.currency
        for kind, cell, value in zip(self.kinds, self.cells, row, strict=True):
            if value is None or value == "":
                out.append(None)
                continue
            if kind == "text":
                # An explicit string cell: openpyxl would take "=…" for a formula and
                # "#N/A"-like text for an error, either of which the reader's program runs.
                cell._value = _xlsx_text(value)
                cell.data_type = "s"
            elif kind == "money":
                cell._value = money_major(value, currency)
                cell.data_type = "n"
            elif kind == "int":
                cell._value = int(value)
                cell.data_type = "n"
            else:
                if kind == "datetime" and value.tzinfo is not None:
                    value = value.replace(tzinfo=None)
                cell._value = value
                cell.data_type = "d"
            out.append(cell)
        return out


def _cells_to_row(values: Sequence, row_idx: int) -> Iterator:
    """Place prepared cells in their row and column.

    Stands in for openpyxl's `WriteOnlyWorksheet._values_to_row`, which first tries each
    cell as a value and takes it as a cell only after a ValueError: a quarter of the time
    of a row. Every value given here is a cell from `_RowWriter` or None.
    """
    for col_idx, cell in enumerate(values, 1):
        if cell is not None:
            cell.row = row_idx
            cell.column = col_idx
            yield cell


def _header_cells(ws, columns: Sequence[Column]) -> list:
    bold = Font(bold=True)
    cells = []
    for column in columns:
        cell = WriteOnlyCell(ws)
        cell._value = _xlsx_text(column.title)
        cell.data_type = "s"
        cell.font = bold
        cells.append(cell)
    return cells


def _sheet_title(title: str, used: set[str]) -> str:
    # Excel refuses these characters and titles over 31 characters or repeated.
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in title).strip("'") or "Sheet"
    cleaned = cleaned[:31]
    candidate, n = cleaned, 2
    while candidate.lower() in used:
        suffix = f" ({n})"
        candidate = cleaned[: 31 - len(suffix)] + suffix
        n += 1
    used.add(candidate.lower())
    return candidate


def write_xlsx(stream_or_path: IO[bytes] | str | Path, sheets: Iterable[Sheet]) -> None:
    """Write the workbook: per sheet a bold frozen header, widths, typed cells, totals."""
    workbook = Workbook(write_only=True)
    used: set[str] = set()
    for sheet in sheets:
        ws = workbook.create_sheet(_sheet_title(sheet.title, used))
        if hasattr(ws, "_values_to_row"):
            # Without it (another openpyxl) the cells still go through its own path.
            ws._values_to_row = _cells_to_row
        for index, column in enumerate(sheet.columns, 1):
            width = column.width or max(10.0, min(60.0, len(column.title) + 2.0))
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.freeze_panes = "A2"
        ws.append(_header_cells(ws, sheet.columns))
        to_cells = _RowWriter(ws, sheet.columns, sheet.currency, bold=False)
        sheet.written = 0
        for row in sheet.rows:
            ws.append(to_cells(row))
            sheet.written += 1
        if sheet.totals is not None:
            ws.append(_RowWriter(ws, sheet.columns, sheet.currency, bold=True)(sheet.totals))
    if not workbook.worksheets:
        raise ValueError("a workbook needs at least one sheet")
    if isinstance(stream_or_path, Path):
        stream_or_path = str(stream_or_path)
    workbook.save(stream_or_path)


def utf8_reader(stream: IO[bytes]) -> IO[str]:
    """A text reader of a CSV written here (BOM skipped), for tests and re-imports."""
    return codecs.getreader("utf-8-sig")(stream)


__all__ = [
    "Column",
    "Sheet",
    "csv_header",
    "iter_csv",
    "money_format",
    "money_major",
    "safe_text",
    "utf8_reader",
    "write_csv",
    "write_xlsx",
]
