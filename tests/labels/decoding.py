"""Read labels back the way a printer and a scanner would: rasterise, then decode.

PDF pages are rendered with pdfium at a printer's resolution (203 or 300 dpi)
and every barcode is decoded with zxing-cpp. ZPL is parsed into its label
formats and its ``^BC`` data interpreted by an independent reading of ZPL's
Code 128 invocation codes.
"""
from __future__ import annotations

import re

import pypdfium2 as pdfium
import zxingcpp

MM = 72 / 25.4


def page_count(pdf: bytes) -> int:
    return len(pdfium.PdfDocument(pdf))


def render_page(pdf: bytes, index: int, dpi: int):
    """Page ``index`` of ``pdf`` as a greyscale PIL image at ``dpi``."""
    doc = pdfium.PdfDocument(pdf)
    try:
        return doc[index].render(scale=dpi / 72, grayscale=True).to_pil()
    finally:
        doc.close()


def decode(image) -> list[str]:
    """The text of every Code 128 symbol zxing finds in ``image``."""
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.Code128)
    return [r.text for r in found]


def decode_page(pdf: bytes, index: int, dpi: int) -> list[str]:
    return decode(render_page(pdf, index, dpi))


def decode_cells(image, dpi: int, boxes_mm) -> list[list[str]]:
    """Decode each box (x, y from the top-left, w, h; in mm) of a rendered page separately."""
    px = dpi / 25.4
    out = []
    for x, y, w, h in boxes_mm:
        crop = image.crop((round(x * px), round(y * px), round((x + w) * px), round((y + h) * px)))
        out.append(decode(crop))
    return out


def grid_boxes(cols, rows, *, margin_top=12.9, margin_bottom=12.9, margin_left=6.4, margin_right=6.4,
               col_gap=2.5, row_gap=0.0):
    """The cells of an A4 grid, row by row, as (x, y, w, h) in mm from the top-left."""
    cw = (210 - margin_left - margin_right - (cols - 1) * col_gap) / cols
    ch = (297 - margin_top - margin_bottom - (rows - 1) * row_gap) / rows
    return [(margin_left + c * (cw + col_gap), margin_top + r * (ch + row_gap), cw, ch)
            for r in range(rows) for c in range(cols)]


def page_text(pdf: bytes, index: int = 0) -> str:
    doc = pdfium.PdfDocument(pdf)
    try:
        return doc[index].get_textpage().get_text_range()
    finally:
        doc.close()


# --- ZPL ---------------------------------------------------------------------

def zpl_formats(text: str) -> list[str]:
    """The label formats (^XA ... ^XZ) of a ZPL document; asserts they are balanced."""
    assert text.count("^XA") == text.count("^XZ"), "unbalanced ^XA/^XZ"
    formats = re.findall(r"\^XA(.*?)\^XZ", text, flags=re.S)
    assert len(formats) == text.count("^XA"), "nested or broken label formats"
    outside = re.sub(r"\^XA.*?\^XZ", "", text, flags=re.S)
    assert outside.strip() == "", f"commands outside a label format: {outside!r}"
    return formats


def zpl_fields(fmt: str) -> list[str]:
    """Field data of the text fields, with ^FH hex escapes undone."""
    out = []
    for m in re.finditer(r"(\^FH)?\^FD(.*?)\^FS", fmt, flags=re.S):
        data = m.group(2)
        if m.group(1):
            raw = re.sub(rb"_([0-9A-Fa-f]{2})", lambda h: bytes([int(h.group(1), 16)]), data.encode("utf-8"))
            data = raw.decode("utf-8")
        out.append(data)
    return out


def zpl_barcodes(fmt: str) -> list[str]:
    """The field data following each ^BC command of a label format."""
    return re.findall(r"\^BC[^\^]*\^FD(.*?)\^FS", fmt, flags=re.S)


_B_INVOCATION = {"0": ">", "<": "^", "=": "~"}


def zpl_code128_text(data: str) -> str:
    """What a Zebra printer encodes for ^BC manual-mode field data (start codes, switches, escapes)."""
    subset = "B"
    out = []
    i = 0
    while i < len(data):
        ch = data[i]
        if ch == ">":
            code = data[i + 1]
            i += 2
            if code in "9:;":
                assert not out, "start code after data"
                subset = {"9": "A", ":": "B", ";": "C"}[code]
            elif code in "567":
                subset = {"5": "C", "6": "B", "7": "A"}[code]
            elif subset == "B" and code in _B_INVOCATION:
                out.append(_B_INVOCATION[code])
            else:
                raise AssertionError(f"unexpected invocation >{code} in subset {subset}")
            continue
        if subset == "C":
            pair = data[i:i + 2]
            assert len(pair) == 2 and pair.isdigit(), f"subset C needs digit pairs, got {pair!r}"
            out.append(pair)
            i += 2
            continue
        assert ch not in "^~", "ZPL prefix characters must be escaped"
        out.append(ch)
        i += 1
    return "".join(out)
