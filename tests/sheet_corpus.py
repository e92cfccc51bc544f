"""The spreadsheet files every importer is tried against, made at test time (never committed).

Each importer describes its file with a :class:`Layout` (headers in English
and Chinese, a good row, a bad row, a row with formula-looking text); each
:data:`CASES` entry turns a layout into one file: GBK with Chinese headers,
UTF-8 with BOM, an XLSX, header only, empty, 2,000 bad lines, 20 MB,
1,000,000 rows (CSV and XLSX), formulas in cells, a fake XLSX, a ZIP bomb,
an entity bomb, a workbook without sheet, a truncated sheet, a NUL byte.
XLSX files are put together by hand (a few XML parts in a ZIP) so a million
rows take a second to make, not a minute.
"""
from __future__ import annotations

import codecs
import io
import zipfile
from dataclasses import dataclass
from typing import Callable
from xml.sax.saxutils import escape

GOOD_ROWS = 3
BAD_ROWS = 2000
MILLION = 1_000_000
BIG_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Layout:
    """One importer's file: headers (English, Chinese) and rows. ``good(i)`` must be valid for i < GOOD_ROWS."""

    headers_en: list[str]
    headers_zh: list[str]
    good: Callable[[int], list[str]]
    bad: Callable[[int], list[str]]
    formula: Callable[[int], list[str]]  # a row whose text starts with =, +, - or @ (valid or a clear error)
    good_zh: Callable[[int], list[str]] | None = None  # the good row as a Chinese office types it


@dataclass(frozen=True)
class Case:
    """How to make one file, and what the importer must answer: ``rows`` imported, or an error matching ``error``."""

    name: str
    build: Callable[[Layout], tuple[str, bytes]]
    rows: int | None = None
    error: str | None = None  # a regular expression the answer must contain (case-insensitive)
    status: int | None = None  # the exact status wanted for an error (else any 4xx)


def csv_bytes(rows: list[list[str]], *, encoding: str = "utf-8", bom: bool = False) -> bytes:
    text = "".join(",".join(_csv_cell(c) for c in row) + "\r\n" for row in rows)
    return (codecs.BOM_UTF8 if bom else b"") + text.encode(encoding)


def _csv_cell(value) -> str:
    text = str(value)
    return '"' + text.replace('"', '""') + '"' if any(ch in text for ch in ',"\r\n') else text


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>')
_BOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>')
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _book(sheets: bool = True) -> str:
    inner = '<sheet name="Sheet1" sheetId="1" r:id="rId1"/>' if sheets else ""
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>{inner}</sheets></workbook>')


def xml_row(values) -> str:
    cells = "".join(f'<c t="inlineStr"><is><t>{escape(str(v))}</t></is></c>' for v in values)
    return f"<row>{cells}</row>"


def xlsx_bytes(sheet_xml_chunks, *, sheets: bool = True, prolog: str = "") -> bytes:
    """A workbook whose first sheet's XML is the given chunks (streamed into the ZIP)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr("xl/workbook.xml", _book(sheets))
        zf.writestr("xl/_rels/workbook.xml.rels", _BOOK_RELS)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{prolog}'
                        f'<worksheet xmlns="{_MAIN}"><sheetData>'.encode())
            for chunk in sheet_xml_chunks:
                sheet.write(chunk if isinstance(chunk, bytes) else chunk.encode())
    return out.getvalue()


def xlsx_rows(rows: list[list[str]]) -> bytes:
    return xlsx_bytes(["".join(xml_row(r) for r in rows), "</sheetData></worksheet>"])


# --- the cases ---------------------------------------------------------------------------

def _good(layout: Layout, n: int = GOOD_ROWS) -> list[list[str]]:
    return [layout.good(i) for i in range(n)]


def _gbk_chinese(layout):
    rows = [layout.headers_zh] + [(layout.good_zh or layout.good)(i) for i in range(GOOD_ROWS)]
    return "gbk.csv", csv_bytes(rows, encoding="gbk")


def _utf8_bom(layout):
    return "bom.csv", csv_bytes([layout.headers_en] + _good(layout), bom=True)


def _xlsx_chinese(layout):
    return "list.xlsx", xlsx_rows([layout.headers_zh] + [(layout.good_zh or layout.good)(i) for i in range(GOOD_ROWS)])


def _formulas(layout):
    return "formulas.csv", csv_bytes([layout.headers_en] + [layout.formula(i) for i in range(GOOD_ROWS)])


def _header_only(layout):
    return "header.csv", csv_bytes([layout.headers_en])


def _empty(layout):
    return "empty.csv", b""


def _bad_lines(layout):
    return "bad.csv", csv_bytes([layout.headers_en] + [layout.bad(i) for i in range(BAD_ROWS)])


def _twenty_mb(layout):
    head = csv_bytes([layout.headers_en])
    line = csv_bytes([layout.good(0)])
    return "big.csv", head + line * (BIG_BYTES // len(line) + 1)


def _million_csv(layout):
    # Short lines, so the file stays under the upload limit and the row limit is what refuses it.
    return "million.csv", csv_bytes([layout.headers_en]) + b"1\r\n" * MILLION


def _million_xlsx(layout):
    row = b"<row><c><v>1</v></c></row>"
    block = row * 10_000
    return "million.xlsx", xlsx_bytes([xml_row(layout.headers_en)] + [block] * (MILLION // 10_000)
                                      + ["</sheetData></worksheet>"])


def _fake_xlsx(layout):
    return "list.xlsx", csv_bytes([layout.headers_en] + _good(layout))


def _zip_bomb(layout):
    # 200 MB of blanks inside a cell: a few hundred KB packed, far past the 100 MB a workbook may unpack to.
    spaces = b" " * (1 << 20)
    head = xml_row(layout.headers_en)[:-6] + '<c t="inlineStr"><is><t>'
    return "bomb.xlsx", xlsx_bytes([head] + [spaces] * 200 + ["</t></is></c></row></sheetData></worksheet>"])


def _entity_bomb(layout):
    entities = '<!ENTITY a0 "lol">' + "".join(f'<!ENTITY a{i} "{("&a%d;" % (i - 1)) * 10}">' for i in range(1, 10))
    prolog = f"<!DOCTYPE worksheet [{entities}]>"
    return "entities.xlsx", xlsx_bytes([xml_row(layout.headers_en),
                                        '<row><c t="inlineStr"><is><t>&a9;</t></is></c></row>',
                                        "</sheetData></worksheet>"], prolog=prolog)


def _no_sheet(layout):
    return "nosheet.xlsx", xlsx_bytes(["</sheetData></worksheet>"], sheets=False)


def _truncated_sheet(layout):
    xml = "".join(xml_row(r) for r in [layout.headers_en] + _good(layout))
    return "cut.xlsx", xlsx_bytes([xml[: len(xml) - 25]])  # cut mid-row, never closed


def _nul_byte(layout):
    rows = [layout.headers_en] + _good(layout)
    data = csv_bytes(rows)
    cut = data.index(b"\r\n") + 4
    return "nul.csv", data[:cut] + b"\x00" + data[cut:]


CASES = [
    Case("gbk_chinese", _gbk_chinese, rows=GOOD_ROWS),
    Case("utf8_bom", _utf8_bom, rows=GOOD_ROWS),
    Case("xlsx_chinese", _xlsx_chinese, rows=GOOD_ROWS),
    Case("formulas", _formulas, rows=GOOD_ROWS),
    Case("header_only", _header_only, error=r"only a header|no lines under it|header line but no"),
    Case("empty", _empty, error=r"empty"),
    Case("bad_2000", _bad_lines, error=r"2,?000|at most 500 lines"),
    Case("twenty_mb", _twenty_mb, error=r"larger than the limit of 10 MB", status=413),
    Case("million_csv", _million_csv, error=r"more than 100,000 lines"),
    Case("million_xlsx", _million_xlsx, error=r"more than 100,000 lines"),
    Case("fake_xlsx", _fake_xlsx, error=r"not an Excel workbook"),
    Case("zip_bomb", _zip_bomb, error=r"ZIP bomb"),
    Case("entity_bomb", _entity_bomb, error=r"entity bomb"),
    Case("no_sheet", _no_sheet, error=r"has no sheet"),
    Case("truncated_sheet", _truncated_sheet, error=r"damaged or cut short"),
    Case("nul_byte", _nul_byte, error=r"NUL byte"),
]
CASE_NAMES = [case.name for case in CASES]
