"""Receiving a shipment: match what was scanned against what was declared.

The clerk scans the shipment's label or waybill, then every item in the
parcel: unit serials, serialised parts' serials, part SKUs (once per piece or
with a quantity). :func:`check_receipt` compares the scans with the declared
lines and names every difference (DOMAIN.md A.2 验收核对):

- **missing**: declared but not (or not all) scanned;
- **extra**: scanned but not declared (or more pieces than declared);
- **wrong**: arrived in place of a declared item: a declared unit scanned with
  a different model, a unit of a declared model but another serial, or another
  part of the same model/family than the declared part (a substitution).

:func:`receive_shipment` writes the check as a :class:`ShipmentReceipt`, marks
the shipment received and posts stock movements for the declared parts that
arrived (transit -> destination, or origin -> destination if it was never
marked shipped). Missing parts stay in transit for the supervisor to chase;
extra and wrong parts are listed, not booked: a person decides where they go.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select

from core.accounts.roles import Role
from core.authz import require
from core.codes import normalise_code
from core.errors import Forbidden, ValidationFailed
from core.extensions import db
from core.types import utcnow
from inventory import access
from inventory import service as inv
from inventory.models import Location, Part
from shipments.models import SHIPMENT_WORKFLOW, ReceiptFinding, Shipment, ShipmentReceipt
from shipments.lookup import ensure_shipment_access
from shipments.service import claim_transition

MAX_SCANS = 5000
MAX_SCAN_QUANTITY = 100000


@dataclass
class ScanResult:
    """What one scan matched, for the receive station's feedback."""

    code: str
    quantity: int
    outcome: str  # "matched", "duplicate", "over", "unmatched"
    line_id: int | None = None
    message: str = ""


@dataclass
class Finding:
    kind: str  # missing / extra / wrong
    code: str
    expected: str
    received: str
    quantity: int = 1
    line_id: int | None = None


@dataclass
class ReceiptCheck:
    """The comparison of scans with the declared lines (nothing written)."""

    shipment: Shipment
    scans: list[dict]
    results: list[ScanResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    # line id -> (received quantity, state, note)
    line_states: dict[int, tuple[int, str, str]] = field(default_factory=dict)

    def of_kind(self, kind: str) -> list[Finding]:
        return [f for f in self.findings if f.kind == kind]

    @property
    def missing(self) -> list[Finding]:
        return self.of_kind("missing")

    @property
    def extra(self) -> list[Finding]:
        return self.of_kind("extra")

    @property
    def wrong(self) -> list[Finding]:
        return self.of_kind("wrong")

    @property
    def clean(self) -> bool:
        return not self.findings

    def arrived_quantity(self, line) -> int:
        return self.line_states.get(line.id, (0, "pending", ""))[0]


def parse_scans(raw) -> list[dict]:
    """Validate scans: strings, or dicts ``{"code", "quantity"?, "model"?}``."""
    if raw is None:
        raw = []
    if not isinstance(raw, (list, tuple)):
        raise ValidationFailed(_("Scans must be a list."), errors={"scans": [_("Must be a list.")]})
    if len(raw) > MAX_SCANS:
        raise ValidationFailed(_("Too many scans."), errors={"scans": [_("At most %(n)s.", n=MAX_SCANS)]})
    errors: dict = {}
    scans: list[dict] = []
    for index, item in enumerate(raw):
        if isinstance(item, str):
            item = {"code": item}
        if not isinstance(item, dict):
            errors[f"scans.{index}"] = [_("Must be a code or an object.")]
            continue
        unknown = set(item) - {"code", "quantity", "model"}
        if unknown:
            errors[f"scans.{index}"] = [_("Unknown field: %(f)s.", f=", ".join(sorted(unknown)))]
            continue
        code = normalise_code(item.get("code"))
        if not code or len(code) > 80:
            errors[f"scans.{index}.code"] = [_("A code of 1 to 80 characters is required.")]
            continue
        quantity = item.get("quantity", 1)
        if quantity in (None, ""):
            quantity = 1
        if isinstance(quantity, bool) or not isinstance(quantity, (int, str)):
            errors[f"scans.{index}.quantity"] = [_("Must be a whole number.")]
            continue
        try:
            quantity = int(quantity)
        except ValueError:
            errors[f"scans.{index}.quantity"] = [_("Must be a whole number.")]
            continue
        if not 1 <= quantity <= MAX_SCAN_QUANTITY:
            errors[f"scans.{index}.quantity"] = [_("Must be between 1 and %(n)s.", n=MAX_SCAN_QUANTITY)]
            continue
        model = str(item.get("model") or "").strip()[:80]
        scans.append({"code": code, "quantity": quantity, "model": model})
    if errors:
        raise ValidationFailed(_("Some scans are not valid."), errors=errors)
    return scans


def _parts_by_code(codes: set[str]) -> dict:
    """Parts whose SKU equals a scanned code (case-insensitive), keyed by the code."""
    if not codes:
        return {}

    found = db.session.scalars(select(Part).where(func.upper(Part.sku).in_(codes)))
    return {part.sku.upper(): part for part in found}


def _line_label(line, parts) -> str:
    if line.kind == "unit":
        return f"{line.model} {line.serial}".strip()
    part = parts.get(line.part_id)
    sku = part.sku if part is not None else f"#{line.part_id}"
    text = f"{sku} {line.model}".strip() if line.model and (part is None or line.model != part.sku) else sku
    if line.serial:
        text += f" {line.serial}"
    return text


def _same_kind_of_part(a, b) -> bool:
    """Could ``b`` have been sent in place of ``a``? Same model, or same family."""
    if a is None or b is None or a.id == b.id:
        return False
    if a.model and b.model and a.model.strip().upper() == b.model.strip().upper():
        return True
    family_a = (getattr(a, "family", "") or "").strip().upper()
    return bool(family_a) and family_a == (getattr(b, "family", "") or "").strip().upper()


def check_receipt(shipment: Shipment, scans: list[dict]) -> ReceiptCheck:
    """Compare parsed ``scans`` with ``shipment``'s lines; writes nothing."""
    check = ReceiptCheck(shipment, scans)
    lines = list(shipment.lines)
    unit_by_serial = {line.serial: line for line in lines if line.kind == "unit"}
    part_by_serial = {line.serial: line for line in lines if line.kind == "part" and line.serial}
    part_lines_by_part = {line.part_id: line for line in lines if line.kind == "part" and not line.serial}
    part_ids = {line.part_id for line in lines if line.part_id}
    parts: dict = {}
    if part_ids:
        parts = {p.id: p for p in db.session.scalars(select(Part).where(Part.id.in_(part_ids)))}
    sku_parts = _parts_by_code({s["code"] for s in scans if s["code"] not in unit_by_serial
                                and s["code"] not in part_by_serial})

    received: dict[int, int] = {line.id: 0 for line in lines}
    seen_models: dict[int, str] = {}
    unmatched: list[dict] = []  # {"code", "quantity", "model", "part"}
    for scan in scans:
        code, quantity = scan["code"], scan["quantity"]
        line = unit_by_serial.get(code) or part_by_serial.get(code)
        if line is not None:
            if quantity != 1:
                check.results.append(ScanResult(code, quantity, "over", line.id,
                                                _("%(c)s is one piece; counted once.", c=code)))
            if received[line.id]:
                check.results.append(ScanResult(code, quantity, "duplicate", line.id,
                                                _("%(c)s was already scanned.", c=code)))
                continue
            received[line.id] = 1
            if scan["model"]:
                seen_models[line.id] = scan["model"]
            check.results.append(ScanResult(code, 1, "matched", line.id, _line_label(line, parts)))
            continue
        part = sku_parts.get(code)
        if part is not None and part.id in part_lines_by_part:
            line = part_lines_by_part[part.id]
            room = line.quantity - received[line.id]
            taken = min(room, quantity)
            received[line.id] += taken
            if taken:
                check.results.append(ScanResult(
                    code, taken, "matched", line.id,
                    _("%(sku)s: %(got)s of %(want)s", sku=part.sku, got=received[line.id], want=line.quantity)))
            if quantity > taken:
                check.results.append(ScanResult(code, quantity - taken, "over", line.id,
                                                _("More %(sku)s than declared.", sku=part.sku)))
                unmatched.append({"code": code, "quantity": quantity - taken, "model": "", "part": part,
                                  "over": True})
            continue
        check.results.append(ScanResult(code, quantity, "unmatched", None,
                                        _("%(c)s is not on this shipment.", c=code)))
        unmatched.append({"code": code, "quantity": quantity, "model": scan["model"], "part": part, "over": False})

    # Lines still short of their declared quantity, in declared order.
    short: dict[int, int] = {line.id: line.quantity - received[line.id] for line in lines
                             if received[line.id] < line.quantity}
    wrong_lines: dict[int, str] = {}

    # A declared unit that arrived with another model than declared.
    for line in lines:
        model = seen_models.get(line.id)
        if line.kind == "unit" and model and line.model and model.strip().upper() != line.model.strip().upper():
            wrong_lines[line.id] = _("model %(m)s", m=model)
            check.findings.append(Finding("wrong", line.serial, _line_label(line, parts),
                                          f"{model} {line.serial}", 1, line.id))

    # Pair what arrived unannounced with a declared item of the same kind that did not.
    leftovers: list[dict] = []
    for item in unmatched:
        remaining = item["quantity"]
        if not item["over"]:
            for line in lines:
                if remaining <= 0:
                    break
                if short.get(line.id, 0) <= 0:
                    continue
                if line.kind == "part" and item["part"] is not None and not line.serial:
                    same = _same_kind_of_part(parts.get(line.part_id), item["part"])
                elif line.kind == "unit" and item["part"] is None and item["model"]:
                    same = bool(line.model) and line.model.strip().upper() == item["model"].strip().upper()
                else:
                    same = False
                if not same:
                    continue
                taken = min(short[line.id], remaining)
                short[line.id] -= taken
                remaining -= taken
                got = f"{item['part'].sku}" if item["part"] is not None else f"{item['model']} {item['code']}"
                wrong_lines[line.id] = _("%(got)s instead", got=got)
                check.findings.append(Finding("wrong", item["code"], _line_label(line, parts), got, taken, line.id))
        if remaining > 0:
            leftovers.append(dict(item, quantity=remaining))

    for line in lines:
        if short.get(line.id, 0) > 0:
            check.findings.append(Finding("missing", line.serial or (parts[line.part_id].sku if line.part_id in parts
                                                                      else ""),
                                          _line_label(line, parts), "", short[line.id], line.id))
    # The same stray code scanned twice is one finding with its count.
    merged: dict[str, dict] = {}
    for item in leftovers:
        if item["code"] in merged:
            merged[item["code"]]["quantity"] += item["quantity"]
        else:
            merged[item["code"]] = dict(item)
    for item in merged.values():
        if item["part"] is not None:
            text = item["part"].sku + (f" {item['part'].model}" if item["part"].model else "")
        else:
            text = f"{item['model']} {item['code']}".strip()
        check.findings.append(Finding("extra", item["code"], "", text, item["quantity"], None))

    for line in lines:
        got = received[line.id]
        if line.id in wrong_lines:
            state, note = "wrong", wrong_lines[line.id]
        elif got >= line.quantity:
            state, note = "ok", ""
        elif got == 0:
            state, note = "missing", ""
        else:
            state, note = "short", _("%(got)s of %(want)s", got=got, want=line.quantity)
        check.line_states[line.id] = (got, state, note[:200])
    order = {"missing": 0, "wrong": 1, "extra": 2}
    check.findings.sort(key=lambda f: order[f.kind])
    return check


def _ensure_may_receive(actor, shipment: Shipment) -> None:
    """HQ staff receive anything; an office user only what arrives at its own office."""
    require(actor, Role.CLERK, Role.SERVICE, Role.SUPERVISOR, Role.OFFICE)
    ensure_shipment_access(actor, shipment)
    if actor.has_role(Role.CLERK, Role.SERVICE, Role.SUPERVISOR):
        return
    if shipment.leg != "hq_office":
        raise Forbidden(_("Only HQ receives this shipment; an office receives only what is sent to it."))
    if shipment.to_location_id is not None:
        access.ensure_location_writable(actor, db.session.get(Location, shipment.to_location_id))


def preview_receipt(actor, shipment: Shipment, raw_scans) -> ReceiptCheck:
    """The receipt check for ``raw_scans`` so far, without saving anything."""
    _ensure_may_receive(actor, shipment)
    _ensure_receivable(shipment)
    return check_receipt(shipment, parse_scans(raw_scans))


def _ensure_receivable(shipment: Shipment) -> None:
    SHIPMENT_WORKFLOW.require(shipment, "receive")


def receive_shipment(actor, shipment: Shipment, raw_scans, *, note: str = "") -> ShipmentReceipt:
    """Receive ``shipment`` with what was scanned: save the check, post stock, mark received."""
    _ensure_may_receive(actor, shipment)
    scans = parse_scans(raw_scans)
    if not scans:
        raise ValidationFailed(_("Scan the contents before finishing the receipt."),
                               errors={"scans": [_("Nothing scanned.")]})
    _ensure_receivable(shipment)
    was_shipped = shipment.status == "shipped"
    claim_transition(actor, shipment, "receive")
    check = check_receipt(shipment, scans)
    now = utcnow()
    receipt = ShipmentReceipt(shipment_id=shipment.id, received_at=now, received_by_id=actor.id,
                              scans=scans, note=str(note or "").strip()[:2000])
    for f in check.findings:
        receipt.findings.append(ReceiptFinding(kind=f.kind, line_id=f.line_id, code=f.code[:80],
                                               expected=f.expected[:200], received=f.received[:200],
                                               quantity=f.quantity))
    db.session.add(receipt)
    for line in shipment.lines:
        got, state, line_note = check.line_states[line.id]
        line.received_quantity = got
        line.receive_state = state
        line.receive_note = line_note
    shipment.received_at = now
    shipment.received_by_id = actor.id
    _post_arrival(actor, shipment, check, was_shipped, now)
    db.session.flush()
    return receipt


def _post_arrival(actor, shipment: Shipment, check: ReceiptCheck, was_shipped: bool, moment) -> None:
    """Book the declared parts that arrived into the destination."""
    arrived = [(line, min(check.arrived_quantity(line), line.quantity)) for line in shipment.lines
               if line.kind == "part"]
    arrived = [(line, qty) for line, qty in arrived if qty > 0]
    if not arrived:
        return

    # Shipped parts sit in transit; a parcel received without a shipping record
    # comes straight from its origin.
    source = inv.system_location("transit") if was_shipped else db.session.get(Location, shipment.from_location_id)
    destination = db.session.get(Location, shipment.to_location_id)
    for line, quantity in arrived:
        inv.post_movement(
            actor=actor, part=db.session.get(Part, line.part_id), from_location=source, to_location=destination,
            quantity=quantity, serial=line.serial, reason="shipment_in", ref_type="shipment",
            ref_id=shipment.id, at=moment,
        )


def receipt_of(shipment: Shipment) -> ShipmentReceipt | None:
    """The saved receipt of ``shipment``, if it was received."""
    return db.session.scalar(select(ShipmentReceipt).where(ShipmentReceipt.shipment_id == shipment.id))
