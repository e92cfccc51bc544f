"""The first sheet of an XLSX workbook, checked before it is read and read fast.

The cells are read by python-calamine (Rust's calamine: a 50,000-line bill in
about half a second). openpyxl's read-only mode was measured first and not
kept for reading: it took about 6 s for the same bill (with defusedxml
installed its XML parser runs in pure Python), and opening a read-only sheet
parses the whole sheet once just to find its size when the file has no
``<dimension>`` element, 17 s for a million-row file before a row is read.

Before calamine sees the file, this module (with defusedxml for the small
parts it parses) finds the first sheet, refuses any XML part that carries a
DTD (the only place an entity bomb can be declared), and counts the sheet's
rows on the raw XML as it unpacks, so an oversized sheet is refused without
being loaded.
"""
from __future__ import annotations

import io
import posixpath
import re
import zipfile
from typing import Iterator

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from python_calamine import CalamineError, CalamineWorkbook

from core.sheets.cells import excel_text

_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)")
_PROLOG_BYTES = 4096

# What calamine and the ZIP and XML layers raise for a damaged workbook.
# (zipfile: NotImplementedError for unknown versions and compression methods, RuntimeError for encrypted members.)
BROKEN = (CalamineError, zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, ValueError, TypeError, IndexError,
          EOFError, OSError, SyntaxError, NotImplementedError, RuntimeError)


class EntitiesRefused(DefusedXmlException):
    """An XML part of the workbook declares a DTD (entities: a bomb, or a reference to outside)."""


class BrokenWorkbook(ValueError):
    """The workbook's structure is not what Excel writes (a missing part or reference)."""


class NoSheet(BrokenWorkbook):
    """The workbook lists no worksheet."""


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _rels(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, target path in the archive) of ``part``."""
    folder, name = posixpath.split(part)
    path = posixpath.join(folder, "_rels", name + ".rels")
    if path not in archive.NameToInfo:
        return {}
    out = {}
    for rel in fromstring(archive.read(path)):
        target = rel.get("Target", "")
        full = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        out[rel.get("Id")] = (rel.get("Type", ""), full)
    return out


def refuse_dtds(archive: zipfile.ZipFile) -> None:
    """Raise EntitiesRefused if any XML part starts with a DTD (Excel never writes one)."""
    for info in archive.infolist():
        if info.filename.endswith((".xml", ".rels", ".vml")):
            with archive.open(info) as stream:
                if _DTD.search(stream.read(_PROLOG_BYTES)):
                    raise EntitiesRefused("a DTD in " + info.filename)


def first_sheet_path(archive: zipfile.ZipFile) -> str:
    """The archive path of the workbook's first worksheet."""
    book_part = next((t for kind, t in _rels(archive, "").values() if kind.endswith("/officeDocument")),
                     "xl/workbook.xml")
    if book_part not in archive.NameToInfo:
        raise BrokenWorkbook("no workbook part")
    book = fromstring(archive.read(book_part))
    sheets = [el for el in book.iter() if _local(el.tag) == "sheet"]
    if not sheets:
        raise NoSheet("no sheet")
    rels = _rels(archive, book_part)
    rel_id = next((v for k, v in sheets[0].attrib.items() if _local(k) == "id"), None)
    if rel_id not in rels or rels[rel_id][1] not in archive.NameToInfo:
        raise BrokenWorkbook("the first sheet's part is missing")
    return rels[rel_id][1]


def count_rows(archive: zipfile.ZipFile, path: str, stop_after: int) -> int:
    """Rows in a sheet's XML, counted on the raw bytes as they unpack (stops once past ``stop_after``)."""
    count, tail = 0, b""
    with archive.open(path) as stream:
        while chunk := stream.read(1 << 20):
            buf = tail + chunk
            count += sum(1 for m in _ROW_TAG.finditer(buf) if m.end() > len(tail))
            if count > stop_after:
                return count
            tail = buf[-40:]
    return count


def check(content: bytes, max_rows: int) -> int:
    """Open the archive, refuse DTDs, find the first sheet; its row count (at most ``max_rows`` + 1)."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        refuse_dtds(archive)
        return count_rows(archive, first_sheet_path(archive), max_rows)


def rows(content: bytes) -> Iterator[tuple[int, list[str]]]:
    """(row number, cell texts) of the first sheet; the workbook is closed when done or dropped."""
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    try:
        if not book.sheet_names:
            raise NoSheet("no sheet")
        sheet = book.get_sheet_by_index(0)
        first = (sheet.start or (0, 0))[0] + 1
        for offset, values in enumerate(sheet.iter_rows()):
            yield first + offset, [excel_text(v) for v in values]
    finally:
        book.close()
