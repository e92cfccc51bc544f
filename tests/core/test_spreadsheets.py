"""core.sheets: reading uploads (encodings, cells, headers, limits) and writing exports (formulas, times, XLSX)."""
from __future__ import annotations

import codecs
import csv
import io
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from flask_babel import lazy_gettext as _l
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from core import sheets
from core.errors import ValidationFailed
from core.sheets.writer import safe_text
from tests import sheet_corpus as corpus

COLUMNS = sheets.Columns({"sku": ("料号", "物料编码"), "quantity": ("qty", "数量"), "weight": ("重量(kg)",)},
                         required=("sku",), codes=("sku",))


def read(content, filename="f.csv", columns=COLUMNS, **limits):
    return sheets.read_table(content, filename, columns, limits=sheets.Limits(**limits))


def refused(content, filename="f.csv", **limits) -> str:
    with pytest.raises(ValidationFailed) as err:
        read(content, filename, **limits)
    assert "file" in err.value.errors
    return err.value.message


# --- reading ------------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding, bom", [("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("gbk", b""),
                                           ("gb18030", b""), ("utf-16-le", codecs.BOM_UTF16_LE)])
def test_chinese_text_is_read_in_every_encoding_excel_saves(encoding, bom):
    content = bom + "物料编码,数量\nＰ-1,１２\n".encode(encoding)
    table = read(content)
    assert [(r.line, r["sku"], r["quantity"]) for r in table.rows] == [(2, "P-1", "12")]


def test_undecodable_text_is_refused_never_replaced():
    assert "neither UTF-8 nor GBK" in refused(b"sku,qty\n\x81\xff\xfe,1\n")


def test_delimiter_is_sniffed_from_the_header_and_quotes_keep_their_line_numbers():
    table = read("sku;qty\nA;1\n\n\"B\nstill B\";2\nC;3\n".encode())
    assert [(r.line, r["sku"], r["quantity"]) for r in table.rows] == [(2, "A", "1"), (4, "B\nstill B", "2"),
                                                                       (6, "C", "3")]
    assert [r["quantity"] for r in read(b"sku\tqty\nA\t7\n").rows] == ["7"]


def test_headers_match_whatever_the_width_and_punctuation():
    table = read("  物料编码 ：,QTY,重量（kg）\nA,1,2.5\n".encode())
    assert table.rows[0].as_dict() == {"sku": "A", "quantity": "1", "weight": "2.5"}


def test_a_missing_required_column_names_the_column():
    message = refused(b"name,qty\nA,1\n")
    assert "missing" in message and "sku" in message


def test_an_extra_cell_is_not_a_crash():
    row = read(b"sku,qty\nA,1,surplus,\n").rows[0]
    assert row["quantity"] == "1" and row.extra == 1


def test_cells_are_normalised():
    assert sheets.clean_text("\u3000１２\u00a0件\u200b ") == "12\u00a0件".replace("\u00a0", " ")
    assert sheets.clean_code("ＳＳＤ－１") == "SSD-1"
    assert sheets.as_int("1,000") == 1000 and sheets.as_int("3.0") == 3 and sheets.as_int("１２") == 12
    assert sheets.as_decimal("￥1,234.50") == Decimal("1234.50")
    for text in ("2026-11-03", "2026/11/3", "2026.11.3", "2026年11月3日", "20261103", "2026-11-03 10:20:00",
                 "46329"):
        assert sheets.as_date(text) == date(2026, 11, 3), text
    with pytest.raises(ValueError):
        sheets.as_int("1.5")
    with pytest.raises(ValueError):
        sheets.as_date("3")


def test_xlsx_cells_come_back_as_the_text_excel_shows():
    book = Workbook()
    sheet = book.active
    sheet.append(["SKU", "数量", "重量(kg)", "日期"])
    sheet.append([12345678901234, 3.0, 0.1 + 0.2, datetime(2026, 11, 3)])
    sheet.append(["ＡＢ-1", 7, 1e-7, date(2026, 11, 4)])
    out = io.BytesIO()
    book.save(out)
    columns = sheets.Columns({**COLUMNS.aliases, "day": ("日期",)}, required=("sku",), codes=("sku",))
    rows = [r.as_dict() for r in read(out.getvalue(), "b.xlsx", columns).rows]
    assert rows == [{"sku": "12345678901234", "quantity": "3", "weight": "0.3", "day": "2026-11-03"},
                    {"sku": "AB-1", "quantity": "7", "weight": "0.0000001", "day": "2026-11-04"}]


def test_limits_are_configurable_and_checked_before_the_work(app):
    rows = [["sku", "qty"]] + [[f"A{i}", "1"] for i in range(6)]
    assert "more than 5 lines" in refused(corpus.csv_bytes(rows), max_rows=5)
    assert "more than 5 lines" in refused(corpus.xlsx_rows(rows), "f.xlsx", max_rows=5)
    assert len(read(corpus.csv_bytes(rows), max_rows=6).rows) == 6
    assert "larger than" in refused(corpus.csv_bytes(rows), max_bytes=20)
    with app.app_context():
        app.config["DEPOT_IMPORT_MAX_ROWS"] = 5
        try:
            assert sheets.Limits.current().max_rows == 5
        finally:
            app.config["DEPOT_IMPORT_MAX_ROWS"] = sheets.DEFAULT_MAX_ROWS


@pytest.mark.parametrize("filename, content, words", [
    ("f.pdf", b"%PDF-1.4", "Upload a .csv or .xlsx file"),
    ("f.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "Old Excel .xls"),
    ("f.xlsx", b"PK\x03\x04 not a zip", "not a readable XLSX"),
    ("f.csv", b"   \r\n  ", "empty"),
])
def test_files_no_import_reads_are_refused_by_name(filename, content, words):
    assert words in refused(content, filename)


def test_refusals_list_the_first_fifty_and_the_total(app):
    with app.test_request_context():
        err = sheets.refuse("bad", [(n, f"reason {n}") for n in range(2000, 0, -1)],
                            line_format="Line %(line)s: %(reason)s")
    assert err.extra["total"] == 2000 and len(err.extra["rows"]) == 50
    assert err.errors["file"][0] == "Line 1: reason 1" and len(err.errors["file"]) == 51
    assert "1950 more" in err.errors["file"][-1]


# --- writing ------------------------------------------------------------------------------------

DANGEROUS = ["=1+1", '=HYPERLINK("http://x","y")', "+SUM(A1)", "-2+3", "@cmd", "\tTAB", "\rCR", "#N/A"]


def _export(fmt, locale=None, rows=None):
    columns = [sheets.Column(_l("SKU")), sheets.Column(_l("Counted"), "int"), sheets.Column("At", "datetime"),
               sheets.Column("Cost", "money"), sheets.Column("Day", "date")]
    rows = rows or [[text, -3, datetime(2026, 11, 3, 16, 30, tzinfo=timezone.utc), Decimal("-12.50"),
                     date(2026, 11, 4)] for text in DANGEROUS + ["A\x00B\x1f"]]
    return sheets.write(fmt, [sheets.Sheet("Count", columns, rows)], locale=locale)


def test_csv_export_defuses_formulas_keeps_numbers_and_writes_shanghai_times(app):
    with app.test_request_context():
        text = _export("csv").decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0][:2] == ["SKU", "Counted"]
    assert [r[0] for r in rows[1:-1]] == ["'" + t if t[0] in "=+-@\t\r" else t for t in DANGEROUS]
    assert rows[1][1:] == ["-3", "2026-11-04 00:30:00", "-12.50", "2026-11-04"]
    assert rows[-1][0] == "A\ufffdB\ufffd"


def test_xlsx_export_writes_text_cells_never_formulas_and_survives_control_characters(app):
    with app.test_request_context():
        book = load_workbook(io.BytesIO(_export("xlsx")))
    sheet = book["Count"]
    assert sheet.freeze_panes == "A2"
    header = next(sheet.iter_rows(max_row=1))
    assert [c.value for c in header][:2] == ["SKU", "Counted"] and header[0].font.b
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    # (XML reads a lone CR back as a line feed.)
    assert [c.value for c in cells[:-1]] == [t.replace("\r", "\n") for t in DANGEROUS]
    assert {c.data_type for c in cells} == {"s"}
    assert cells[-1].value == "A\ufffdB\ufffd"
    second = next(sheet.iter_rows(min_row=2, max_row=2))
    assert second[1].value == -3 and second[2].value == datetime(2026, 11, 4, 0, 30)
    assert second[3].number_format == "#,##0.00" and second[4].value == datetime(2026, 11, 4)


def test_export_headers_follow_the_language_passed_in(app):
    with app.test_request_context():
        zh = _export("csv", locale="zh_CN").decode("utf-8")
        en = _export("csv", locale="en").decode("utf-8")
    assert zh.splitlines()[0] == "\ufeff料号,实盘,At,Cost,Day"
    assert en.splitlines()[0] == "\ufeffSKU,Counted,At,Cost,Day"


def test_a_large_export_streams_and_reads_back(app):
    rows = ([f"S{i}", i, None, Decimal(i), None] for i in range(20_000))
    with app.test_request_context():
        content = _export("xlsx", rows=rows)
        table = sheets.read_table(content, "big.xlsx", sheets.Columns({"sku": ("SKU",), "n": ("Counted",)}),
                                  limits=sheets.Limits())
    assert len(table.rows) == 20_000 and table.rows[-1].as_dict() == {"sku": "S19999", "n": "19999"}


# --- properties ---------------------------------------------------------------------------------

_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)


@given(st.binary(max_size=3000), st.sampled_from(["f.csv", "f.xlsx", "f.txt", ""]))
def test_any_bytes_are_read_or_refused_never_a_crash(content, filename):
    try:
        read(content, filename)
    except ValidationFailed as err:
        assert err.errors["file"]


@given(st.lists(st.tuples(_TEXT, _TEXT), min_size=1, max_size=15))
def test_csv_cells_come_back_as_written(rows):
    data = [["sku", "qty"]] + [list(r) for r in rows]
    out = io.StringIO()
    csv.writer(out).writerows(data)
    try:
        table = read(out.getvalue().encode("utf-8"))
    except ValidationFailed as err:
        # Only a file whose lines are all blank under the header may be refused.
        assert all(not sheets.clean_text(a) and not sheets.clean_text(b) for a, b in rows), err.message
        return
    expected = [(sheets.clean_code(a), sheets.clean_text(b)) for a, b in rows
                if sheets.clean_text(a) or sheets.clean_text(b)]
    assert [(r["sku"], r["quantity"]) for r in table.rows] == expected


@given(st.lists(_TEXT, min_size=1, max_size=10))
def test_xlsx_export_keeps_any_text_as_text(texts):
    book = load_workbook(io.BytesIO(sheets.xlsx_bytes([sheets.Sheet("S", ["T"], [[t] for t in texts])])))
    cells = [row[0] for row in book["S"].iter_rows(min_row=2)]
    assert [c.value or "" for c in cells] == [safe_text(t).replace("\r", "\n") for t in texts]
    assert all(c.data_type == "s" for c in cells if c.value is not None)


@given(st.data())
def test_a_damaged_workbook_is_refused_never_a_crash(data):
    # Flipped or cut bytes reach the ZIP layer's odd corners (unknown versions, "encrypted" members).
    content = bytearray(corpus.xlsx_rows([["sku", "qty"]] + [[f"A{i}", str(i)] for i in range(5)]))
    if data.draw(st.booleans()):
        content = content[: data.draw(st.integers(0, len(content) - 1))]
    else:
        for _ in range(data.draw(st.integers(1, 30))):
            content[data.draw(st.integers(0, len(content) - 1))] = data.draw(st.integers(0, 255))
    try:
        read(bytes(content), "f.xlsx")
    except ValidationFailed as err:
        assert err.errors["file"]
