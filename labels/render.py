"""The label engine: Code 128 labels as vector PDF (A4 sheets, thermal rolls) and ZPL.

python-barcode computes the symbol (the codewords and the module pattern of a
text); this module draws the bars itself, as filled vector rectangles on a
reportlab canvas (one path per barcode), or writes them as a ZPL ``^BC`` field
carrying the same codewords. Nothing is rasterised and no bitmap is scaled, so
a label prints as sharp as the printer can print.

Text Code 128 cannot carry
--------------------------
Code 128 encodes ASCII only. A code holding anything else (Chinese, full-width
letters, accented letters, control characters) is **refused** with
:class:`~core.errors.ValidationFailed` (422 in the API, a message on the page)
naming the code, the character and its position; nothing is printed. We do not
fall back to a QR code: every code Depot prints (serials, RMA, shipment and
location numbers, SKUs) is read back by handheld scanners that type it into the
scan screens as keystrokes, and a QR code carrying non-ASCII text would either
not be read by the 1D scanners in the warehouse or be typed wrongly through the
keyboard wedge. A label that cannot be scanned on the receiving screen is worse
than a clear error that asks for the record to be corrected. Chinese *is*
welcome in the human-readable parts (title, facts, notice): they are drawn in
a packaged CJK TrueType font embedded (as a subset) in every PDF
(:mod:`core.pdf_fonts`); in ZPL, with a font stored on the printer or as a
graphic field drawn with the same font (:data:`ZPL_CJK_MODES`).

Bar widths
----------
The module (narrowest bar) is a whole number of dots of a 203-dpi thermal
printer (0.125 mm), at least two (0.25 mm) and at most four: the bars then
land exactly on that printer's dot grid and are still about three pixels wide
at 300 dpi, and any laser printer does better. A code too long for two-dot
bars on the chosen label is refused ("choose a larger label") rather than
printed with bars a 203/300-dpi printer cannot render evenly: narrower,
off-grid bars failed to decode in our tests. Ten modules of quiet zone are kept
clear on each side of the symbol.
"""
from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from functools import lru_cache

from barcode.charsets import code128
from barcode.codex import Code128
from flask_babel import gettext as _
from PIL import Image, ImageDraw
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from core import pdf_fonts as fonts
from core.errors import ValidationFailed

__all__ = [
    "LabelSpec", "a4_sheet_pdf", "thermal_pdf", "zpl", "validate_code", "code_problem",
    "THERMAL_SIZES", "ZPL_DPIS", "ZPL_CJK_MODES", "FORMATS", "MM",
]

MM = 72.0 / 25.4            # points per millimetre
A4_MM = (210.0, 297.0)
REFERENCE_DPI = 203         # the common thermal printer the bars snap to
DOT_MM = 25.4 / REFERENCE_DPI
MIN_MODULE_DOTS = 2         # 0.25 mm at 203 dpi: the narrowest bar printed evenly at 203 and 300 dpi
MAX_MODULE_DOTS = 4         # 0.5 mm: wider bars only waste label space
QUIET_MODULES = 10          # clear space required on each side of the symbol
MAX_CODE_LENGTH = 48        # longer codes need bars too wide for any label size we print

THERMAL_SIZES = {"60x40": (60.0, 40.0), "100x50": (100.0, 50.0)}
ZPL_DPIS = (203, 300)
FORMATS = ("a4", "thermal60x40", "thermal100x50", "zpl")

LATIN_FONT = "Helvetica"
LATIN_BOLD = "Helvetica-Bold"
CODE_FONT = "Helvetica-Bold"


# ---------------------------------------------------------------------------
# Label content
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class LabelSpec:
    """One label: the barcode text, a title, key-fact lines and an optional notice.

    ``code`` is what the barcode carries and what is printed under it; the
    title, lines and notice are human-readable only and may hold any text
    (Chinese included). Lazy translation strings are turned into text here.
    """

    code: str
    title: str = ""
    lines: tuple[str, ...] = ()
    notice: str | None = None

    def __post_init__(self):
        object.__setattr__(self, "code", "" if self.code is None else str(self.code))
        object.__setattr__(self, "title", _clean_text(self.title))
        object.__setattr__(self, "lines", tuple(_clean_text(x) for x in (self.lines or ()) if x is not None
                                                and str(x).strip()))
        object.__setattr__(self, "notice", _clean_text(self.notice) or None)


def _clean_text(value) -> str:
    # Human-readable text goes into PDF strings and ZPL fields: no control characters.
    if value is None:
        return ""
    return re.sub(r"[\x00-\x1f\x7f]+", " ", str(value)).strip()


def code_problem(code) -> str | None:
    """Why ``code`` cannot be printed as a Code 128 barcode, or None when it can."""
    if code is None or not str(code).strip():
        return _("The code is empty; there is nothing to put in the barcode.")
    code = str(code)
    for pos, char in enumerate(code, start=1):
        if not (" " <= char <= "~"):
            shown = char if char.isprintable() else f"U+{ord(char):04X}"
            return _(
                "“%(code)s” cannot be printed as a Code 128 barcode: character %(pos)d (“%(char)s”) "
                "is not plain ASCII. Barcodes carry only ASCII letters, digits and punctuation; "
                "correct the code in its record.",
                code=code, pos=pos, char=shown,
            )
    if code != code.strip():
        return _("“%(code)s” starts or ends with a space, which a scanner cannot show; correct the code.",
                 code=code)
    if len(code) > MAX_CODE_LENGTH:
        return _("“%(code)s” is longer than %(max)d characters, too long for a scannable label.",
                 code=code, max=MAX_CODE_LENGTH)
    return None


def validate_code(code, field: str = "code") -> str:
    """Return ``code`` if Code 128 can carry it; raise ValidationFailed otherwise."""
    problem = code_problem(code)
    if problem:
        raise ValidationFailed(problem, errors={field: [problem]})
    return str(code)


def check_specs(specs) -> list[LabelSpec]:
    """The specs as a list, or ValidationFailed listing every code that cannot be printed."""
    specs = list(specs or ())
    if not specs:
        raise ValidationFailed(_("There is nothing to print."), errors={"codes": [_("No labels were given.")]})
    problems = []
    for spec in specs:
        if not isinstance(spec, LabelSpec):
            raise TypeError(f"expected LabelSpec, got {type(spec).__name__}")
        problem = code_problem(spec.code)
        if problem and problem not in problems:
            problems.append(problem)
    if problems:
        message = problems[0] if len(problems) == 1 else _(
            "%(count)d codes cannot be printed as Code 128 barcodes; nothing was printed.", count=len(problems))
        raise ValidationFailed(message, errors={"codes": problems})
    return specs


# ---------------------------------------------------------------------------
# The symbol
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Symbol:
    """A Code 128 symbol: codewords (without check and stop) and the bars in modules."""

    codewords: tuple[int, ...]
    modules: int                         # width without quiet zones
    bars: tuple[tuple[int, int], ...]    # (start module, width in modules)


class _Code128(Code128):
    """python-barcode's Code 128 with one fix.

    Its optimiser merges "start C, switch to X" into "start X", and takes a
    leading "99" digit pair (codeword 99 in subset C) for the switch CODE C:
    "99" encoded nothing and "9912" encoded "12". A switch to C right after
    start C cannot happen, so codeword 99 there is always data.
    """

    def _try_to_optimize(self, encoded: list[int]) -> list[int]:
        if encoded[0] == _START_C and len(encoded) > 1 and encoded[1] == 99:
            return encoded
        return super()._try_to_optimize(encoded)


_START_C = code128.START_CODES["C"]


@lru_cache(maxsize=8192)
def symbol(code: str) -> Symbol:
    """The Code 128 symbol of ``code`` (cached: labels reprint the same codes)."""
    validate_code(code)
    codewords = tuple(_Code128(code).encoded)
    pattern = _Code128(code).build()[0]
    bars = []
    start = None
    for i, bit in enumerate(pattern):
        if bit == "1" and start is None:
            start = i
        elif bit == "0" and start is not None:
            bars.append((start, i - start))
            start = None
    if start is not None:
        bars.append((start, len(pattern) - start))
    return Symbol(codewords, len(pattern), tuple(bars))


def _too_long(code: str, width_mm: float) -> ValidationFailed:
    msg = _("“%(code)s” is too long for a barcode %(width)d mm wide; choose a larger label "
            "(or fewer columns on the sheet).", code=code, width=int(width_mm))
    return ValidationFailed(msg, errors={"codes": [msg]})


def module_mm(sym: Symbol, width_mm: float, code: str, *, max_dots: int = MAX_MODULE_DOTS) -> float:
    """The module width (mm) for ``sym`` in a space ``width_mm`` wide (quiet zones included).

    A whole number of 203-dpi dots, from MIN_MODULE_DOTS to ``max_dots``;
    ValidationFailed when even the narrowest does not fit.
    """
    fit = width_mm / (sym.modules + 2 * QUIET_MODULES)
    dots = math.floor(fit / DOT_MM + 1e-9)
    if dots < MIN_MODULE_DOTS:
        raise _too_long(code, width_mm)
    return min(dots, max_dots) * DOT_MM


# ---------------------------------------------------------------------------
# Fonts and text fitting
# ---------------------------------------------------------------------------

def _register_fonts() -> None:
    # The CJK font is registered once per process, on the first label drawn.
    fonts.cjk_font()


def _latin1(text: str) -> bool:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _font_for(text: str, bold: bool = False) -> str:
    """Helvetica for Western text; the CJK font for anything Helvetica cannot show."""
    if _latin1(text):
        return LATIN_BOLD if bold else LATIN_FONT
    return fonts.cjk_font()


@lru_cache(maxsize=65536)
def _width(text: str, font: str, size: float) -> float:
    return pdfmetrics.stringWidth(text, font, size)


def _fit_line(text: str, font: str, size: float, width: float, min_size: float) -> tuple[str, float]:
    """Shrink the font down to ``min_size``, then cut the text with an ellipsis, to fit ``width``."""
    w = _width(text, font, size)
    if w <= width:
        return text, size
    smaller = max(min_size, size * width / w)
    if _width(text, font, smaller) <= width:
        return text, smaller
    lo, hi = 0, len(text)
    while lo < hi:  # longest prefix that fits with the ellipsis
        mid = (lo + hi + 1) // 2
        if _width(text[:mid].rstrip() + "…", font, smaller) <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "…", smaller


_TOKEN = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]|[^\s\u2e80-\u9fff\uf900-\ufaff"
                    r"\uff00-\uffef\u3000-\u303f]+|\s+")


def _wrap(text: str, font: str, size: float, width: float, max_lines: int) -> list[str]:
    """Greedy wrap: Western words stay whole, CJK breaks between any two characters."""
    lines: list[str] = []
    current = ""
    for token in _TOKEN.findall(text):
        candidate = current + token
        if current and not token.isspace() and _width(candidate.rstrip(), font, size) > width:
            lines.append(current.rstrip())
            current = token
        else:
            current = candidate if (current or not token.isspace()) else ""
    if current.strip():
        lines.append(current.rstrip())
    if len(lines) > max_lines:
        kept = lines[:max_lines]
        kept[-1] = _fit_line(kept[-1] + " " + lines[max_lines], font, size, width, size)[0]
        if not kept[-1].endswith("…"):
            kept[-1] = kept[-1] + "…"
        lines = kept
    # A single over-long word still has to fit.
    return [_fit_line(line, font, size, width, size)[0] for line in lines]


# ---------------------------------------------------------------------------
# Drawing one label
# ---------------------------------------------------------------------------

def _snap(value_pt: float) -> float:
    # Put bar edges on the 203-dpi dot grid of the page.
    step = 72.0 / REFERENCE_DPI
    return round(value_pt / step) * step


def _draw_bars(canvas: Canvas, sym: Symbol, x: float, y: float, module: float, height: float) -> None:
    """All bars of a symbol as one filled path (one PDF operator per bar, no strokes)."""
    # Written directly as PDF operators: 1,000 labels x ~30 bars stay well under a second.
    ops = [f"{x + start * module:.3f} {y:.3f} {width * module:.3f} {height:.3f} re"
           for start, width in sym.bars]
    ops.append("f")
    canvas._code.append("\n".join(ops))  # noqa: SLF001  (reportlab's documented extension point)


@dataclass(frozen=True)
class _Style:
    pad: float
    title: float
    code: float
    line: float
    notice: float
    min_bar: float
    max_bar: float


def _style(w: float, h: float) -> _Style:
    # Font sizes grow with the label: a 34 mm high sheet cell is the base.
    scale = max(0.85, min(1.6, h / (34 * MM), w / (60 * MM)))
    return _Style(
        pad=max(1.5 * MM, min(3 * MM, h * 0.06)),
        title=8.5 * scale, code=9.5 * scale, line=7.0 * scale, notice=6.2 * scale,
        min_bar=7 * MM, max_bar=min(20 * MM, h * 0.42),
    )


def draw_label(canvas: Canvas, spec: LabelSpec, x: float, y: float, w: float, h: float) -> None:
    """Draw ``spec`` in the box at (x, y) (bottom-left, points) of size w x h points."""
    st = _style(w, h)
    inner_w = w - 2 * st.pad
    top = y + h - st.pad
    bottom = y + st.pad
    lead = 1.22

    sym = symbol(spec.code)
    # Quiet zones may use the padding: the label's edge area is blank too.
    mod = module_mm(sym, (w - 2 * MM) / MM, spec.code) * MM

    notice_lines: list[str] = []
    notice_font = fonts.cjk_font()
    if spec.notice:
        notice_font = _font_for(spec.notice, bold=True)
        notice_lines = _wrap(spec.notice, notice_font, st.notice, inner_w - 2, 3)
    title_h = st.title * lead if spec.title else 0.0
    code_h = st.code * lead
    notice_h = (len(notice_lines) * st.notice * lead + 3) if notice_lines else 0.0
    lines = list(spec.lines)
    available = top - bottom - title_h - code_h - notice_h - 2

    def bar_height(n_lines: int) -> float:
        return available - n_lines * st.line * lead

    while lines and bar_height(len(lines)) < st.min_bar:
        lines.pop()  # facts that do not fit are dropped from the end, never the barcode
    if bar_height(len(lines)) < st.min_bar and len(notice_lines) > 1:
        notice_lines = notice_lines[:1]
        notice_h = st.notice * lead + 3
        available = top - bottom - title_h - code_h - notice_h - 2
    bar_h = max(st.min_bar * 0.7, min(st.max_bar, bar_height(len(lines))))

    canvas.setFillGray(0)
    cursor = top
    if spec.title:
        font = _font_for(spec.title, bold=True)
        text, size = _fit_line(spec.title, font, st.title, inner_w, st.title * 0.8)
        cursor -= st.title
        canvas.setFont(font, size)
        canvas.drawString(x + st.pad, cursor, text)
        cursor -= st.title * (lead - 1)

    cursor -= 1.5
    bar_w = sym.modules * mod
    bx = _snap(x + (w - bar_w) / 2)
    by = _snap(cursor - bar_h)
    _draw_bars(canvas, sym, bx, by, mod, cursor - by)
    cursor = by

    # The human-readable code shrinks rather than lose characters (5 pt is still legible).
    code_text, code_size = _fit_line(spec.code, CODE_FONT, st.code, inner_w, 5.0)
    cursor -= code_size
    canvas.setFont(CODE_FONT, code_size)
    canvas.drawCentredString(x + w / 2, cursor, code_text)
    cursor -= st.code * (lead - 1) + 0.5

    for line in lines:
        font = _font_for(line)
        text, size = _fit_line(line, font, st.line, inner_w, st.line * 0.8)
        cursor -= st.line
        canvas.setFont(font, size)
        canvas.drawString(x + st.pad, cursor, text)
        cursor -= st.line * (lead - 1)

    if notice_lines:
        box_h = len(notice_lines) * st.notice * lead + 2
        canvas.setLineWidth(0.6)
        canvas.rect(x + st.pad, bottom, inner_w, box_h, stroke=1, fill=0)
        ny = bottom + box_h - 1 - st.notice
        canvas.setFont(notice_font, st.notice)
        for line in notice_lines:
            canvas.drawString(x + st.pad + 1.5, ny + st.notice * 0.15, line)
            ny -= st.notice * lead


# ---------------------------------------------------------------------------
# PDF formats
# ---------------------------------------------------------------------------

def _canvas(buf: io.BytesIO, pagesize, title: str) -> Canvas:
    _register_fonts()
    c = Canvas(buf, pagesize=pagesize, pageCompression=1, invariant=1)
    c.setTitle(title)
    c.setCreator("Depot")
    return c


def _grid_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors={field: [message]})


@dataclass(frozen=True)
class Grid:
    """An A4 label sheet: columns x rows, margins and gaps in millimetres."""

    cols: int = 3
    rows: int = 8
    margin_top: float = 12.9
    margin_bottom: float = 12.9
    margin_left: float = 6.4
    margin_right: float = 6.4
    col_gap: float = 2.5
    row_gap: float = 0.0

    @property
    def cell_mm(self) -> tuple[float, float]:
        width = (A4_MM[0] - self.margin_left - self.margin_right - (self.cols - 1) * self.col_gap) / self.cols
        height = (A4_MM[1] - self.margin_top - self.margin_bottom - (self.rows - 1) * self.row_gap) / self.rows
        return width, height

    def check(self) -> None:
        """Raise ValidationFailed if the grid does not describe a usable sheet."""
        if not (1 <= self.cols <= 6):
            raise _grid_error("cols", _("Columns must be between 1 and 6."))
        if not (1 <= self.rows <= 20):
            raise _grid_error("rows", _("Rows must be between 1 and 20."))
        for name in ("margin_top", "margin_bottom", "margin_left", "margin_right", "col_gap", "row_gap"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or math.isnan(value) or not (0 <= value <= 60):
                raise _grid_error(name, _("Margins and gaps must be between 0 and 60 mm."))
        width, height = self.cell_mm
        if width < 30 or height < 14:
            raise _grid_error("grid", _(
                "The labels would be %(w).1f × %(h).1f mm; a barcode label needs at least 30 × 14 mm. "
                "Use fewer columns or rows, or smaller margins.", w=width, h=height))


def a4_sheet_pdf(specs, cols: int = 3, rows: int = 8, *, margin_top: float = 12.9, margin_bottom: float = 12.9,
                 margin_left: float = 6.4, margin_right: float = 6.4, col_gap: float = 2.5, row_gap: float = 0.0,
                 skip: int = 0, outline: bool = False, title: str = "Labels") -> bytes:
    """Labels on A4 sheets, filled row by row from the top left; returns the PDF.

    The default grid (3 x 8, 63.9 x 33.9 mm) matches common 24-up sheets. ``skip``
    leaves that many cells empty on the first sheet, to reuse a part-used sheet;
    ``outline`` draws the cell borders (for plain paper).
    """
    specs = check_specs(specs)
    grid = Grid(cols, rows, margin_top, margin_bottom, margin_left, margin_right, col_gap, row_gap)
    grid.check()
    per_page = cols * rows
    if not (0 <= skip < per_page):
        raise _grid_error("skip", _("Skip must be between 0 and %(max)d.", max=per_page - 1))
    cw, ch = grid.cell_mm
    for spec in specs:  # refuse before drawing anything
        module_mm(symbol(spec.code), cw - 2, spec.code)

    buf = io.BytesIO()
    page_w, page_h = A4_MM[0] * MM, A4_MM[1] * MM
    c = _canvas(buf, (page_w, page_h), title)
    slot = skip
    for spec in specs:
        if slot == per_page:
            c.showPage()
            slot = 0
        row, col = divmod(slot, cols)
        x = (margin_left + col * (cw + col_gap)) * MM
        y = page_h - (margin_top + (row + 1) * ch + row * row_gap) * MM
        if outline:
            c.setLineWidth(0.25)
            c.setStrokeGray(0.6)
            c.rect(x, y, cw * MM, ch * MM, stroke=1, fill=0)
            c.setStrokeGray(0)
        draw_label(c, spec, x, y, cw * MM, ch * MM)
        slot += 1
    c.showPage()
    c.save()
    return buf.getvalue()


def thermal_size(size: str) -> tuple[float, float]:
    """(width, height) in mm of a thermal label size such as "60x40"; ValidationFailed if unknown."""
    try:
        return THERMAL_SIZES[str(size).lower().replace("×", "x").replace(" ", "")]
    except KeyError:
        msg = _("Unknown label size “%(size)s”; use one of %(sizes)s.", size=size,
                sizes=", ".join(THERMAL_SIZES))
        raise ValidationFailed(msg, errors={"size": [msg]}) from None


def thermal_pdf(specs, size: str = "60x40", *, title: str = "Labels") -> bytes:
    """Thermal roll labels: one label per page, the page being the label (e.g. 60 x 40 mm)."""
    specs = check_specs(specs)
    w_mm, h_mm = thermal_size(size)
    for spec in specs:
        module_mm(symbol(spec.code), w_mm - 2, spec.code)
    buf = io.BytesIO()
    c = _canvas(buf, (w_mm * MM, h_mm * MM), title)
    for spec in specs:
        draw_label(c, spec, 0, 0, w_mm * MM, h_mm * MM)
        c.showPage()
    c.save()
    return buf.getvalue()


# ---------------------------------------------------------------------------
# ZPL
# ---------------------------------------------------------------------------

# Code 128 in ZPL's manual mode: start codes and subset switches are written as
# ">x" invocation codes, and the three characters ZPL reserves in subset B too.
_ZPL_START = {103: ">9", 104: ">:", 105: ">;"}
_ZPL_SWITCH = {99: ">5", 100: ">6", 101: ">7"}
_ZPL_B_ESCAPE = {">": ">0", "^": "><", "~": ">="}


def zpl_code128_data(code: str) -> str:
    """The ``^FD`` data of a ``^BC`` field (manual mode) carrying the same codewords as the PDF."""
    words = symbol(code).codewords
    out = [_ZPL_START[words[0]]]
    subset = {103: "A", 104: "B", 105: "C"}[words[0]]
    for word in words[1:]:
        if subset == "C":
            if word < 100:
                out.append(f"{word:02d}")
                continue
        elif word < 95:
            char = chr(word + 32) if subset == "B" or word < 64 else chr(word - 64)
            out.append(_ZPL_B_ESCAPE.get(char, char))
            continue
        out.append(_ZPL_SWITCH[word])
        subset = {99: "C", 100: "B", 101: "A"}[word]
    return "".join(out)


def _zpl_text(text: str) -> str:
    # ^FH turns _XX into byte XX: hides the ZPL prefixes ^ and ~ (and _ itself).
    return text.replace("_", "_5F").replace("^", "_5E").replace("~", "_7E")


def _zpl_char_width(char: str, height: int) -> float:
    # Estimate for font 0 (proportional); CJK glyphs are square.
    return height * (1.0 if ord(char) > 0x2e80 else 0.58)


def _zpl_fit(text: str, height: int, width: int) -> str:
    total = 0.0
    for i, char in enumerate(text):
        total += _zpl_char_width(char, height)
        if total > width:
            return text[:max(0, i - 1)].rstrip() + "…"
    return text


def _zpl_wrap(text: str, height: int, width: int, max_lines: int) -> list[str]:
    lines, current, cur_w = [], "", 0.0
    for token in _TOKEN.findall(text):
        tw = sum(_zpl_char_width(ch, height) for ch in token)
        if current and not token.isspace() and cur_w + tw > width:
            lines.append(current.rstrip())
            current, cur_w = token, tw
        elif current or not token.isspace():
            current, cur_w = current + token, cur_w + tw
    if current.strip():
        lines.append(current.rstrip())
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = _zpl_fit(lines[-1] + "……", height, width)
    return [_zpl_fit(line, height, width) for line in lines]


# How a printer draws text ZPL's font 0 cannot (Chinese): per printer, one of
ZPL_CJK_MODES = ("font", "graphic")
# "font": a TrueType font stored on the printer (``^A@`` with its name, e.g. E:SIMSUN.TTF);
# "graphic": the text drawn here with the labels' CJK font into a 1-bit ^GFA graphic field.


def _zpl_font(text: str, height: int, cjk_font: str | None) -> str:
    if cjk_font and not text.isascii():
        return f"^A@N,{height},{height},{cjk_font}"
    return f"^A0N,{height},{height}"


def zpl_graphic_field(text: str, height: int, width: int) -> str:
    """``text`` as a ``^GFA`` graphic field ``height`` dots high, at most ``width`` wide (ASCII hex).

    Drawn with the labels' CJK font (:mod:`core.pdf_fonts`), black text as 1 bits,
    rows padded to whole bytes as ZPL expects.
    """
    font = fonts.pil_font(max(8, height))
    if font is None:
        raise ValidationFailed(_("No CJK font is installed on the Depot server to draw Chinese for this printer; "
                                 "choose the printer-font mode or install fonts-wqy-microhei."))
    while text and font.getlength(text) > width:
        text = text[:-2].rstrip() + "…" if len(text) > 1 else ""
    w = max(8, min(width, math.ceil(font.getlength(text)) + 1))
    image = Image.new("L", (w, height), 0)
    ImageDraw.Draw(image).text((0, 0), text, fill=255, font=font)
    bits = image.point(lambda p: 255 if p >= 128 else 0).convert("1")
    row_bytes = (w + 7) // 8
    data = bits.tobytes()   # mode "1": 1 = the text's pixels, each row padded to a byte
    return f"^GFA,{len(data)},{len(data)},{row_bytes},{data.hex().upper()}"


def _zpl_text_field(x: int, y: int, text: str, height: int, width: int, cjk_font: str | None,
                    cjk_mode: str | None) -> str:
    """One line of human-readable text at (x, y): a font field, or a graphic field for Chinese."""
    if cjk_mode == "graphic" and not text.isascii():
        return f"^FO{x},{y}{zpl_graphic_field(text, height, width)}^FS"
    return f"^FO{x},{y}{_zpl_font(text, height, cjk_font)}^FH^FD{_zpl_text(_zpl_fit(text, height, width))}^FS"


def zpl(specs, size: str = "60x40", dpi: int = 203, *, cjk_font: str | None = None,
        cjk_mode: str | None = None) -> str:
    """ZPL II for Zebra printers: one ``^XA`` ... ``^XZ`` format per label.

    The barcode is a ``^BC`` field in manual mode whose data carries exactly
    the codewords drawn in the PDFs; text is UTF-8 (``^CI28``) with ZPL's
    reserved characters hex-escaped (``^FH``). ``cjk_font`` names a font stored
    on the printer (e.g. ``E:SIMSUN.TTF``) used for text that is not ASCII;
    without it such text uses font 0, which shows Chinese only on printers that
    map font 0 to a CJK font. ``cjk_mode="graphic"`` draws such text here
    instead, as a bitmap (``^GFA``) in the labels' CJK font: any printer prints it.
    """
    specs = check_specs(specs)
    if cjk_mode not in (None, *ZPL_CJK_MODES):
        raise ValueError(f"unknown ZPL CJK mode {cjk_mode!r}")
    w_mm, h_mm = thermal_size(size)
    try:
        dpi = int(dpi)
    except (TypeError, ValueError):
        dpi = 0
    if dpi not in ZPL_DPIS:
        msg = _("Printer resolution must be one of %(dpis)s dpi.", dpis=", ".join(map(str, ZPL_DPIS)))
        raise ValidationFailed(msg, errors={"dpi": [msg]})
    dots = dpi / 25.4
    width, height = round(w_mm * dots), round(h_mm * dots)
    pad = round(2 * dots)
    inner = width - 2 * pad
    scale = h_mm / 40
    title_h, code_h, line_h, notice_h = (round(x * dots * scale) for x in (3.2, 3.4, 2.6, 2.2))
    min_dots = MIN_MODULE_DOTS  # whole printer dots: exact at either resolution

    blocks = []
    for spec in specs:
        sym = symbol(spec.code)
        fit = (width - 2 * round(dots)) // (sym.modules + 2 * QUIET_MODULES)
        module = min(MAX_MODULE_DOTS * dpi // REFERENCE_DPI, fit)
        if module < min_dots:
            raise _too_long(spec.code, w_mm)
        notice = _zpl_wrap(spec.notice, notice_h, inner - 8, 3) if spec.notice else []
        lines = list(spec.lines)
        fixed = pad * 2 + (title_h + 6 if spec.title else 0) + code_h + 8 + (
            len(notice) * (notice_h + 4) + 10 if notice else 0)
        min_bar = round(7 * dots)

        def bar_for(n):
            return height - fixed - n * (line_h + 4)

        while lines and bar_for(len(lines)) < min_bar:
            lines.pop()
        bar_h = max(round(min_bar * 0.7), min(round(20 * dots), round(height * 0.42), bar_for(len(lines))))

        out = ["^XA", "^CI28", f"^PW{width}", f"^LL{height}", "^LH0,0"]
        y = pad
        if spec.title:
            out.append(_zpl_text_field(pad, y, spec.title, title_h, inner, cjk_font, cjk_mode))
            y += title_h + 6
        bar_w = sym.modules * module
        out.append(f"^FO{max(0, (width - bar_w) // 2)},{y}^BY{module},3,{bar_h}"
                   f"^BCN,{bar_h},N,N,N,N^FD{zpl_code128_data(spec.code)}^FS")
        y += bar_h + 4
        # The human-readable code gets a smaller font rather than lose characters.
        hr_h = max(10, min(code_h, int(inner / (len(spec.code) * _zpl_char_width("M", 1)))))
        out.append(f"^FO{pad},{y}^A0N,{hr_h},{hr_h}^FB{inner},1,0,C,0"
                   f"^FH^FD{_zpl_text(spec.code)}^FS")
        y += code_h + 4
        for line in lines:
            out.append(_zpl_text_field(pad, y, line, line_h, inner, cjk_font, cjk_mode))
            y += line_h + 4
        if notice:
            box_h = len(notice) * (notice_h + 4) + 8
            top = height - pad - box_h
            out.append(f"^FO{pad},{top}^GB{inner},{box_h},2^FS")
            ny = top + 6
            for line in notice:
                out.append(_zpl_text_field(pad + 6, ny, line, notice_h, inner - 12, cjk_font, cjk_mode))
                ny += notice_h + 4
        out.append("^PQ1")
        out.append("^XZ")
        blocks.append("\n".join(out))
    return "\n".join(blocks) + "\n"
