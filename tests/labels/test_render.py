"""The label engine: every barcode, rasterised at printer resolutions, decodes to exactly its text."""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import ValidationFailed
from labels.render import (
    DOT_MM, LabelSpec, a4_sheet_pdf, code_problem, module_mm, symbol, thermal_pdf, zpl,
    zpl_code128_data,
)
from tests.labels.decoding import (
    decode, decode_cells, decode_page, grid_boxes, page_count, page_text, render_page, zpl_barcodes,
    zpl_code128_text, zpl_fields, zpl_formats,
)

# Serials as they come from the factories: mixed case, digits, dashes, odd digit runs.
SERIALS = [
    "aB3-xY9-0042-Qz", "SN-20261123-0007", "50026B7782A3F1C4", "kx-9Q-zz-0001-Bb", "A-01-03",
    "RMA2611-0001", "SH2611-00001", "MX-7z-12345", "99-0042-aB", "z9", "12345", "SD64G-U3-a1b2",
    "Lot-42_x/7", "a>b^c~d", "ABCDEFGHIJKL", "9-8-7-6-5-4", "m1N2o3P4q5", "HQ-A-03-B-12",
    "SKU-SSD-512-TLC", "3f-Ea-09-Xx", "QA.2611.0099", "mixed-CASE-007", "1", "Zz-00-zZ",
]


@pytest.fixture(autouse=True)
def _clean_state():
    """The engine needs no app and no database: replaces the shared per-test cleanup."""
    yield


NOTICE = "维修会清除设备上的全部数据，请先备份。Repair wipes all data: back up first."


def _spec(code, i=0, notice=False):
    return LabelSpec(code, title=f"深圳华强代理商 Unit {i}",
                     lines=[f"Model 型号 SSD-{i:03d}", "Dealer 代理商: 深圳华强电子", "RMA2611-0001 · received 2026-11-23"],
                     notice=NOTICE if notice else None)


# --- PDF: thermal rolls -----------------------------------------------------------------------

@pytest.mark.parametrize("dpi", [203, 300])
def test_thermal_60x40_every_label_decodes_to_its_text(dpi):
    codes = SERIALS[:8]
    pdf = thermal_pdf([_spec(c, i, notice=i % 2 == 0) for i, c in enumerate(codes)], size="60x40")
    assert pdf.startswith(b"%PDF")
    assert page_count(pdf) == len(codes)
    for i, code in enumerate(codes):
        img = render_page(pdf, i, dpi)
        # The page is the label: 60 x 40 mm at the printer's resolution.
        assert abs(img.size[0] - 60 / 25.4 * dpi) < 1 and abs(img.size[1] - 40 / 25.4 * dpi) < 1
        assert decode(img) == [code]


@pytest.mark.parametrize("dpi", [203, 300])
def test_thermal_100x50_decodes(dpi):
    codes = ["RMA2611-0001", "kx-9Q-zz-0001-Bb", "SN-20261123-0007-LONGER-X1"]
    pdf = thermal_pdf([_spec(c, i, notice=True) for i, c in enumerate(codes)], size="100x50")
    assert page_count(pdf) == 3
    for i, code in enumerate(codes):
        assert decode_page(pdf, i, dpi) == [code]


# --- PDF: A4 sheets ---------------------------------------------------------------------------

@pytest.mark.parametrize("dpi", [203, 300])
def test_a4_sheet_of_24_every_cell_decodes_to_its_own_code(dpi):
    specs = [_spec(c, i, notice=i % 3 == 0) for i, c in enumerate(SERIALS)]
    assert len(specs) == 24
    pdf = a4_sheet_pdf(specs)
    assert page_count(pdf) == 1
    img = render_page(pdf, 0, dpi)
    cells = decode_cells(img, dpi, grid_boxes(3, 8))
    assert cells == [[c] for c in SERIALS]


def test_a4_custom_grid_skip_and_second_page():
    grid = dict(margin_top=10, margin_bottom=10, margin_left=10, margin_right=10, col_gap=4, row_gap=3)
    codes = SERIALS[:9]
    pdf = a4_sheet_pdf([_spec(c, i) for i, c in enumerate(codes)], cols=2, rows=5, skip=3, outline=True, **grid)
    assert page_count(pdf) == 2  # 7 cells left on page 1, 2 labels on page 2
    boxes = grid_boxes(2, 5, **grid)
    page1 = decode_cells(render_page(pdf, 0, 203), 203, boxes)
    assert page1 == [[], [], []] + [[c] for c in codes[:7]]
    page2 = decode_cells(render_page(pdf, 1, 203), 203, boxes)
    assert page2 == [[codes[7]], [codes[8]]] + [[]] * 8


@pytest.mark.parametrize("dpi", [203, 300])
def test_a4_long_code_needs_wider_cells_and_then_decodes(dpi):
    code = "SN-2026-11-23-ABCDEFG-000123"
    with pytest.raises(ValidationFailed) as err:
        a4_sheet_pdf([_spec(code)])  # 3 columns: too narrow for 0.25 mm bars
    assert "fewer columns" in err.value.message
    pdf = a4_sheet_pdf([_spec(code)], cols=2, rows=8)
    img = render_page(pdf, 0, dpi)
    assert decode_cells(img, dpi, grid_boxes(2, 8)[:1]) == [[code]]


@pytest.mark.parametrize("code", ["99", "9912", "999", "99AB-x", "99-0042-aB"])
def test_a_leading_99_digit_pair_is_encoded(code):
    # python-barcode alone drops it (takes codeword 99 after start C for a switch).
    assert symbol(code).codewords[:2] == (105, 99)
    assert zpl_code128_text(zpl_code128_data(code)) == code
    assert decode_page(thermal_pdf([LabelSpec(code)]), 0, 203) == [code]


def test_bars_snap_to_whole_printer_dots_and_module_is_bounded():
    sym = symbol("A-01")
    assert module_mm(sym, 200, "A-01") == pytest.approx(4 * DOT_MM)  # capped at 0.5 mm
    sym = symbol("RMA2611-0001")
    width = module_mm(sym, 58, "RMA2611-0001")
    assert width / DOT_MM == pytest.approx(round(width / DOT_MM))
    assert width >= 2 * DOT_MM


def test_chinese_human_readable_text_is_in_the_pdf_with_a_cjk_font():
    pdf = thermal_pdf([_spec("RMA2611-0001", 7, notice=True)])
    text = page_text(pdf)
    for piece in ("深圳华强代理商", "型号", "RMA2611-0001", "维修会清除设备上的全部数据"):
        assert piece in text
    assert b"STSong-Light" not in pdf  # embedded (core.pdf_fonts), not a font the viewer must have


def test_long_texts_are_shortened_not_overflowing():
    spec = LabelSpec("A-1", title="T" * 300, lines=["很长的代理商名称" * 30] + [f"fact {i}" for i in range(12)],
                     notice="请先备份" * 80)
    pdf = thermal_pdf([spec])
    text = page_text(pdf)
    assert "…" in text
    assert "fact 11" not in text  # facts that do not fit are dropped, the barcode stays
    assert decode_page(pdf, 0, 203) == ["A-1"]


# --- What Code 128 cannot carry ---------------------------------------------------------------

@pytest.mark.parametrize("code, char", [
    ("序列号-123", "序"), ("ＡＢ12", "Ａ"), ("Café-1", "é"), ("AB\t12", "U+0009"), ("SN–1", "–"),
])
@pytest.mark.parametrize("fmt", ["a4", "thermal", "zpl"])
def test_non_ascii_codes_are_refused_with_a_clear_error(code, char, fmt):
    render = {"a4": a4_sheet_pdf, "thermal": thermal_pdf, "zpl": zpl}[fmt]
    with pytest.raises(ValidationFailed) as err:
        render([LabelSpec("OK-1", "fine"), LabelSpec(code, "bad")])
    assert err.value.status == 422
    assert char in err.value.message and code.split("\t")[0] in err.value.message
    assert "Code 128" in err.value.message
    assert err.value.errors["codes"] == [err.value.message]


def test_every_bad_code_of_a_batch_is_listed():
    with pytest.raises(ValidationFailed) as err:
        thermal_pdf([LabelSpec("序1"), LabelSpec("OK"), LabelSpec("é2"), LabelSpec("")])
    assert len(err.value.errors["codes"]) == 3
    assert "3 codes" in err.value.message


@pytest.mark.parametrize("code", ["", "   ", " lead", "trail ", "X" * 49])
def test_empty_padded_or_overlong_codes_are_refused(code):
    assert code_problem(code)
    with pytest.raises(ValidationFailed):
        a4_sheet_pdf([LabelSpec(code)])


def test_nothing_to_print_is_an_error():
    for render in (a4_sheet_pdf, thermal_pdf, zpl):
        with pytest.raises(ValidationFailed):
            render([])


def test_code_too_long_for_a_thermal_label_is_refused_but_fits_the_wider_one():
    code = "SN-2026-11-23-ABCDEFG-000123"
    with pytest.raises(ValidationFailed) as err:
        thermal_pdf([LabelSpec(code)], size="60x40")
    assert "larger label" in err.value.message
    assert decode_page(thermal_pdf([LabelSpec(code)], size="100x50"), 0, 203) == [code]


@pytest.mark.parametrize("kwargs, field", [
    (dict(cols=0), "cols"), (dict(cols=7), "cols"), (dict(rows=21), "rows"),
    (dict(margin_top=-1), "margin_top"), (dict(col_gap=float("nan")), "col_gap"),
    (dict(cols=6, rows=20), "grid"), (dict(skip=24), "skip"),
])
def test_bad_grids_are_refused(kwargs, field):
    with pytest.raises(ValidationFailed) as err:
        a4_sheet_pdf([LabelSpec("A-1")], **kwargs)
    assert field in err.value.errors


def test_unknown_thermal_size_is_refused():
    with pytest.raises(ValidationFailed) as err:
        thermal_pdf([LabelSpec("A-1")], size="50x30")
    assert "size" in err.value.errors


# --- ZPL ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("dpi, size, pw, ll", [(203, "60x40", 480, 320), (300, "60x40", 709, 472),
                                                (203, "100x50", 799, 400), (300, "100x50", 1181, 591)])
def test_zpl_structure_one_format_per_label(dpi, size, pw, ll):
    codes = SERIALS[:6]
    text = zpl([_spec(c, i, notice=i == 0) for i, c in enumerate(codes)], size=size, dpi=dpi)
    formats = zpl_formats(text)
    assert len(formats) == len(codes)
    for code, fmt in zip(codes, formats):
        assert "^CI28" in fmt and fmt.index("^CI28") < fmt.index("^FD")  # UTF-8 declared before any text
        assert f"^PW{pw}" in fmt and f"^LL{ll}" in fmt
        barcodes = zpl_barcodes(fmt)
        assert len(barcodes) == 1
        assert zpl_code128_text(barcodes[0]) == code
        bc = re.search(r"\^FO(\d+),(\d+)\^BY(\d+),3,(\d+)\^BCN,(\d+),N,N,N,N\^FD", fmt)
        x, module = int(bc.group(1)), int(bc.group(3))
        assert module >= 2
        assert x + symbol(code).modules * module <= pw  # the symbol fits on the label
        assert x >= 10 * module or x + symbol(code).modules * module <= pw - 10 * module
        fields = zpl_fields(fmt)
        assert code in fields  # human-readable code
        assert any("深圳华强代理商" in f for f in fields)
        assert any("型号" in f for f in fields)
    assert any("维修会清除" in f for f in zpl_fields(formats[0]))
    assert not any("维修会清除" in f for f in zpl_fields(formats[1]))


def test_zpl_escapes_prefix_characters_in_barcode_and_text():
    text = zpl([LabelSpec("a>b^c~d_e", title="^XZ~JA_x", lines=["50% ^FS"])])
    fmt = zpl_formats(text)[0]
    assert zpl_code128_text(zpl_barcodes(fmt)[0]) == "a>b^c~d_e"
    fields = zpl_fields(fmt)
    assert "^XZ~JA_x" in fields and "50% ^FS" in fields
    assert fmt.count("^XZ") == 0 and "~JA" not in fmt


def test_zpl_uses_the_same_codewords_as_the_pdf():
    # Digit runs go to subset C exactly as python-barcode packs them.
    assert zpl_code128_data("RMA2611-0001") == ">:RMA>52611>6->50001"
    assert zpl_code128_text(zpl_code128_data("12345")) == "12345"


def test_zpl_cjk_font_option():
    text = zpl([_spec("A-1")], cjk_font="E:SIMSUN.TTF")
    assert "^A@N,," not in text and "E:SIMSUN.TTF^FH^FD深圳华强代理商" in text


@pytest.mark.parametrize("dpi", [0, 600, "x"])
def test_zpl_unknown_dpi_is_refused(dpi):
    with pytest.raises(ValidationFailed) as err:
        zpl([LabelSpec("A-1")], dpi=dpi)
    assert "dpi" in err.value.errors


def test_zpl_too_long_for_60mm_is_refused():
    with pytest.raises(ValidationFailed):
        zpl([LabelSpec("SN-2026-11-23-ABCDEFG-000123")], size="60x40", dpi=203)
    assert zpl([LabelSpec("SN-2026-11-23-ABCDEFG-000123")], size="100x50", dpi=203).count("^XA") == 1


# --- Properties ---------------------------------------------------------------------------------

printable = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=16)


@settings(max_examples=300, deadline=None)
@given(code=printable)
def test_zpl_data_round_trips_for_any_printable_ascii(code):
    assert zpl_code128_text(zpl_code128_data(code)) == code


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(code=printable)
def test_any_printable_ascii_code_decodes_from_a_thermal_label(code):
    pdf = thermal_pdf([LabelSpec(code)], size="100x50")
    assert decode_page(pdf, 0, 203) == [code]


@settings(max_examples=200, deadline=None)
@given(code=st.text(min_size=1, max_size=12))
def test_any_text_is_either_printable_or_refused_cleanly(code):
    problem = code_problem(code)
    if problem is None:
        assert code.isascii() and code.isprintable()
        symbol(code)
    else:
        with pytest.raises(ValidationFailed):
            symbol(code)
