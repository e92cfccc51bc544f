"""What a scanned code looks like, before it is taken for a unit's serial.

A clerk's scanner reads every barcode on a box: the product's EAN, the courier's
waybill, our own RMA and shipment labels. None of them is a serial, and taking
one in as an "extra unit" opens a dealer task for nothing. :func:`recognise`
names the shape of such a code (one table per family); :func:`ensure_serial`
refuses it with a message saying what it looks like, and also refuses a code
that does not fit the serial patterns the department set for the model
(the serial patterns page, :func:`serial_patterns`).

A code already on record as a unit's serial is a serial whatever its shape:
callers look it up first and ask here only about codes nobody declared.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.accounts.roles import Role
from core.authz import require
from core.errors import Conflict, NotFound, ValidationFailed
from core.extensions import db
from core.locking import hold_in_state
from repairs.models import SerialPattern

# What a serial may carry at all (a barcode symbology's safe characters).
SERIAL_CHARS = re.compile(r"[A-Za-z0-9._/\-]{1,64}")
NOT_A_SERIAL = "not_a_serial"
SERIAL_PATTERN_MISMATCH = "serial_pattern_mismatch"
ANY_MODEL = "*"
# A mask's characters: # digit, @ letter, * either; the rest stand for themselves.
MASK_CHARS = re.compile(r"[A-Za-z0-9#@*._/\-]{1,64}")

# Courier waybills seen on parcels in China: (pattern, carrier). Patterns with a
# letter prefix come first; numeric ones are checked after the EAN/UPC checksums.
WAYBILLS = (
    (re.compile(r"SF\d{10,15}"), _l("SF Express (顺丰)")),
    (re.compile(r"JD[A-Z]{0,2}\d{10,15}"), _l("JD Logistics (京东物流)")),
    (re.compile(r"YT\d{10,15}"), _l("YTO Express (圆通)")),
    (re.compile(r"ZTO\d{10,15}"), _l("ZTO Express (中通)")),
    (re.compile(r"STO\d{10,15}"), _l("STO Express (申通)")),
    (re.compile(r"JT\d{13}"), _l("J&T Express (极兔)")),
    (re.compile(r"DPK\d{10,13}"), _l("Deppon (德邦)")),
    (re.compile(r"[A-Z]{2}\d{9}CN"), _l("EMS / China Post (邮政)")),
    (re.compile(r"77\d{11}"), _l("STO Express (申通)")),
    (re.compile(r"7[013-9]\d{10}"), _l("ZTO Express (中通)")),
    (re.compile(r"(?:10|11|50|51|98|99)\d{11}"), _l("EMS / China Post (邮政)")),
    (re.compile(r"(?:31|43|46)\d{11}"), _l("Yunda Express (韵达)")),
)

# Depot's own document numbers (core.sequences): prefix + yymm + "-" + counter.
RMA_NUMBER = re.compile(r"RMA\d{4}-\d{3,}")
DOCUMENTS = (
    (RMA_NUMBER, _l("an RMA parcel number")),
    (re.compile(r"DOA\d{4}-\d{3,}"), _l("a DOA case number")),
    (re.compile(r"SH\d{4}-\d{4,}"), _l("a shipment number")),
    (re.compile(r"(?:SR|YR)\d{4}-\d{3,}"), _l("a spares request number")),
    (re.compile(r"CNT\d{4}-\d{3,}"), _l("a stock count number")),
    (re.compile(r"MODE-[A-Z_]+"), _l("a scan station mode barcode")),
)

URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


@dataclass(frozen=True)
class Shape:
    """What a code that is not a serial looks like: ``kind`` for programs, ``label`` for people."""

    kind: str
    label: str


def _gs1_check(digits: str) -> bool:
    """The GS1 check digit (EAN-8, UPC-A, EAN-13): weights 3 and 1 from the right."""
    body, check = digits[:-1], int(digits[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


_PRODUCT_BARCODES = {8: _l("a product barcode (EAN-8)"), 12: _l("a product barcode (UPC-A)"),
                     13: _l("a product barcode (EAN-13)")}


def recognise(code: str) -> Shape | None:
    """The shape of ``code`` if it cannot be a serial (product barcode, waybill, our own numbers), else None."""
    text = (code or "").strip()
    upper = text.upper()
    if not text:
        return None
    if URL.fullmatch(text):
        return Shape("url", str(_l("a web address (QR code)")))
    for pattern, label in DOCUMENTS:
        if pattern.fullmatch(upper):
            return Shape("document", str(label))
    for pattern, carrier in WAYBILLS[:8]:
        if pattern.fullmatch(upper):
            return Shape("waybill", _("a %(carrier)s waybill", carrier=carrier))
    if upper.isdigit() and len(upper) in _PRODUCT_BARCODES and _gs1_check(upper):
        return Shape("product_barcode", str(_PRODUCT_BARCODES[len(upper)]))
    for pattern, carrier in WAYBILLS[8:]:
        if pattern.fullmatch(upper):
            return Shape("waybill", _("a %(carrier)s waybill", carrier=carrier))
    if not SERIAL_CHARS.fullmatch(text):
        return Shape("unreadable", str(_l("text with characters a serial barcode cannot carry")))
    return None


def _table() -> list[tuple[str, str]]:
    """The active (applies_to, mask) rows, read once per request or command."""
    if "serial_patterns" not in g:
        g.serial_patterns = [tuple(row) for row in db.session.execute(
            select(SerialPattern.applies_to, SerialPattern.mask).where(SerialPattern.active.is_(True))
            .order_by(SerialPattern.id))]
    return g.serial_patterns


def serial_patterns(model: str | None = None) -> list[str]:
    """The serial patterns the department set for ``model`` (see :class:`repairs.models.SerialPattern`).

    The rows whose ``applies_to`` is the longest start of the model name win
    (a model's own rows before its brand's); a model without rows of its own,
    and a unit whose model is not known yet (an extra unit), are held to the
    "*" rows, as the price list's "*" line. No row, no check.
    """
    name = (model or "").strip().upper()
    best, masks = None, []
    for applies_to, mask in _table():
        key = applies_to.strip().upper()
        if key == ANY_MODEL or not name or not name.startswith(key):
            continue
        if best is None or len(key) > len(best):
            best, masks = key, [mask]
        elif key == best:
            masks.append(mask)
    if best is None:
        masks = [mask for applies_to, mask in _table() if applies_to.strip() == ANY_MODEL]
    return masks


def _mask_regex(mask: str) -> re.Pattern:
    parts = []
    for ch in mask.upper():
        parts.append({"#": r"\d", "@": "[A-Z]", "*": "[A-Z0-9]"}.get(ch, re.escape(ch)))
    return re.compile("".join(parts))


def fits_patterns(serial: str, model: str | None = None) -> bool:
    """True if no pattern is configured for ``model`` or ``serial`` fits one of them."""
    patterns = serial_patterns(model)
    return not patterns or any(_mask_regex(p).fullmatch(serial.upper()) for p in patterns)


def ensure_serial(code: str, model: str | None = None) -> None:
    """Refuse (422, nothing changed) a code that cannot be a serial, saying what it looks like.

    A code that fits a pattern configured for the model is a serial even if it
    also has another shape (a department whose serials are 13 digits says so).
    """
    text = (code or "").strip()
    patterns = serial_patterns(model)
    if patterns and any(_mask_regex(p).fullmatch(text.upper()) for p in patterns):
        return
    shape = recognise(text)
    if shape is not None:
        raise ValidationFailed(_("%(code)s looks like %(shape)s, not a serial.", code=text[:64], shape=shape.label),
                               errors={"code": [_("Not a serial.")]}, code=NOT_A_SERIAL, shape=shape.kind,
                               shape_label=shape.label)
    if patterns:
        expected = ", ".join(patterns)
        if model:
            message = _("%(code)s is not a serial of %(model)s: expected %(patterns)s.", code=text[:64], model=model,
                        patterns=expected)
        else:
            message = _("%(code)s does not look like one of our serials: expected %(patterns)s.", code=text[:64],
                        patterns=expected)
        raise ValidationFailed(message, errors={"code": [_("Expected %(p)s.", p=expected)]},
                               code=SERIAL_PATTERN_MISMATCH, expected_patterns=patterns)


# --------------------------------------------------------------------------- the department's table

def patterns() -> list[SerialPattern]:
    """Every active serial pattern, by what it applies to."""
    return list(db.session.scalars(select(SerialPattern).where(SerialPattern.active.is_(True))
                                   .order_by(SerialPattern.applies_to, SerialPattern.id)))


def ensure_supervisor(actor) -> None:
    """Raise Forbidden unless ``actor`` may change the serial patterns (the supervisor, or SYSTEM)."""
    # The rule lives here so the page and the API cannot drift.
    require(actor, Role.SUPERVISOR, message=_("Only the supervisor changes the serial patterns."))


def add_pattern(actor, *, applies_to: str, mask: str, note: str = "") -> SerialPattern:
    """Add what the serials of a model (or brand, or "*" for units of unknown model) look like."""
    ensure_supervisor(actor)
    applies_to, mask = (applies_to or "").strip(), (mask or "").strip().upper()
    errors = {}
    if not applies_to or len(applies_to) > 80:
        errors["applies_to"] = [_("Give a model, the start of model names (a brand), or * (1 to 80 characters).")]
    if not MASK_CHARS.fullmatch(mask):
        errors["mask"] = [_("Use # for a digit, @ for a letter, * for either, and letters, digits or . _ / - "
                            "as themselves (1 to 64 characters).")]
    if errors:
        raise ValidationFailed(_("The serial pattern is not valid."), errors=errors)
    row = SerialPattern(applies_to=applies_to, mask=mask, note=(note or "").strip()[:200], active=True,
                        created_by=getattr(actor, "username", "system"))
    db.session.add(row)
    db.session.flush()
    g.pop("serial_patterns", None)
    return row


def remove_pattern(actor, pattern_id: int) -> SerialPattern:
    """Stop checking serials against a pattern (the row stays, inactive, for the audit trail)."""
    ensure_supervisor(actor)
    row = db.session.get(SerialPattern, pattern_id)
    if row is None:
        raise NotFound(_("No such serial pattern."))
    # Guarded like a transition: of two removals at once, one takes effect, the other is told it is done.
    if not row.active or not hold_in_state(row, True, column="active"):
        raise Conflict(_("This serial pattern was already removed."))
    row.active = False
    db.session.flush()
    g.pop("serial_patterns", None)
    return row
