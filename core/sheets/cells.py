"""Cell values as people type them into spreadsheets, turned into plain text and back into values.

Offices type with a Chinese input method (full-width digits and spaces), Excel
stores numbers as floats and dates as serial numbers or date cells, and a column
of numbers is often stored as text. The reader hands every importer the same
trimmed text; the helpers here read numbers and days out of it.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

# Full-width digits and every kind of space in their ASCII form; zero-width marks dropped.
_TEXT_WIDTH = {0xFF10 + i: ord("0") + i for i in range(10)}
_TEXT_WIDTH.update({0x3000: " ", 0x00A0: " ", 0x2007: " ", 0x202F: " ",
                    0x200B: None, 0x200C: None, 0x200D: None, 0x2060: None, 0xFEFF: None})
# Codes and numbers: every full-width ASCII letter and sign as well.
_CODE_WIDTH = {0xFF01 + i: 0x21 + i for i in range(0x5E)}
_CODE_WIDTH.update(_TEXT_WIDTH)
_CODE_WIDTH[0xFFE5] = "¥"


def clean_text(value: str) -> str:
    """Trimmed text with full-width digits and spaces in their ASCII form."""
    if value.isascii():  # most cells: nothing to translate
        return value.strip()
    return value.translate(_TEXT_WIDTH).strip()


def clean_code(value: str) -> str:
    """A code (SKU, serial, waybill) typed with a full-width input method, in plain ASCII."""
    if value.isascii():
        return value.strip()
    return value.translate(_CODE_WIDTH).strip()


def header_name(value) -> str:
    """A header cell as compared with the aliases: NFKC, lower case, single spaces, no trailing colon or star."""
    text = unicodedata.normalize("NFKC", str(value or "")).strip().lower()
    text = re.sub(r"\s+", " ", text).strip(" :*")
    return text


def excel_text(value) -> str:
    """The text of a typed XLSX cell: whole floats without ``.0``, days as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return ""
        if value == int(value) and abs(value) < 1e15:
            return str(int(value))
        # What Excel shows: 15 significant digits (0.1 + 0.2 is 0.3, not 0.30000000000000004).
        return format(Decimal(format(value, ".15g")).normalize(), "f")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.replace(microsecond=0).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return clean_text(str(value))


_NUMBER_NOISE = str.maketrans("", "", ", ¥￥$")


_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def as_decimal(text: str) -> Decimal:
    """A number typed as text: ``1,234.50``, ``¥12``, ``RMB 3``; ValueError when it is none."""
    if _PLAIN_NUMBER.fullmatch(text):
        return Decimal(text)
    raw = clean_code(str(text)).upper().replace("RMB", "").replace("CNY", "").replace("元", "")
    raw = raw.translate(_NUMBER_NOISE)
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise ValueError(text) from None
    if not number.is_finite():
        raise ValueError(text)
    return number


def as_int(text: str) -> int:
    """A whole number typed as text (``3``, ``3.0``, ``1,000``); ValueError otherwise."""
    if text.isascii() and text.isdigit():
        return int(text)
    number = as_decimal(text)
    if number != number.to_integral_value():
        raise ValueError(text)
    return int(number)


_EXCEL_EPOCH = date(1899, 12, 30)
_DAY_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def as_date(text: str) -> date:
    """A day as typed or as Excel stores it: ``2026-11-03``, ``2026/11/3``, ``2026年11月3日``,
    ``20261103``, a date-time (its day), or an Excel serial number stored as text."""
    raw = clean_code(str(text))
    day_part = re.split(r"[ T]", raw, maxsplit=1)[0] if re.match(r"^\d{4}\D", raw) else raw
    match = _DAY_RE.match(day_part)
    if match:
        return date(int(match[1]), int(match[2]), int(match[3]))
    if re.fullmatch(r"\d{8}", raw):
        return date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
    if re.fullmatch(r"\d{5}(\.\d+)?", raw):
        serial = float(raw)
        if 20000 <= serial <= 80000:  # 1954 .. 2119: a day, not a quantity someone meant
            return _EXCEL_EPOCH + timedelta(days=int(serial))
    raise ValueError(text)
