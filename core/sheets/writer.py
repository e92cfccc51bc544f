"""Writing exports (CSV and XLSX) the same way for every download.

* Formula injection neutralised: a text cell starting with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return is written as text. In CSV it gets a leading
  ``'`` (what spreadsheets take as "this is text"); in XLSX it is a string cell,
  never a formula (openpyxl would otherwise write any ``=...`` string as one).
  Numbers stay numbers: only text is ever prefixed.
* Characters XML cannot carry (NUL and the other C0 controls but tab and line
  breaks) are replaced by U+FFFD, so one odd serial never breaks an export.
* Times in Asia/Shanghai (an aware UTC time is converted; a naive one is taken
  as UTC); days as ISO dates in CSV and date cells in XLSX.
* Headers in the reader's language: titles may be lazy strings, resolved in
  ``locale`` when one is passed (else the request's language).
* XLSX through openpyxl's write-only mode (rows streamed to disk, not built in
  memory), with a bold header row frozen under any title lines, column widths,
  and a number format per column kind. CSV as UTF-8 with a BOM so Excel shows
  Chinese.
"""
from __future__ import annotations

import csv
import io
import math
import re
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from decimal import Decimal
from typing import Iterable, Iterator, Sequence

from flask import Response

from flask import has_app_context
from flask_babel import force_locale
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from core.calendar import SHANGHAI

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"
MIMETYPES = {"csv": CSV_MIMETYPE, "xlsx": XLSX_MIMETYPE}
_DOWNLOAD_TYPES = {**MIMETYPES, "pdf": "application/pdf"}


def download(body: bytes, filename: str) -> Response:
    """``body`` as a file download named ``filename``; its type follows the name's ending."""
    kind = filename.rsplit(".", 1)[-1].lower()
    return Response(body, mimetype=_DOWNLOAD_TYPES.get(kind, "application/octet-stream"),
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


MAX_CELL_TEXT = 32_767  # Excel's limit for one cell

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# Number formats per column kind (XLSX).
FORMATS = {"int": "0", "number": "0.##", "money": "#,##0.00", "percent": "0.0", "days": "0.00",
           "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm:ss"}


@dataclass
class Column:
    """A column of an export: its title (may be a lazy string), kind (see FORMATS) and width."""

    title: object
    kind: str = "text"
    width: int | None = None
    number_format: str | None = None

    @property
    def format(self) -> str | None:
        return self.number_format or FORMATS.get(self.kind)


@dataclass
class Sheet:
    """One table: a sheet in XLSX, a block (after a blank line) in CSV.

    ``preamble``: lines above the header (a title, a note). ``rows``: any
    iterable, consumed once while writing.
    """

    title: object
    columns: Sequence[Column | object]
    rows: Iterable[Sequence]
    preamble: Sequence[Sequence] = field(default_factory=list)

    def column_list(self) -> list[Column]:
        return [c if isinstance(c, Column) else Column(c) for c in self.columns]


def safe_text(value: str) -> str:
    """Text with the characters a spreadsheet file cannot hold replaced (U+FFFD)."""
    return _ILLEGAL.sub("\ufffd", value)[:MAX_CELL_TEXT]


def csv_text(value: str) -> str:
    """Text as written to CSV: cleaned, and a formula-looking cell made text with a leading quote."""
    text = safe_text(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def shanghai(moment: datetime) -> datetime:
    """A time as a naive Asia/Shanghai wall-clock time (naive input is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(SHANGHAI).replace(tzinfo=None, microsecond=0)


def _plain(value) -> object:
    """A value reduced to what a cell holds: numbers, days, Shanghai times, or str (no NaN or infinity)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Decimal) and not value.is_finite():
        return None
    if value is None or isinstance(value, (bool, int, float, Decimal)):
        return value
    if isinstance(value, datetime):
        return shanghai(value)
    if isinstance(value, (date, time)):
        return value
    return str(value)


def _csv_cell(value) -> str:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, str):
        return csv_text(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def _locale_context(locale):
    return force_locale(locale) if locale and has_app_context() else nullcontext()


# --- CSV ----------------------------------------------------------------------------------

class _Line:
    """A file-like sink the csv module writes one line into."""

    __slots__ = ("text",)

    def write(self, text: str) -> None:
        self.text = text


def iter_csv(sheets: Sequence[Sheet], *, locale=None) -> Iterator[bytes]:
    """The export as CSV, in chunks (UTF-8 with BOM); sheets one after another with a blank line between."""
    sink = _Line()
    writer = csv.writer(sink)
    chunk: list[str] = ["\ufeff"]
    with _locale_context(locale):
        for number, sheet in enumerate(sheets):
            columns = sheet.column_list()
            header = [csv_text(str(c.title)) for c in columns]
            lines = [[_csv_cell(v) for v in line] for line in sheet.preamble]
            if number:
                lines.insert(0, [])
            for line in lines + [header]:
                writer.writerow(line)
                chunk.append(sink.text)
            for row in sheet.rows:
                writer.writerow([_csv_cell(v) for v in row])
                chunk.append(sink.text)
                if len(chunk) >= 2000:
                    yield "".join(chunk).encode("utf-8")
                    chunk = []
    yield "".join(chunk).encode("utf-8")


def csv_bytes(sheets: Sequence[Sheet], *, locale=None) -> bytes:
    """The whole CSV export as bytes."""
    return b"".join(iter_csv(sheets, locale=locale))


# --- XLSX ---------------------------------------------------------------------------------

def sheet_name(title: str, used: set[str]) -> str:
    """A valid, unique sheet name (31 characters, none of ``[]:*?/\\``)."""
    name = "".join("_" if ch in '[]:*?/\\' else ch for ch in safe_text(title)).strip("'")[:31] or "Sheet"
    base, n = name, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(name.lower())
    return name


class _XlsxCells:
    """Turns values into write-only cells of one sheet (text never a formula, typed formats)."""

    def __init__(self, ws, columns: list[Column]):
        self.ws = ws
        self.formats = [c.format for c in columns]

    def text(self, value: str):
        text = safe_text(value)
        if text.startswith("=") or text in ERROR_CODES:
            cell = WriteOnlyCell(self.ws, value=None)
            cell._value, cell.data_type = text, "s"  # a string cell, never a formula or an error value
            return cell
        return text

    def row(self, values: Sequence) -> list:
        out = []
        formats = self.formats
        for i, raw in enumerate(values):
            value = _plain(raw)
            if isinstance(value, str):
                out.append(self.text(value))
                continue
            if value is None or isinstance(value, bool):
                out.append(value)
                continue
            if isinstance(value, int) and abs(value) >= 10**15:
                out.append(str(value))  # beyond Excel's 15 digits: keep every digit, as text
                continue
            if isinstance(value, datetime):
                fmt = FORMATS["datetime"]
            elif isinstance(value, date):
                fmt = FORMATS["date"]
            elif isinstance(value, time):
                fmt = "hh:mm:ss"
            else:
                fmt = formats[i] if i < len(formats) else None
            if fmt:
                cell = WriteOnlyCell(self.ws, value=value)
                cell.number_format = fmt
                out.append(cell)
            else:
                out.append(value)
        return out


def xlsx_bytes(sheets: Sequence[Sheet], *, locale=None) -> bytes:
    """The export as an XLSX workbook: a sheet per table, bold frozen header, typed columns."""
    book = Workbook(write_only=True)
    used: set[str] = set()
    bold = Font(bold=True)
    with _locale_context(locale):
        for sheet in sheets:
            ws = book.create_sheet(sheet_name(str(sheet.title), used))
            columns = sheet.column_list()
            cells = _XlsxCells(ws, columns)
            titles = [str(c.title) for c in columns]
            for i, (column, title) in enumerate(zip(columns, titles), start=1):
                width = column.width or min(50, max(8, len(title) * (2 if not title.isascii() else 1) + 2))
                ws.column_dimensions[get_column_letter(i)].width = width
            plain = _XlsxCells(ws, [])
            preamble = [plain.row(line) for line in sheet.preamble]
            ws.freeze_panes = f"A{len(preamble) + 2}"
            for line in preamble:
                ws.append(line)
            header = []
            for title in titles:
                cell = WriteOnlyCell(ws, value=None)
                cell._value, cell.data_type = safe_text(title), "s"
                cell.font = bold
                header.append(cell)
            ws.append(header)
            for row in sheet.rows:
                ws.append(cells.row(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write(fmt: str, sheets: Sequence[Sheet], *, locale=None) -> bytes:
    """The export in ``fmt`` ("csv" or "xlsx")."""
    if fmt == "csv":
        return csv_bytes(sheets, locale=locale)
    if fmt == "xlsx":
        return xlsx_bytes(sheets, locale=locale)
    raise ValueError(f"unknown export format {fmt!r}")
