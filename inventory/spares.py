"""The office spare cycle (DOMAIN C): request, HQ approval, issue and receipt, swaps, year-end return.

Inventory keeps the request, approval and issue records and posts the
movements itself (HQ store -> transit -> office); the shipments package
attaches waybills to them later through ``shipment_id``.
"""
from __future__ import annotations

from collections import Counter

from flask_babel import gettext as _
from sqlalchemy import select

from core.accounts.roles import Role
from core.accounts.scope import ensure_office_access, visible_office_id
from core.calendar import local_today
from core.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from core.extensions import db
from core.sequences import next_number
from core.types import utcnow
from inventory import service
from inventory.models import (
    DEALER, HQ_STORE, TRANSIT, Location, OfficeReturn, OfficeReturnLine, Part, SpareRequest, SpareRequestLine,
)

REQUESTED, APPROVED, REJECTED, ISSUED, RECEIVED = "requested", "approved", "rejected", "issued", "received"


def _period() -> str:
    return local_today().strftime("%y%m")


def _lines_from_skus(lines) -> list[tuple[Part, int]]:
    """[(sku, qty)] -> [(part, qty)]; every bad line is named and nothing is saved."""
    parts = service.parts_by_sku([sku for sku, _q in lines])
    out, problems, seen = [], [], set()
    for n, (sku, qty) in enumerate(lines, start=1):
        part = parts.get(sku)
        if part is None:
            problems.append(_("Line %(n)s: unknown SKU %(sku)s.", n=n, sku=sku))
        elif not isinstance(qty, int) or qty < 1:
            problems.append(_("Line %(n)s: the quantity must be at least 1.", n=n))
        elif part.id in seen:
            problems.append(_("Line %(n)s: %(sku)s is listed twice.", n=n, sku=sku))
        else:
            seen.add(part.id)
            out.append((part, qty))
    if problems or not out:
        raise ValidationFailed(_("The request is not valid."), errors={"lines": problems or [_("Ask for at least one part.")]})
    return out


def create_request(actor, *, office_id: int, lines, note: str = "") -> SpareRequest:
    """An office asks HQ for spare units (office users for their own office only)."""
    ensure_office_access(actor, office_id)
    service.office_location(office_id)  # NotFound for an unknown office
    parsed = _lines_from_skus(lines)
    req = SpareRequest(number=next_number("SR", _period()), office_id=office_id, status=REQUESTED,
                       year=local_today().year, note=(note or "").strip(), requested_by_id=actor.id)
    req.lines = [SpareRequestLine(part_id=part.id, requested_qty=qty) for part, qty in parsed]
    db.session.add(req)
    db.session.flush()
    return req


def new_year_request(actor, *, office_id: int) -> SpareRequest:
    """The new year's request, prefilled with what the office was approved last time."""
    ensure_office_access(actor, office_id)
    last = db.session.scalar(select(SpareRequest).where(SpareRequest.office_id == office_id,
                                                        SpareRequest.status.in_([ISSUED, RECEIVED]))
                             .order_by(SpareRequest.id.desc()))
    if last is None:
        raise ValidationFailed(_("This office has no earlier request to copy; make a new request."),
                               errors={"office_id": [_("Nothing to copy.")]})
    lines = [(line.part.sku, line.approved_qty) for line in last.lines if line.approved_qty]
    return create_request(actor, office_id=office_id, lines=lines, note=_("New-year request (copy of %(n)s)", n=last.number))


def get_request(actor, request_id: int) -> SpareRequest:
    req = service.by_id(SpareRequest, request_id)
    if req is None:
        raise NotFound(_("No spare request %(id)s.", id=request_id))
    ensure_office_access(actor, req.office_id)
    return req


def requests_query(actor, *, status: str | None = None, office_id: int | None = None):
    stmt = select(SpareRequest).order_by(SpareRequest.id.desc())
    limit = visible_office_id(actor)
    if limit is not None:
        stmt = stmt.where(SpareRequest.office_id == limit)
    if office_id:
        stmt = stmt.where(SpareRequest.office_id == office_id)
    if status:
        stmt = stmt.where(SpareRequest.status == status)
    return stmt


def _expect(req: SpareRequest, *states):
    if req.status not in states:
        raise InvalidTransition(_("Request %(n)s is %(s)s.", n=req.number, s=req.status), current=req.status,
                                allowed=list(states))


def approve_request(actor, req: SpareRequest, *, approved: dict[int, int] | None = None, note: str = "") -> SpareRequest:
    """HQ approves, possibly cutting quantities (``approved``: part id -> quantity; default as requested)."""
    service._require(actor, Role.SUPERVISOR)
    _expect(req, REQUESTED)
    approved = approved or {}
    unknown = set(approved) - {line.part_id for line in req.lines}
    if unknown:
        raise ValidationFailed(_("Only requested parts can be approved."), errors={"approved": sorted(unknown)})
    for line in req.lines:
        qty = approved.get(line.part_id, line.requested_qty)
        if not isinstance(qty, int) or qty < 0:
            raise ValidationFailed(_("Approved quantities are 0 or more."), errors={"approved": [line.part.sku]})
        line.approved_qty = qty
    if not any(line.approved_qty for line in req.lines):
        raise ValidationFailed(_("Approve at least one unit, or reject the request."), errors={"approved": []})
    req.status, req.decided_by_id, req.decided_at, req.decision_note = APPROVED, actor.id, utcnow(), note.strip()
    db.session.flush()
    return req


def reject_request(actor, req: SpareRequest, *, note: str = "") -> SpareRequest:
    service._require(actor, Role.SUPERVISOR)
    _expect(req, REQUESTED)
    if not note.strip():
        raise ValidationFailed(_("Say why the request is rejected."), errors={"note": [_("Required.")]})
    req.status, req.decided_by_id, req.decided_at, req.decision_note = REJECTED, actor.id, utcnow(), note.strip()
    db.session.flush()
    return req


def issue_request(actor, req: SpareRequest, *, serials: dict[int, list[str]] | None = None) -> SpareRequest:
    """HQ sends the approved spares: HQ store -> in transit (serialized parts by their scanned serials)."""
    service._require(actor, Role.CLERK, Role.SUPERVISOR)
    _expect(req, APPROVED)
    serials = serials or {}
    hq, transit = service.system_location(HQ_STORE), service.system_location(TRANSIT)
    for line in req.lines:
        if not line.approved_qty:
            continue
        common = dict(actor=actor, part=line.part, from_location=hq, to_location=transit, reason="office_issue",
                      ref_type="spare_request", ref_id=req.id)
        if line.part.serialized:
            given = [s.strip() for s in serials.get(line.part_id, []) if s.strip()]
            if len(given) != line.approved_qty or len(set(given)) != len(given):
                raise ValidationFailed(
                    _("Scan %(n)s different serials of %(sku)s.", n=line.approved_qty, sku=line.part.sku),
                    errors={"serials": {line.part.sku: [_("%(got)s given.", got=len(given))]}})
            for serial in given:
                service.post_movement(serial=serial, **common)
            line.issued_serials = " ".join(given)
        else:
            service.post_movement(quantity=line.approved_qty, **common)
    req.status, req.issued_at = ISSUED, utcnow()
    db.session.flush()
    return req


def parse_codes(codes) -> Counter:
    """Scanned codes -> Counter; ``SKU*5`` counts five of a bulk part."""
    counts: Counter = Counter()
    for raw in codes or []:
        code = str(raw).strip()
        if not code:
            continue
        if "*" in code:
            code, _sep, times = code.rpartition("*")
            if not times.isdigit() or int(times) < 1:
                raise ValidationFailed(_("Bad multiplier in %(c)s.", c=raw), errors={"codes": [str(raw)]})
            counts[code.strip()] += int(times)
        else:
            counts[code] += 1
    return counts


def receive_request(actor, req: SpareRequest, *, codes) -> SpareRequest:
    """The office scans what arrived; it must match what was issued exactly, then transit -> office."""
    ensure_office_access(actor, req.office_id)
    _expect(req, ISSUED)
    scanned = parse_codes(codes)
    expected: Counter = Counter()
    for line in req.lines:
        if line.part.serialized:
            for serial in line.issued_serials.split():
                expected[serial] += 1
        elif line.approved_qty:
            expected[line.part.sku] += line.approved_qty
    missing, extra = expected - scanned, scanned - expected
    if missing or extra:
        raise ValidationFailed(
            _("What was scanned does not match what was sent; nothing was received."),
            errors={"missing": [f"{c} ×{n}" for c, n in sorted(missing.items())],
                    "extra": [f"{c} ×{n}" for c, n in sorted(extra.items())]}, code="receipt_mismatch")
    transit, office = service.system_location(TRANSIT), service.office_location(req.office_id)
    for line in req.lines:
        common = dict(actor=actor, part=line.part, from_location=transit, to_location=office,
                      reason="office_receipt", ref_type="spare_request", ref_id=req.id)
        if line.part.serialized:
            for serial in line.issued_serials.split():
                service.post_movement(serial=serial, **common)
        elif line.approved_qty:
            service.post_movement(quantity=line.approved_qty, **common)
    req.status, req.received_at = RECEIVED, utcnow()
    db.session.flush()
    return req


def swap_at_office(actor, *, office_id: int, sku: str, spare_serial: str | None = None,
                   defective_serial: str | None = None, dealer_id: int | None = None, note: str = ""):
    """Swap a dealer's unit at once: a spare goes out to the dealer, the dealer's defective unit comes in.

    The defective unit goes to the office's defective bin (not to its good
    spares), to be sent to HQ for repair. Returns (out, in) movements.
    """
    ensure_office_access(actor, office_id)
    part = service.part_by_sku(sku)
    office = service.office_location(office_id)
    dealer = service.system_location(DEALER)
    if part.serialized and not (spare_serial and defective_serial):
        raise ValidationFailed(_("Scan both serials: the spare handed out and the dealer's defective unit."),
                               errors={"spare_serial": [_("Required.")], "defective_serial": [_("Required.")]})
    common = dict(actor=actor, part=part, ref_type="dealer" if dealer_id else None, ref_id=dealer_id, note=note)
    out = service.post_movement(from_location=office, to_location=dealer, serial=spare_serial, reason="swap_out",
                                **common)
    came = service.post_movement(from_location=dealer, to_location=service.defective_location(office),
                                 serial=defective_serial, reason="swap_in", **common)
    return out, came


def office_locations(office_id: int) -> list[Location]:
    office = service.office_location(office_id)
    return [office] + list(db.session.scalars(select(Location).where(Location.parent_id == office.id)))


def build_year_end_return(actor, *, office_id: int) -> OfficeReturn:
    """One action: list everything the office holds (spares and defectives) and send it all to HQ."""
    ensure_office_access(actor, office_id)
    if db.session.scalar(select(OfficeReturn.id).where(OfficeReturn.office_id == office_id,
                                                       OfficeReturn.status == "shipped")):
        raise Conflict(_("This office already has a return on its way to HQ."))
    locs = office_locations(office_id)
    held = service.holdings(loc.id for loc in locs)
    if not held:
        raise ValidationFailed(_("The office holds nothing to return."), errors={"office_id": [_("Nothing held.")]})
    ret = OfficeReturn(number=next_number("YR", _period()), office_id=office_id, year=local_today().year,
                       status="shipped", created_by_id=actor.id)
    db.session.add(ret)
    db.session.flush()
    transit = service.system_location(TRANSIT)
    for part, loc, qty, serials in held:
        common = dict(actor=actor, part=part, from_location=loc, to_location=transit, reason="year_end_return",
                      ref_type="office_return", ref_id=ret.id)
        defective = loc.parent_id is not None and loc.code.endswith("-DEF")
        if part.serialized:
            for serial in serials:
                service.post_movement(serial=serial, **common)
                ret.lines.append(OfficeReturnLine(part_id=part.id, from_location_id=loc.id, quantity=1, serial=serial,
                                                  defective=defective))
        else:
            service.post_movement(quantity=qty, **common)
            ret.lines.append(OfficeReturnLine(part_id=part.id, from_location_id=loc.id, quantity=qty,
                                              defective=defective))
    db.session.flush()
    return ret


def receive_year_end_return(actor, ret: OfficeReturn) -> OfficeReturn:
    """HQ checks the return in: good spares to the HQ store, defectives to its defective bin."""
    service._require(actor, Role.CLERK, Role.SUPERVISOR)
    if ret.status != "shipped":
        raise InvalidTransition(_("Return %(n)s is %(s)s.", n=ret.number, s=ret.status), current=ret.status,
                                allowed=["shipped"])
    transit, hq = service.system_location(TRANSIT), service.system_location(HQ_STORE)
    hq_def = service.defective_location(hq)
    for line in ret.lines:
        service.post_movement(actor=actor, part=line.part, from_location=transit,
                              to_location=hq_def if line.defective else hq, quantity=line.quantity,
                              serial=line.serial, reason="year_end_receipt", ref_type="office_return", ref_id=ret.id)
    ret.status, ret.received_at = "received", utcnow()
    db.session.flush()
    return ret


def get_return(actor, return_id: int) -> OfficeReturn:
    ret = service.by_id(OfficeReturn, return_id)
    if ret is None:
        raise NotFound(_("No office return %(id)s.", id=return_id))
    ensure_office_access(actor, ret.office_id)
    return ret


def returns_query(actor):
    stmt = select(OfficeReturn).order_by(OfficeReturn.id.desc())
    limit = visible_office_id(actor)
    if limit is not None:
        stmt = stmt.where(OfficeReturn.office_id == limit)
    return stmt
