"""Reading an uploaded spreadsheet (CSV or XLSX) into rows, the same way for every import.

What every import gets from here:

* The format from the content, not the name: a ZIP is an XLSX workbook, an old
  ``.xls`` or a file named ``.xlsx`` that is no workbook is refused by name.
* CSV text in UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030 (the
  superset of GBK that Excel on Chinese Windows saves). A strict cascade, never
  ``errors="replace"``: each of these either decodes the bytes exactly or fails,
  and UTF-8 almost never decodes GBK text by accident. A statistical detector
  (charset-normalizer) guesses, and on the short files offices send it picks
  Big5 or a Latin code page for GBK often enough to garble a Chinese header; the
  cascade is deterministic and decodes 10 MB in milliseconds.
* The delimiter chosen once, from the header line (comma, semicolon or tab).
* XLSX: the first sheet, read by python-calamine after :mod:`core.sheets.xlsx`
  checked the workbook (no DTD in any part, so no entity bomb; the rows counted
  on the raw XML). The ZIP's member sizes are checked before anything is
  unpacked (a zip bomb is refused: zipfile never unpacks more than a member's
  declared size). See that module for why not openpyxl's read-only mode.
* Limits (bytes, data rows, unpacked bytes) checked before the work: a file of
  a million rows is refused in a fraction of a second without being read into
  memory. ``DEPOT_IMPORT_MAX_ROWS`` and ``DEPOT_IMPORT_MAX_BYTES`` configure them.
* Headers mapped through each import's aliases (English and Chinese), cells
  trimmed and normalised (see :mod:`core.sheets.cells`), blank rows skipped,
  line numbers as the user sees them (the CSV line, the sheet's row number).
* Errors bounded for the answer: :func:`refuse` lists the first
  :data:`MAX_REPORTED` bad lines and the total.
"""
from __future__ import annotations

import codecs
import csv
import gc
import io
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Mapping


from defusedxml import DefusedXmlException
from flask import current_app, has_app_context
from flask_babel import gettext as _

from core.errors import ValidationFailed
from core.sheets import xlsx
from core.sheets.cells import clean_code, clean_text, header_name

DEFAULT_MAX_ROWS = 100_000
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_UNPACKED = 100 * 1024 * 1024
MAX_ZIP_MEMBERS = 2_000
MAX_COLUMNS = 200
MAX_REPORTED = 50
TEXT_EXTENSIONS = ("csv", "txt", "tsv")
XLSX_EXTENSIONS = ("xlsx", "xlsm")


@dataclass(frozen=True)
class Limits:
    """How much one import may read: file bytes, data rows, and bytes unpacked from an XLSX."""

    max_rows: int = DEFAULT_MAX_ROWS
    max_bytes: int = DEFAULT_MAX_BYTES
    max_unpacked: int = DEFAULT_MAX_UNPACKED

    @classmethod
    def current(cls, **overrides) -> "Limits":
        """The configured limits (``DEPOT_IMPORT_MAX_*``), with an import's own overrides."""
        values = {}
        if has_app_context():
            config = current_app.config
            values = {"max_rows": int(config.get("DEPOT_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS)),
                      "max_bytes": int(config.get("DEPOT_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)),
                      "max_unpacked": int(config.get("DEPOT_IMPORT_MAX_UNPACKED", DEFAULT_MAX_UNPACKED))}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def file_error(message: str, detail: str | None = None) -> ValidationFailed:
    """A refusal of the whole file (``errors["file"]``), nothing read."""
    return ValidationFailed(message, errors={"file": [detail or message]})


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f}"


# --- the format ---------------------------------------------------------------------------

def sniff_format(content: bytes, filename: str = "") -> str:
    """``"xlsx"`` or ``"csv"`` for an upload; refuses the kinds of file no import reads."""
    name = (filename or "").strip().lower()
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    if content[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "xlsx"
    if content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" or ext == "xls":
        raise file_error(_("Old Excel .xls files cannot be read: save the sheet as .xlsx or CSV."),
                         _("Old .xls format."))
    if ext in XLSX_EXTENSIONS:
        raise file_error(_("The file is named .%(ext)s but is not an Excel workbook.", ext=ext),
                         _("Not an XLSX workbook."))
    if ext and ext not in TEXT_EXTENSIONS:
        raise file_error(_("Upload a .csv or .xlsx file."), _("Unsupported file type."))
    return "csv"


# --- CSV ----------------------------------------------------------------------------------

def decode_text(content: bytes) -> str:
    """The text of a CSV upload: UTF-8 (BOM or not), UTF-16 with BOM, else GB18030; never guessed."""
    if content.startswith(codecs.BOM_UTF8):
        encodings = ("utf-8-sig",)
    elif content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise file_error(_("The file is neither UTF-8 nor GBK text: save it from Excel as CSV (UTF-8) or as .xlsx."),
                     _("Unknown text encoding."))


def sniff_delimiter(line: str) -> str:
    """Comma, semicolon or tab: whichever the header line has most of (comma on a tie)."""
    counts = {sep: line.count(sep) for sep in (",", "\t", ";")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _csv_rows(text: str, limits: Limits) -> Iterator[tuple[int, list[str]]]:
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise file_error(_("Line %(n)s contains a NUL byte: this is not a text CSV file. Save it from Excel as CSV "
                           "or .xlsx.", n=line), _("NUL byte on line %(n)s.", n=line))
    head = text[: 1 << 16]
    delimiter = sniff_delimiter(next((ln for ln in head.splitlines() if ln.strip()), ""))
    if text.count("\n") > limits.max_rows + 1:
        # Count the records before reading one (quoted line breaks make lines outnumber records).
        records = 0
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if record:
                records += 1
                if records > limits.max_rows + 1:
                    raise _too_many_rows(limits)
    return _csv_records(text, delimiter)


def _csv_records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 0
    while True:
        start = line + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise file_error(_("Line %(n)s cannot be read as CSV (%(why)s).", n=start, why=str(exc)),
                             _("Malformed CSV on line %(n)s.", n=start)) from None
        line = reader.line_num
        yield start, [clean_text(cell) for cell in record[:MAX_COLUMNS]]


# --- XLSX ---------------------------------------------------------------------------------

def _check_zip(content: bytes, limits: Limits) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except xlsx.BROKEN:
        raise file_error(_("The file is not a readable XLSX workbook (it is damaged or not from Excel)."),
                         _("Not a readable XLSX file.")) from None
    unpacked = sum(m.file_size for m in members)
    if len(members) > MAX_ZIP_MEMBERS or unpacked > limits.max_unpacked:
        raise file_error(_("The workbook unpacks to more than %(mb)s MB; it is refused (a ZIP bomb, or far larger "
                           "than any list Depot reads).", mb=_mb(limits.max_unpacked)),
                         _("Unpacks too large."))
    names = {m.filename for m in members}
    if "xl/workbook.xml" not in names and not any(n.endswith("workbook.xml") for n in names):
        raise file_error(_("The file is a ZIP archive but not an Excel workbook."), _("Not an XLSX workbook."))


def _xlsx_rows(content: bytes, limits: Limits) -> Iterator[tuple[int, list[str]]]:
    """The rows of the first sheet, after the workbook passed its checks (sizes, DTDs, row count)."""
    _check_zip(content, limits)
    try:
        rows = xlsx.check(content, limits.max_rows + 1)
    except xlsx.NoSheet:
        raise file_error(_("The workbook has no sheet."), _("No sheet.")) from None
    except DefusedXmlException:
        raise _entity_bomb() from None
    except (*xlsx.BROKEN, zlib.error):
        raise file_error(_("The file is not a readable XLSX workbook (it is damaged or not from Excel)."),
                         _("Not a readable XLSX file.")) from None
    if rows > limits.max_rows + 1:
        raise _too_many_rows(limits)
    return _sheet_rows(content)


def _sheet_rows(content: bytes) -> Iterator[tuple[int, list[str]]]:
    rows = xlsx.rows(content)
    try:
        for number, cells in rows:
            yield number, cells[:MAX_COLUMNS]
    except xlsx.NoSheet:
        raise file_error(_("The workbook has no sheet."), _("No sheet.")) from None
    except (*xlsx.BROKEN, zlib.error):
        raise _damaged_sheet() from None
    finally:
        rows.close()


def _entity_bomb() -> ValidationFailed:
    return file_error(_("The workbook declares XML entities (an 'entity bomb'); it is refused."),
                      _("XML entities are not allowed."))


def _damaged_sheet() -> ValidationFailed:
    return file_error(_("The first sheet of the workbook is damaged or cut short; nothing was imported."),
                      _("Damaged or truncated sheet."))


def _too_many_rows(limits: Limits) -> ValidationFailed:
    limit = format(limits.max_rows, ",")
    return file_error(_("The file has more than %(n)s lines; split it into smaller files.", n=limit),
                      _("Too many lines (the limit is %(n)s).", n=limit))


# --- rows ---------------------------------------------------------------------------------

def iter_rows(content: bytes | str, filename: str = "", *, limits: Limits | None = None
              ) -> "_Rows":
    """(line number, cleaned cells) of every non-blank row of an upload, header included.

    The file as a whole is checked first (type, size, encoding, NUL bytes, ZIP
    sizes, row count); a ValidationFailed on ``file`` refuses it. Pasted text
    (``str``) is read as CSV.
    """
    limits = limits or Limits.current()
    if isinstance(content, str):
        text = content
        if len(text.encode("utf-8", "surrogatepass")) > limits.max_bytes:
            raise _too_large(limits)
        rows = _csv_rows(text, limits)
    else:
        if not content or not content.strip():
            raise file_error(_("The file is empty."), _("Empty file."))
        if len(content) > limits.max_bytes:
            raise _too_large(limits)
        if sniff_format(content, filename) == "xlsx":
            return _Rows(_xlsx_rows(content, limits), limits)
        rows = _csv_rows(decode_text(content), limits)
    return _Rows(rows, limits)


def _too_large(limits: Limits) -> ValidationFailed:
    return file_error(_("The file is larger than %(mb)s MB; split it into smaller files.", mb=_mb(limits.max_bytes)),
                      _("Too large."))


class _Rows:
    """The non-blank rows of a file, counted against the row limit; ``close()`` releases the file
    (the XLSX workbook is opened on the first row and closed when the rows end or are closed)."""

    def __init__(self, rows: Iterator[tuple[int, list[str]]], limits: Limits):
        self._rows, self._limits, self._seen = rows, limits, 0

    def __iter__(self):
        return self

    def __next__(self) -> tuple[int, list[str]]:
        try:
            for number, cells in self._rows:
                if any(cells):
                    self._seen += 1
                    if self._seen > self._limits.max_rows + 1:  # the header and the data rows
                        raise _too_many_rows(self._limits)
                    return number, cells
        except ValidationFailed:
            self.close()
            raise
        self.close()
        raise StopIteration

    def close(self) -> None:
        getattr(self._rows, "close", lambda: None)()


@contextmanager
def paused_gc():
    """No cyclic garbage collection while a file's rows are built.

    The rows are many small lists and dicts kept alive: the collector would
    walk them all again and again as they are made (half the reading time),
    and they hold no cycles. Collection resumes (if it was on) afterwards.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


@dataclass(frozen=True)
class Columns:
    """One import's columns: header spellings per field (English and Chinese), which are required.

    ``positional``: the fields in order, for files without a header row (the
    first row is then data). ``codes``: fields holding codes, read with
    full-width letters folded to ASCII. ``duplicates="refuse"`` refuses a
    header naming a field twice (otherwise the first column wins).
    """

    aliases: Mapping[str, Iterable[str]]
    required: tuple[str, ...] = ()
    positional: tuple[str, ...] | None = None
    codes: tuple[str, ...] = ()
    duplicates: str = "first"

    def lookup(self) -> dict[str, str]:
        table = {}
        for key, names in self.aliases.items():
            table[header_name(key)] = key
            for name in names:
                table.setdefault(header_name(name), key)
        return table

    def describe(self, key: str) -> str:
        names = [n for n in self.aliases.get(key, ()) if n != key][:3]
        return f"{key} ({', '.join(names)})" if names else key


class Row:
    """One data row: ``row["sku"]`` is the cleaned text of that column ("" when absent)."""

    __slots__ = ("line", "cells", "_index", "_codes")

    def __init__(self, line: int, cells: list[str], index: dict[str, int], codes: frozenset):
        self.line, self.cells, self._index, self._codes = line, cells, index, codes

    def __getitem__(self, key: str) -> str:
        i = self._index.get(key)
        if i is None or i >= len(self.cells):
            return ""
        return clean_code(self.cells[i]) if key in self._codes else self.cells[i]

    get = __getitem__

    def as_dict(self) -> dict[str, str]:
        return {key: self[key] for key in self._index}

    @property
    def extra(self) -> int:
        """How many non-empty cells lie beyond the header's last column."""
        width = max(self._index.values(), default=-1) + 1
        return sum(1 for cell in self.cells[width:] if cell)

    def __repr__(self) -> str:
        return f"Row({self.line}, {self.as_dict()!r})"


@dataclass
class Table:
    """The rows of an upload under its header: ``index`` maps fields to columns."""

    header_line: int | None
    index: dict[str, int]
    rows: list[Row] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    width: int = 0

    def has(self, key: str) -> bool:
        return key in self.index


def read_table(content: bytes | str, filename: str, columns: Columns, *, limits: Limits | None = None,
               missing_message: str | None = None, require_rows: bool = True) -> Table:
    """Every data row of an upload under its header, after the whole file passed its checks.

    Refuses (ValidationFailed on ``file``) an unreadable file, one without
    lines, a header lacking a required column, or (``require_rows``) a header
    with no line under it; a file without header is read positionally when
    ``columns.positional`` is given.
    """
    rows = iter_rows(content, filename, limits=limits)
    lookup = columns.lookup()
    codes = frozenset(columns.codes)
    pause = paused_gc()
    pause.__enter__()
    try:
        first = next(rows, None)
        if first is None:
            raise file_error(_("The file has no lines."), _("No lines."))
        header_line, header = first
        index: dict[str, int] = {}
        unknown = []
        for position, title in enumerate(header):
            key = lookup.get(header_name(title))
            if key is None:
                if title:
                    unknown.append(title)
            elif key in index:
                if columns.duplicates == "refuse":
                    raise file_error(_("The column %(name)s appears twice.", name=title))
            else:
                index[key] = position
        missing = [key for key in columns.required if key not in index]
        table = Table(header_line, index, unknown=unknown, header=header, width=len(header))
        if columns.positional and (missing or not index):
            table = Table(None, {key: i for i, key in enumerate(columns.positional)},
                          width=len(columns.positional))
            table.rows.append(Row(header_line, header, table.index, codes))
        elif missing:
            raise file_error(
                missing_message or _("Line %(n)s must name the columns; missing: %(cols)s.", n=header_line,
                                     cols="; ".join(columns.describe(k) for k in missing)),
                _("Missing column: %(c)s.", c=", ".join(missing)))
        table.rows.extend(Row(line, cells, table.index, codes) for line, cells in rows)
    finally:
        rows.close()
        pause.__exit__(None, None, None)
    if require_rows and not table.rows:
        raise file_error(_("The file has a header line but no lines under it: nothing to import."),
                         _("Only a header line."))
    return table


# --- errors -------------------------------------------------------------------------------

def bounded(problems: Iterable[tuple[int, str]]) -> tuple[list[tuple[int, str]], int]:
    """The first :data:`MAX_REPORTED` problems by line, and how many there are in all."""
    ordered = sorted(problems, key=lambda p: p[0])
    return ordered[:MAX_REPORTED], len(ordered)


def more_message(total: int, shown: int) -> str:
    """The line that closes a cut list of errors."""
    return _("…and %(n)s more bad lines (%(total)s in all); the first %(shown)s are listed.",
             n=total - shown, total=total, shown=shown)


def cap(messages: list) -> list:
    """At most :data:`MAX_REPORTED` messages, and a last one saying how many more there are."""
    if len(messages) <= MAX_REPORTED:
        return list(messages)
    return list(messages[:MAX_REPORTED]) + [more_message(len(messages), MAX_REPORTED)]


def refuse(message: str, problems: Iterable[tuple[int, str]], *, field: str = "file",
           line_format: str | None = None) -> ValidationFailed:
    """The error for a file with bad lines: the first :data:`MAX_REPORTED` listed, the total counted.

    ``problems`` are (line, reason). ``errors[field]`` lists the reasons (each
    as ``line_format % {"line", "reason"}`` when given, e.g. a translated
    "Line %(line)s: %(reason)s"); ``rows`` ([{"line", "reason"}]) and ``total``
    go with it for pages and the API.
    """
    shown, total = bounded(problems)
    messages = [line_format % {"line": line, "reason": reason} if line_format else reason for line, reason in shown]
    if total > len(shown):
        messages.append(more_message(total, len(shown)))
    return ValidationFailed(message, errors={field: messages},
                            rows=[{"line": line, "reason": reason} for line, reason in shown], total=total)
