"""The office spare cycle (DOMAIN C): request, HQ approval, issue and receipt, swaps, year-end return.

Inventory keeps the request, approval and issue records and posts the
movements itself (HQ store -> transit -> office); the shipments package
attaches waybills to them later through ``shipment_id``.

Every step is a guarded transition through the workflow core (``core.workflow``):
of two identical requests at once one succeeds and the other gets 409, before
anything is posted.
Every office-side step checks the office scope (``inventory.access``).

A spare request goes requested -> approved -> issued -> received; before it is
issued it can be edited (back to requested), re-approved, rejected or cancelled,
so no request is ever stuck (``allowed_actions``). A year-end return is prepared
from a confirmation page (inside the return window, or outside it with the
supervisor's override), can be cancelled until it ships, then ships (office ->
in transit) and is checked in at HQ.
"""
from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select

from core.accounts.roles import Role
from core.authz import require, require_office, scope_to_office
from core.calendar import is_working_day, local_today
from core.directory.models import Dealer, Office
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.sequences import next_number
from core.types import utcnow
from inventory import access, service
from inventory.models import (
    BIN, DEALER, HQ_STORE, TRANSIT, Location, OfficeReturn, OfficeReturnLine, Part, SpareRequest, SpareRequestLine,
)
from core.locking import lock_row
from core.workflow import LabelledEnum, Workflow


class RequestStatus(LabelledEnum):
    """Where a spare request is; each member carries its words."""

    REQUESTED = "requested", _l("Requested")
    APPROVED = "approved", _l("Approved")
    REJECTED = "rejected", _l("Rejected")
    CANCELLED = "cancelled", _l("Cancelled")
    ISSUED = "issued", _l("Issued, on its way")
    RECEIVED = "received", _l("Received")


REQUESTED, APPROVED, REJECTED, CANCELLED, ISSUED, RECEIVED = (
    RequestStatus.REQUESTED, RequestStatus.APPROVED, RequestStatus.REJECTED, RequestStatus.CANCELLED,
    RequestStatus.ISSUED, RequestStatus.RECEIVED)


class ReturnStatus(LabelledEnum):
    """Where a year-end return is; each member carries its words."""

    PREPARED = "prepared", _l("Prepared, not shipped")
    SHIPPED = "shipped", _l("Shipped to HQ")
    RECEIVED = "received", _l("Checked in at HQ")
    CANCELLED = "cancelled", _l("Cancelled")


PREPARED, SHIPPED = ReturnStatus.PREPARED, ReturnStatus.SHIPPED

REQUEST_STATUS_LABELS = RequestStatus.labels()
RETURN_STATUS_LABELS = ReturnStatus.labels()
ACTION_LABELS = {
    "approve": _l("Approve"), "reject": _l("Reject"), "cancel": _l("Cancel"), "edit": _l("Edit"),
    "issue": _l("Issue"), "receive": _l("Receive"), "ship": _l("Ship"),
}
# What can still happen to a request in each state. A state without a step is final, and
# every final state has a meaning for people (FINAL_MEANINGS): nothing is ever stuck. An
# approved request not yet issued may be approved again (other quantities) or edited, which
# sends it back for approval.
REQUEST_TRANSITIONS: dict[str, dict[str, str]] = {
    REQUESTED: {"approve": APPROVED, "reject": REJECTED, "cancel": CANCELLED, "edit": REQUESTED},
    APPROVED: {"issue": ISSUED, "approve": APPROVED, "reject": REJECTED, "cancel": CANCELLED, "edit": REQUESTED},
    ISSUED: {"receive": RECEIVED},
    RECEIVED: {}, REJECTED: {}, CANCELLED: {},
}
REQUEST_ACTIONS = {state: tuple(actions) for state, actions in REQUEST_TRANSITIONS.items()}
FINAL_MEANINGS = {
    RECEIVED: _l("The office received the spares."),
    REJECTED: _l("HQ said no; the note says why."),
    CANCELLED: _l("Withdrawn before anything was sent."),
}
RETURN_TRANSITIONS: dict[str, dict[str, str]] = {
    ReturnStatus.PREPARED: {"ship": ReturnStatus.SHIPPED, "cancel": ReturnStatus.CANCELLED},
    ReturnStatus.SHIPPED: {"receive": ReturnStatus.RECEIVED},
    ReturnStatus.RECEIVED: {}, ReturnStatus.CANCELLED: {},
}
RETURN_ACTIONS = {state: tuple(actions) for state, actions in RETURN_TRANSITIONS.items()}
RETURN_FINAL_MEANINGS = {
    RECEIVED: _l("HQ checked everything in; the office starts the new year empty."),
    CANCELLED: _l("Called off before it shipped; nothing moved."),
}
# No event table: the audited flush records each step (who and when are on the return).
# HQ checks a return in; shipping and cancelling are the office's (its own only) or HQ's.
RETURN_WORKFLOW = Workflow(states=ReturnStatus, transitions=RETURN_TRANSITIONS, action_labels=ACTION_LABELS,
                           column="status", name_attr="number", roles={"receive": (Role.CLERK, Role.SUPERVISOR)},
                           stamp=None)
# Who may take each step of a request (admins pass every role check).
ACTION_ROLES = {
    "approve": (Role.SUPERVISOR,), "reject": (Role.SUPERVISOR,),
    "issue": (Role.CLERK, Role.SUPERVISOR),
    "cancel": (Role.OFFICE, Role.CLERK, Role.SUPERVISOR), "edit": (Role.OFFICE, Role.CLERK, Role.SUPERVISOR),
    "receive": (Role.OFFICE, Role.CLERK, Role.SUPERVISOR),
}
# No event table: the audited flush records each step (who and when are on the request).
REQUEST_WORKFLOW = Workflow(states=RequestStatus, transitions=REQUEST_TRANSITIONS, action_labels=ACTION_LABELS,
                            column="status", name_attr="number", roles=ACTION_ROLES, stamp=None)
# The steps an office user takes only for their own office.
OFFICE_STEPS = ("cancel", "edit", "receive")


def request_status_label(status: str) -> str:
    """A request's state in words."""
    return RequestStatus.label_of(status)


def return_status_label(status: str) -> str:
    """A year-end return's state in words."""
    return ReturnStatus.label_of(status)


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else str(action)


def allowed_actions(req: SpareRequest, actor=None) -> list[str]:
    """The steps still possible for ``req`` (for ``actor``'s roles, when given): the workflow's rule."""
    if actor is None:
        return REQUEST_WORKFLOW.possible(req)
    return REQUEST_WORKFLOW.allowed_actions(req, actor)


def return_actions(actor, ret: OfficeReturn) -> list[str]:
    """The steps ``actor`` may take on a year-end return now: what the buttons offer and the steps check."""
    return RETURN_WORKFLOW.allowed_actions(ret, actor)


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


def _office_actor_may(actor, office_id: int) -> None:
    """Office users act only for their own office; department approvers not at all."""
    require_office(actor, office_id)
    if not access.is_hq_actor(actor) and access.office_of_actor(actor) != office_id:
        raise Forbidden(_("Your role does not allow this."))


OPEN = (REQUESTED, APPROVED)


def create_request(actor, *, office_id: int, lines, note: str = "", copied_from_id: int | None = None) -> SpareRequest:
    """An office asks HQ for spare units (office users for their own office only).

    The same request sent twice (the same parts and quantities while the first
    is still open) is refused with 409 naming the first: edit that one instead.
    """
    _office_actor_may(actor, office_id)
    access.office_location(office_id)  # NotFound for an unknown office
    parsed = _lines_from_skus(lines)
    # Held until the request ends: a second identical request at the same moment sees this one.
    lock_row(Office, office_id)
    wanted = sorted((part.id, qty) for part, qty in parsed)
    for other in db.session.scalars(select(SpareRequest).where(SpareRequest.office_id == office_id,
                                                               SpareRequest.status.in_(OPEN))):
        if sorted((line.part_id, line.requested_qty) for line in other.lines) == wanted:
            raise Conflict(_("The same request is already open as %(n)s; change that one instead.", n=other.number),
                           code="duplicate_request", existing=other.number)
    req = SpareRequest(number=next_number("SR", _period()), office_id=office_id, status=REQUESTED,
                       year=local_today().year, note=(note or "").strip(), requested_by_id=actor.id,
                       copied_from_id=copied_from_id)
    req.lines = [SpareRequestLine(part_id=part.id, requested_qty=qty) for part, qty in parsed]
    db.session.add(req)
    db.session.flush()
    return req


def new_year_request(actor, *, office_id: int) -> SpareRequest:
    """The new year's request, prefilled with what the office was approved last time."""
    _office_actor_may(actor, office_id)
    last = db.session.scalar(select(SpareRequest).where(SpareRequest.office_id == office_id,
                                                        SpareRequest.status.in_([ISSUED, RECEIVED]))
                             .order_by(SpareRequest.id.desc()))
    if last is None:
        raise ValidationFailed(_("This office has no earlier request to copy; make a new request."),
                               errors={"office_id": [_("Nothing to copy.")]})
    lock_row(Office, office_id)
    copy = db.session.scalar(select(SpareRequest).where(SpareRequest.copied_from_id == last.id,
                                                        SpareRequest.status.not_in([REJECTED, CANCELLED])))
    if copy is not None:
        raise Conflict(_("%(last)s was already copied into %(n)s.", last=last.number, n=copy.number),
                       code="already_copied", existing=copy.number)
    lines = [(line.part.sku, line.approved_qty) for line in last.lines if line.approved_qty]
    return create_request(actor, office_id=office_id, lines=lines, copied_from_id=last.id,
                          note=_("New-year request (copy of %(n)s)", n=last.number))


def get_request(actor, request_id: int) -> SpareRequest:
    req = service.by_id(SpareRequest, request_id)
    if req is None:
        raise NotFound(_("No spare request %(id)s.", id=request_id))
    require_office(actor, req.office_id)
    return req


def requests_query(actor, *, status: str | None = None, office_id: int | None = None):
    stmt = scope_to_office(select(SpareRequest).order_by(SpareRequest.id.desc()), actor, SpareRequest.office_id)
    if office_id:
        stmt = stmt.where(SpareRequest.office_id == office_id)
    if status:
        stmt = stmt.where(SpareRequest.status == status)
    return stmt


def _step(actor, req: SpareRequest, action: str) -> None:
    """Refuse, before reading the input, a step the role may not take (403) or the state does not allow (409)."""
    REQUEST_WORKFLOW.check_role(actor, action)
    if action in OFFICE_STEPS:
        _office_actor_may(actor, req.office_id)
    REQUEST_WORKFLOW.require(req, action)


def _move(actor, req: SpareRequest, action: str, **values) -> None:
    """The guarded transition: of two identical requests the second is refused (409) here, before it posts."""
    REQUEST_WORKFLOW.apply(actor, req, action, **values)


def approve_request(actor, req: SpareRequest, *, approved: dict[int, int] | None = None, note: str = "") -> SpareRequest:
    """HQ approves, possibly cutting quantities (``approved``: part id -> quantity; default as requested).

    More than requested needs a reason in ``note``. An approved request not yet
    issued may be approved again with other quantities.
    """
    _step(actor, req, "approve")
    approved = approved or {}
    note = (note or "").strip()
    unknown = set(approved) - {line.part_id for line in req.lines}
    if unknown:
        raise ValidationFailed(_("Only requested parts can be approved."), errors={"approved": sorted(unknown)})
    plan, over = [], []
    for line in req.lines:
        qty = approved.get(line.part_id, line.requested_qty)
        if not isinstance(qty, int) or isinstance(qty, bool) or qty < 0 or qty > 1_000_000:
            raise ValidationFailed(_("Approved quantities are 0 or more."), errors={"approved": [line.part.sku]})
        if qty > line.requested_qty:
            over.append(_("%(sku)s: %(a)s approved, %(r)s requested.", sku=line.part.sku, a=qty, r=line.requested_qty))
        plan.append((line, qty))
    if over and not note:
        raise ValidationFailed(_("Approving more than the office asked for needs a reason in the note."),
                               errors={"note": over}, code="over_approval_needs_reason")
    if not any(qty for _line, qty in plan):
        raise ValidationFailed(_("Approve at least one unit, or reject the request."), errors={"approved": []})
    _move(actor, req, "approve", decided_by_id=actor.id, decided_at=utcnow(), decision_note=note)
    for line, qty in plan:
        line.approved_qty = qty
    db.session.flush()
    return req


def reject_request(actor, req: SpareRequest, *, note: str = "") -> SpareRequest:
    """HQ says no (with a reason), any time before the spares are issued."""
    _step(actor, req, "reject")
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(_("Say why the request is rejected."), errors={"note": [_("Required.")]})
    _move(actor, req, "reject", decided_by_id=actor.id, decided_at=utcnow(), decision_note=note)
    db.session.flush()
    return req


def cancel_request(actor, req: SpareRequest, *, note: str = "") -> SpareRequest:
    """The office (or HQ) withdraws a request before anything is issued."""
    _step(actor, req, "cancel")
    _move(actor, req, "cancel", cancelled_by_id=actor.id, cancelled_at=utcnow(), cancel_note=(note or "").strip())
    db.session.flush()
    return req


def edit_request(actor, req: SpareRequest, *, lines, note: str | None = None) -> SpareRequest:
    """Change what is asked for before it is issued; an approved request goes back for approval."""
    _step(actor, req, "edit")
    parsed = _lines_from_skus(lines)
    _move(actor, req, "edit", decided_by_id=None, decided_at=None, decision_note="")
    by_part = {line.part_id: line for line in req.lines}
    keep = set()
    for part, qty in parsed:
        line = by_part.get(part.id)
        if line is None:
            req.lines.append(SpareRequestLine(part_id=part.id, requested_qty=qty))
        else:
            line.requested_qty, line.approved_qty = qty, None
        keep.add(part.id)
    for line in list(req.lines):
        if line.part_id not in keep:
            req.lines.remove(line)
    if note is not None:
        req.note = note.strip()
    db.session.flush()
    return req


def issue_request(actor, req: SpareRequest, *, serials: dict[int, list[str]] | None = None) -> SpareRequest:
    """HQ sends the approved spares: HQ store -> in transit (serialized parts by their scanned serials)."""
    _step(actor, req, "issue")
    serials = serials or {}
    plan = []
    for line in req.lines:
        if not line.approved_qty:
            continue
        if line.part.serialized:
            given = [s.strip() for s in serials.get(line.part_id, []) if s.strip()]
            if len(given) != line.approved_qty or len(set(given)) != len(given):
                raise ValidationFailed(
                    _("Scan %(n)s different serials of %(sku)s.", n=line.approved_qty, sku=line.part.sku),
                    errors={"serials": {line.part.sku: [_("%(got)s given.", got=len(given))]}})
            plan.append((line, given))
        else:
            plan.append((line, None))
    # The guard comes first: a second identical request stops here, before it posts anything.
    _move(actor, req, "issue", issued_at=utcnow())
    hq, transit = service.system_location(HQ_STORE), service.system_location(TRANSIT)
    access.ensure_hq_departure(actor, hq)
    for line, given in plan:
        common = dict(actor=actor, part=line.part, from_location=hq, to_location=transit, reason="office_issue",
                      ref_type="spare_request", ref_id=req.id)
        if given is not None:
            for serial in given:
                service.post_movement(serial=serial, **common)
            line.issued_serials = " ".join(given)
        else:
            service.post_movement(quantity=line.approved_qty, **common)
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
            if not times.isdigit() or not 1 <= int(times) <= 1_000_000:
                raise ValidationFailed(_("Bad multiplier in %(c)s.", c=raw), errors={"codes": [str(raw)]})
            counts[code.strip()] += int(times)
        else:
            counts[code] += 1
    return counts


def receive_request(actor, req: SpareRequest, *, codes) -> SpareRequest:
    """The office scans what arrived; it must match what was issued exactly, then transit -> office."""
    _step(actor, req, "receive")
    office = access.office_location(req.office_id)
    access.ensure_location_writable(actor, office)
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
    _move(actor, req, "receive", received_at=utcnow())
    transit = service.system_location(TRANSIT)
    for line in req.lines:
        common = dict(actor=actor, part=line.part, from_location=transit, to_location=office,
                      reason="office_receipt", ref_type="spare_request", ref_id=req.id)
        if line.part.serialized:
            for serial in line.issued_serials.split():
                service.post_movement(serial=serial, **common)
        elif line.approved_qty:
            service.post_movement(quantity=line.approved_qty, **common)
    db.session.flush()
    return req


# --- swaps ------------------------------------------------------------------------------------

def swap_at_office(actor, *, office_id: int, sku: str, dealer_id: int | None = None, spare_serial: str | None = None,
                   defective_serial: str | None = None, note: str = ""):
    """Swap a dealer's unit at once: a spare goes out to the dealer, the dealer's defective unit comes in.

    The dealer must exist and belong to the office's region (422 otherwise,
    nothing posted). The defective unit goes to the office's defective bin (not
    to its good spares), to be sent to HQ for repair. Returns (out, in) movements.
    """
    _office_actor_may(actor, office_id)
    office = access.office_location(office_id)
    access.ensure_location_writable(actor, office)
    dealer_row = access.ensure_dealer_in_office(actor, dealer_id, office_id)
    part = service.part_by_sku(sku)
    spare_serial = (spare_serial or "").strip() or None
    defective_serial = (defective_serial or "").strip() or None
    if part.serialized and not (spare_serial and defective_serial):
        raise ValidationFailed(_("Scan both serials: the spare handed out and the dealer's defective unit."),
                               errors={"spare_serial": [_("Required.")], "defective_serial": [_("Required.")]})
    dealer = service.system_location(DEALER)
    common = dict(actor=actor, part=part, ref_type="dealer", ref_id=dealer_row.id, note=note)
    try:
        out = service.post_movement(from_location=office, to_location=dealer, serial=spare_serial,
                                    reason="swap_out", **common)
    except ValidationFailed as err:
        if err.code == "serial_not_here" and err.extra.get("registered_at") == dealer.code:
            # The same swap sent twice: the first one already handed this spare out.
            raise Conflict(_("Spare %(serial)s has already been handed out to a dealer.", serial=spare_serial),
                           code="already_swapped") from None
        raise
    came = service.post_movement(from_location=dealer, to_location=service.defective_location(office),
                                 serial=defective_serial, reason="swap_in", **common)
    return out, came


def office_dealers(office_id: int) -> list:
    """The active dealers an office may swap with (assigned to it, or unassigned in its region)."""
    office = db.session.get(Office, office_id)
    if office is None:
        return []
    stmt = select(Dealer).where(Dealer.active.is_(True)).order_by(Dealer.code).limit(500)
    region = (office.region or "").strip()
    cond = Dealer.office_id == office.id
    if region:
        cond = or_(cond, and_(Dealer.office_id.is_(None), Dealer.region == region))
    return list(db.session.scalars(stmt.where(cond)))


# --- year-end return --------------------------------------------------------------------------

def _month_day(value: str, year: int, setting: str) -> date:
    try:
        month, day = (int(x) for x in str(value).split("-"))
        return date(year, month, day)
    except (TypeError, ValueError):
        raise ValueError(f"{setting} must be MM-DD, not {value!r}") from None


def last_working_day(year: int) -> date:
    """The last working day of ``year`` on the company calendar (official holidays and closures)."""
    day = date(year, 12, 31)
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def return_window(year: int) -> tuple[date, date]:
    """The days (inclusive) in which offices send their spares back, from the settings.

    ``INVENTORY_RETURN_WINDOW_START`` (MM-DD, default 12-01) and
    ``INVENTORY_RETURN_WINDOW_END`` (MM-DD, default: the last working day of the year).
    """
    start = _month_day(current_app.config.get("INVENTORY_RETURN_WINDOW_START") or "12-01", year,
                       "INVENTORY_RETURN_WINDOW_START")
    end_setting = current_app.config.get("INVENTORY_RETURN_WINDOW_END")
    end = _month_day(end_setting, year, "INVENTORY_RETURN_WINDOW_END") if end_setting else last_working_day(year)
    return start, end


def office_locations(office_id: int) -> list[Location]:
    """Every location the office holds stock at (its main location and its bins), found by office id."""
    access.office_location(office_id)
    return list(db.session.scalars(select(Location).where(Location.office_id == office_id).order_by(Location.id)))


def _is_defective_bin(loc: Location) -> bool:
    return loc.kind == BIN and loc.code.endswith("-DEF")


def _held_lines(office_id: int) -> list[dict]:
    """What the office holds now, one line per bulk part and location or per serial."""
    out = []
    for part, loc, qty, serials in sorted(service.holdings(loc.id for loc in office_locations(office_id)),
                                          key=lambda h: (h[1].id, h[0].sku)):
        defective = _is_defective_bin(loc)
        if part.serialized:
            out += [dict(part=part, location=loc, quantity=1, serial=s, defective=defective) for s in serials]
        else:
            out.append(dict(part=part, location=loc, quantity=qty, serial=None, defective=defective))
    return out


def _open_return(office_id: int) -> OfficeReturn | None:
    return db.session.scalar(select(OfficeReturn).where(OfficeReturn.office_id == office_id,
                                                        OfficeReturn.status.in_([PREPARED, SHIPPED])))


def preview_year_end_return(actor, *, office_id: int, today: date | None = None) -> dict:
    """What a year-end return would send now, and whether today is inside the return window (no writes)."""
    _office_actor_may(actor, office_id)
    office = db.session.get(Office, office_id)
    today = today or local_today()
    start, end = return_window(today.year)
    return {"office": office, "lines": _held_lines(office_id), "window_start": start, "window_end": end,
            "inside_window": start <= today <= end, "open_return": _open_return(office_id),
            "may_override": actor.has_role(Role.SUPERVISOR)}


def build_year_end_return(actor, *, office_id: int, confirm: bool = False, override: bool = False,
                          override_note: str = "", today: date | None = None) -> OfficeReturn:
    """Prepare the year-end return from the confirmation page: every line the office holds, nothing moved yet.

    Refused without ``confirm``; outside the return window unless a supervisor
    overrides with a reason; while the office has a return not yet received.
    """
    _office_actor_may(actor, office_id)
    if not confirm:
        raise ValidationFailed(_("Check the list of what will go back to HQ and confirm it."),
                               errors={"confirm": [_("Required.")]}, code="confirmation_required")
    today = today or local_today()
    start, end = return_window(today.year)
    override_note = (override_note or "").strip()
    if not start <= today <= end:
        if not override:
            raise ValidationFailed(
                _("Year-end returns are sent from %(start)s to %(end)s; ask a supervisor to allow one now.",
                  start=start.isoformat(), end=end.isoformat()),
                errors={"date": [today.isoformat()]}, code="outside_return_window")
        if not actor.has_role(Role.SUPERVISOR):
            raise Forbidden(_("Only a supervisor may allow a return outside the return window."))
        if not override_note:
            raise ValidationFailed(_("Say why the return is sent outside the return window."),
                                   errors={"override_note": [_("Required.")]})
    # One open return per office: two prepared at once would list the same stock twice.
    lock_row(Office, office_id)
    existing = _open_return(office_id)
    if existing is not None:
        raise Conflict(_("This office already has return %(n)s (%(s)s).", n=existing.number,
                         s=return_status_label(existing.status)), code="return_open")
    held = _held_lines(office_id)
    if not held:
        raise ValidationFailed(_("The office holds nothing to return."), errors={"office_id": [_("Nothing held.")]})
    ret = OfficeReturn(number=next_number("YR", _period()), office_id=office_id, year=today.year, status=ReturnStatus.PREPARED,
                       created_by_id=actor.id)
    if not start <= today <= end:
        ret.override_by_id, ret.override_note = actor.id, override_note
    ret.lines = [OfficeReturnLine(part_id=h["part"].id, from_location_id=h["location"].id, quantity=h["quantity"],
                                  serial=h["serial"], defective=h["defective"]) for h in held]
    db.session.add(ret)
    db.session.flush()
    return ret


def cancel_year_end_return(actor, ret: OfficeReturn, *, note: str = "") -> OfficeReturn:
    """Call a prepared return off; nothing had moved, so nothing moves back."""
    _office_actor_may(actor, ret.office_id)
    RETURN_WORKFLOW.apply(actor, ret, "cancel", cancelled_at=utcnow())
    db.session.flush()
    return ret


def ship_year_end_return(actor, ret: OfficeReturn) -> OfficeReturn:
    """Send a prepared return: every listed line from the office into transit.

    Refused (409) when the office's stock changed since the list was confirmed:
    cancel the return and prepare it again, so what goes is what was confirmed.
    """
    _office_actor_may(actor, ret.office_id)
    RETURN_WORKFLOW.apply(actor, ret, "ship", shipped_at=utcnow())
    listed = Counter((line.part_id, line.from_location_id, line.serial) for line in ret.lines
                     for _n in range(1 if line.serial else line.quantity))
    held = Counter((h["part"].id, h["location"].id, h["serial"]) for h in _held_lines(ret.office_id)
                   for _n in range(1 if h["serial"] else h["quantity"]))
    if listed != held:
        raise Conflict(_("The office's stock changed since return %(n)s was prepared; cancel it and prepare it again.",
                         n=ret.number), code="return_stock_changed")
    transit = service.system_location(TRANSIT)
    locations = {loc.id: loc for loc in office_locations(ret.office_id)}
    for line in ret.lines:
        service.post_movement(actor=actor, part=line.part, from_location=locations[line.from_location_id],
                              to_location=transit, quantity=line.quantity, serial=line.serial,
                              reason="year_end_return", ref_type="office_return", ref_id=ret.id)
    db.session.flush()
    return ret


def receive_year_end_return(actor, ret: OfficeReturn) -> OfficeReturn:
    """HQ checks the return in: good spares to the HQ store, defectives to its defective bin."""
    require(actor, Role.CLERK, Role.SUPERVISOR)
    RETURN_WORKFLOW.apply(actor, ret, "receive", received_at=utcnow())
    transit, hq = service.system_location(TRANSIT), service.system_location(HQ_STORE)
    hq_def = service.defective_location(hq)
    for line in ret.lines:
        service.post_movement(actor=actor, part=line.part, from_location=transit,
                              to_location=hq_def if line.defective else hq, quantity=line.quantity,
                              serial=line.serial, reason="year_end_receipt", ref_type="office_return", ref_id=ret.id)
    db.session.flush()
    return ret


def get_return(actor, return_id: int) -> OfficeReturn:
    ret = service.by_id(OfficeReturn, return_id)
    if ret is None:
        raise NotFound(_("No office return %(id)s.", id=return_id))
    require_office(actor, ret.office_id)
    return ret


def returns_query(actor):
    return scope_to_office(select(OfficeReturn).order_by(OfficeReturn.id.desc()), actor, OfficeReturn.office_id)
