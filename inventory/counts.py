"""Stock counts and their reconciliation against the ledger as of the count's time.

The ledger quantity of a part at location L at time T is the current balance
minus what moved into L after T plus what moved out after T: one indexed range
read of the few movements that follow a count, never a sum of the whole ledger.
Reconciliation runs as one set-based query for any number of counts.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, func, literal, select, union, union_all

from core.accounts.roles import Role
from core.accounts.scope import visible_office_id
from core.calendar import local_today
from core.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from core.extensions import db
from core.sequences import next_number
from core.types import utcnow
from inventory import service
from inventory.models import (
    COUNT_KINDS, COUNT_LOSS, FACTORY_SHIPPING, OFFICE, PHYSICAL_KINDS, TRANSIT, Balance, CountLine, CountSerial,
    Location, Movement, Part, SerialPosition, StockCount,
)

SUBMITTED, RECOUNT_REQUIRED, SUPERSEDED, ACCEPTED = "submitted", "recount_required", "superseded", "accepted"


@dataclass(slots=True)
class LineResult:
    part_id: int
    sku: str
    model: str
    unit_cost: Decimal
    counted: int
    ledger: int

    @property
    def variance(self) -> int:
        return self.counted - self.ledger

    @property
    def value(self) -> Decimal:
        return self.unit_cost * self.variance


@dataclass
class SerialResult:
    missing: list[tuple[str, str]] = field(default_factory=list)        # (sku, serial) expected, not scanned
    unexpected: list[tuple[str | None, str]] = field(default_factory=list)  # scanned, unknown to the ledger
    elsewhere: list[tuple[str, str, str]] = field(default_factory=list)  # (sku, serial, location code at T)
    matched: int = 0


@dataclass
class Reconciliation:
    count: StockCount
    lines: list[LineResult]
    serials: SerialResult | None

    @property
    def gross_value(self) -> Decimal:
        return sum((abs(line.value) for line in self.lines), Decimal("0"))

    @property
    def shortfall_value(self) -> Decimal:
        return sum((-line.value for line in self.lines if line.variance < 0), Decimal("0"))

    @property
    def surplus_value(self) -> Decimal:
        return sum((line.value for line in self.lines if line.variance > 0), Decimal("0"))

    @property
    def differing(self) -> list[LineResult]:
        return [line for line in self.lines if line.variance]


# --- reconciliation ------------------------------------------------------------------------

def reconcile_rows(count_ids):
    """(count_id, part_id, sku, model, unit_cost, counted, ledger) for every line in scope of the counts.

    In scope: the counted parts, plus for a full count every part with a
    balance row at the location (uncounted = 0); lines where both figures are 0
    and nothing was counted are left out. Three set-based queries whatever the
    number of counts: the counted lines with their balances, the uncounted
    balances of full counts, and the net of the movements after each count.
    """
    ids = list(count_ids)
    if not ids:
        return []
    c, m, b, cl, p = (StockCount.__table__, Movement.__table__, Balance.__table__, CountLine.__table__,
                      Part.__table__)
    # Ids and quantities only: part facts come once per part below, not once per line.
    counted = db.session.execute(
        select(cl.c.count_id, cl.c.part_id, cl.c.counted_qty, func.coalesce(b.c.quantity, 0))
        .select_from(cl)
        .join(c, c.c.id == cl.c.count_id)
        .join(p, p.c.id == cl.c.part_id)
        .outerjoin(b, and_(b.c.location_id == c.c.location_id, b.c.part_id == cl.c.part_id))
        .where(cl.c.count_id.in_(ids))
        .order_by(cl.c.count_id, p.c.sku)
    ).all()
    # Every part that ever moved at a location has a balance row there, so this
    # covers parts held at T even if they have left since.
    uncounted = db.session.execute(
        select(c.c.id, b.c.part_id, literal(0), b.c.quantity)
        .select_from(c)
        .join(b, b.c.location_id == c.c.location_id)
        .where(c.c.id.in_(ids), c.c.full.is_(True),
               ~select(cl.c.id).where(cl.c.count_id == c.c.id, cl.c.part_id == b.c.part_id).exists())
    ).all()
    moved_in = (select(c.c.id.label("count_id"), m.c.part_id, m.c.quantity.label("delta"))
                .join(m, and_(m.c.to_location_id == c.c.location_id, m.c.at > c.c.counted_at))
                .where(c.c.id.in_(ids)))
    moved_out = (select(c.c.id.label("count_id"), m.c.part_id, (-m.c.quantity).label("delta"))
                 .join(m, and_(m.c.from_location_id == c.c.location_id, m.c.at > c.c.counted_at))
                 .where(c.c.id.in_(ids)))
    moves = union_all(moved_in, moved_out).subquery("moves")
    after = {(cid, pid): int(delta) for cid, pid, delta in db.session.execute(
        select(moves.c.count_id, moves.c.part_id, func.sum(moves.c.delta)).group_by(moves.c.count_id, moves.c.part_id))}
    get = after.get
    extra = [(cid, pid, 0, balance - get((cid, pid), 0)) for cid, pid, _zero, balance in uncounted]
    extra = [row for row in extra if row[3]]
    part_ids = {row[1] for row in counted} | {row[1] for row in extra}
    info = {pid: (sku, model, cost) for pid, sku, model, cost in db.session.execute(
        select(p.c.id, p.c.sku, p.c.model, p.c.unit_cost).where(p.c.id.in_(part_ids)))} if part_ids else {}
    out = [(cid, pid, *info[pid], qty, balance - get((cid, pid), 0)) for cid, pid, qty, balance in counted]
    if extra:
        out.extend((cid, pid, *info[pid], qty, ledger) for cid, pid, qty, ledger in extra)
        out.sort(key=lambda r: (r[0], r[2]))
    return out


def reconcile_many(counts: list[StockCount]) -> dict[int, Reconciliation]:
    """Reconcile several counts at once (one ledger query for the quantities)."""
    out = {cnt.id: Reconciliation(cnt, [], None) for cnt in counts}
    for count_id, part_id, sku, model, cost, counted, ledger in reconcile_rows(out):
        out[count_id].lines.append(LineResult(part_id, sku, model, cost if cost is not None else Decimal(0),
                                              counted, ledger))
    for cnt in counts:
        # Serial findings whenever serialized units can be in scope: a full count, or scanned serials.
        if cnt.full or cnt.serials:
            out[cnt.id].serials = reconcile_serials(cnt)
    return out


def reconcile(count: StockCount) -> Reconciliation:
    """Compare one count with the ledger as of its time."""
    return reconcile_many([count])[count.id]


def serial_positions_at(location_id: int, at: datetime, extra_serials=()) -> tuple[dict, dict]:
    """(position at ``at`` of every serial that was at the location then or is in ``extra_serials``, current positions).

    A unit's position at T is the from-location of its first movement after T,
    or its current position if it has not moved since.
    """
    extra = list(set(extra_serials))
    sp = SerialPosition.__table__
    current_stmt = select(sp.c.part_id, sp.c.serial, sp.c.location_id).where(sp.c.location_id == location_id)
    if extra:
        current_stmt = current_stmt.union(
            select(sp.c.part_id, sp.c.serial, sp.c.location_id).where(sp.c.serial.in_(extra)))
    current = {(pid, s): loc for pid, s, loc in db.session.execute(current_stmt)}
    m = Movement.__table__
    cols = (m.c.part_id, m.c.serial, m.c.from_location_id, m.c.at, m.c.id)
    after = m.c.at > at
    stmts = [select(*cols).where(m.c.from_location_id == location_id, after, m.c.serial.is_not(None)),
             select(*cols).where(m.c.to_location_id == location_id, after, m.c.serial.is_not(None))]
    if extra:
        stmts.append(select(*cols).where(m.c.serial.in_(extra), after))
    first: dict = {}
    for pid, serial, from_loc, _at, _id in sorted(db.session.execute(union(*stmts)), key=lambda r: (r[3], r[4])):
        first.setdefault((pid, serial), from_loc)
    at_time = dict(current)
    at_time.update(first)
    return at_time, current


def reconcile_serials(count: StockCount) -> SerialResult:
    """Missing, unexpected and registered-elsewhere serials of a scan count."""
    scanned = {(cs.part_id, cs.serial) for cs in count.serials}
    at_time, _current = serial_positions_at(count.location_id, count.counted_at, [s for _p, s in scanned])
    parts = {p.id: p for p in db.session.scalars(select(Part).where(Part.id.in_({k[0] for k in at_time} | {p for p, _ in scanned if p})))}
    locs = {loc.id: loc.code for loc in db.session.scalars(select(Location).where(Location.id.in_(set(at_time.values()))))}
    expected = {key for key, loc in at_time.items() if loc == count.location_id}
    if not count.full:
        in_scope = {line.part_id for line in count.lines} | {p for p, _s in scanned if p}
        expected = {key for key in expected if key[0] in in_scope}
    result = SerialResult()
    for key in sorted(expected - scanned, key=lambda k: (parts[k[0]].sku, k[1])):
        result.missing.append((parts[key[0]].sku, key[1]))
    for part_id, serial in sorted(scanned, key=lambda k: k[1]):
        if (part_id, serial) in expected:
            result.matched += 1
        elif (part_id, serial) in at_time:
            result.elsewhere.append((parts[part_id].sku, serial, locs.get(at_time[(part_id, serial)], "?")))
        else:
            result.unexpected.append((parts[part_id].sku if part_id else None, serial))
    return result


# --- access --------------------------------------------------------------------------------

def may_see_expected(actor, count: StockCount) -> bool:
    """Blind counts show the ledger's figures to supervisors only until accepted."""
    if count.blind and count.status != ACCEPTED:
        return actor.has_role(Role.SUPERVISOR)
    return True


def get_count(actor, count_id: int) -> StockCount:
    count = service.by_id(StockCount, count_id)
    if count is None:
        raise NotFound(_("No count %(id)s.", id=count_id))
    service.ensure_location_access(actor, count.location)
    if count.blind and visible_office_id(actor) is not None:
        raise Forbidden(_("Spot checks are HQ's."))
    return count


def reconciliation_for(actor, count: StockCount) -> Reconciliation:
    if not may_see_expected(actor, count):
        raise Forbidden(_("This is a blind count: the ledger's figures are for the supervisor."))
    return reconcile(count)


def counts_query(actor, *, location_id: int | None = None, status: str | None = None):
    stmt = select(StockCount).join(Location, Location.id == StockCount.location_id).order_by(StockCount.id.desc())
    limit = visible_office_id(actor)
    if limit is not None:
        stmt = stmt.where(Location.office_id == limit, StockCount.blind.is_(False))
    if location_id:
        stmt = stmt.where(StockCount.location_id == location_id)
    if status:
        stmt = stmt.where(StockCount.status == status)
    return stmt


# --- submitting ----------------------------------------------------------------------------

@dataclass
class CountInput:
    """Parsed count lines: quantities by SKU and scanned serials (with their line numbers for errors)."""

    quantities: list[tuple[int, str, int]] = field(default_factory=list)  # (line, sku, qty)
    serials: list[tuple[int, str | None, str]] = field(default_factory=list)  # (line, sku or None, serial)


def parse_scans(text: str) -> CountInput:
    """Scanner input, one code per line: ``SERIAL``, or ``SKU SERIAL`` / ``SKU,SERIAL``."""
    data = CountInput()
    for n, raw in enumerate((text or "").splitlines(), start=1):
        parts = raw.replace(",", " ").replace("\t", " ").split()
        if not parts:
            continue
        if len(parts) == 1:
            data.serials.append((n, None, parts[0]))
        else:
            data.serials.append((n, parts[0], parts[1]))
    return data


HEADERS = {"sku": "sku", "料号": "sku", "quantity": "quantity", "qty": "quantity", "数量": "quantity",
           "serial": "serial", "序列号": "serial", "sn": "serial"}


def parse_count_file(filename: str, content: bytes) -> CountInput:
    """Read a CSV or XLSX count sheet (columns sku, quantity, serial; header row first).

    Every bad row is reported with its line number and nothing is imported.
    """
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        rows = _xlsx_rows(content)
    elif name.endswith(".csv") or name.endswith(".txt"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = content.decode("gb18030")
            except UnicodeDecodeError:
                raise ValidationFailed(_("The file is not readable text."), errors={"file": [_("Save it as UTF-8 CSV.")]}) from None
        rows = list(csv.reader(io.StringIO(text)))
    else:
        raise ValidationFailed(_("Upload a .csv or .xlsx file."), errors={"file": [_("Unsupported file type.")]})
    if not rows:
        raise ValidationFailed(_("The file is empty."), errors={"file": [_("No rows.")]})
    header = [HEADERS.get(str(h or "").strip().lower()) for h in rows[0]]
    if "sku" not in header or ("quantity" not in header and "serial" not in header):
        raise ValidationFailed(_("The first row must name the columns: sku, quantity, serial."),
                               errors={"file": [_("Line 1: expected headers sku, quantity and/or serial.")]})
    idx = {name: header.index(name) for name in ("sku", "quantity", "serial") if name in header}
    data, problems = CountInput(), []
    for n, row in enumerate(rows[1:], start=2):
        cells = [str(v).strip() if v is not None else "" for v in row]
        get = lambda key: cells[idx[key]] if key in idx and idx[key] < len(cells) else ""  # noqa: E731
        sku, qty, serial = get("sku"), get("quantity"), get("serial")
        if not any(cells):
            continue
        if not sku:
            problems.append((n, _("Line %(n)s: the SKU is missing.", n=n)))
            continue
        if serial:
            if qty not in ("", "1", "1.0"):
                problems.append((n, _("Line %(n)s: a serial line counts one unit; leave the quantity empty or 1.", n=n)))
                continue
            data.serials.append((n, sku, serial))
            continue
        try:
            value = float(qty)
            if value != int(value) or value < 0:
                raise ValueError
        except ValueError:
            problems.append((n, _("Line %(n)s: the quantity %(q)r is not a whole number of 0 or more.", n=n, q=qty)))
            continue
        data.quantities.append((n, sku, int(value)))
    # Name unknown SKUs here too, so one upload reports every bad row at once.
    known = service.parts_by_sku([sku for _n, sku, _q in data.quantities] + [sku for _n, sku, _s in data.serials])
    for n, sku, _x in sorted(data.quantities + data.serials):
        if sku not in known:
            problems.append((n, _("Line %(n)s: unknown SKU %(sku)s.", n=n, sku=sku)))
    if problems:
        raise ValidationFailed(_("The file has %(n)s bad lines; nothing was imported.", n=len(problems)),
                               errors={"file": [msg for _n, msg in sorted(problems)]})
    return data


def _xlsx_rows(content: bytes) -> list[list]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise ValidationFailed(_("The file is not a readable XLSX workbook."),
                               errors={"file": [_("Not an XLSX workbook.")]}) from None
    sheet = book.worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def submit_count(actor, *, location: Location, kind: str, data: CountInput, method: str = "form",
                 counted_at: datetime | None = None, full: bool = True, note: str = "",
                 recount_of: StockCount | None = None) -> StockCount:
    """Record a count. Offices count their own stock weekly or monthly; HQ staff do blind spot checks.

    Unknown SKUs, duplicates and serialized parts counted without serials are
    refused with their line numbers, and nothing is saved.
    """
    if actor is None:
        raise Forbidden(_("Sign in first."))
    service.ensure_location_access(actor, location)
    if location.kind not in PHYSICAL_KINDS or location.kind == TRANSIT:
        raise ValidationFailed(_("Only a store, an office or a bin can be counted."), errors={"location": [location.code]})
    if kind not in COUNT_KINDS:
        raise ValidationFailed(_("Unknown kind of count."), errors={"kind": [_("One of: %(k)s", k=", ".join(COUNT_KINDS))]})
    is_office_user = visible_office_id(actor) is not None
    if kind == "spot" and (is_office_user or not actor.has_role(Role.CLERK, Role.SERVICE, Role.SUPERVISOR)):
        raise Forbidden(_("Spot checks are done by HQ staff."))
    now = utcnow()
    counted_at = counted_at or now
    if counted_at.tzinfo is None or counted_at > now + service.CLOCK_SKEW:
        raise ValidationFailed(_("The count time cannot be in the future."), errors={"counted_at": [_("In the future.")]})
    if recount_of is not None:
        if recount_of.location_id != location.id:
            raise ValidationFailed(_("A recount counts the same location."), errors={"location": [location.code]})
        if recount_of.status != RECOUNT_REQUIRED:
            raise InvalidTransition(_("Count %(n)s does not wait for a recount.", n=recount_of.number),
                                    current=recount_of.status, allowed=[RECOUNT_REQUIRED])
        if counted_at < recount_of.counted_at:
            raise ValidationFailed(_("A recount comes after the count it repeats."), errors={"counted_at": [_("Too early.")]})

    parts = service.parts_by_sku([s for _n, s, _q in data.quantities] + [s for _n, s, _x in data.serials if s])
    problems: list[str] = []
    quantities: dict[int, int] = {}
    seen_line: dict[int, int] = {}
    for n, sku, qty in data.quantities:
        part = parts.get(sku)
        if part is None:
            problems.append(_("Line %(n)s: unknown SKU %(sku)s.", n=n, sku=sku))
        elif part.serialized and qty:
            problems.append(_("Line %(n)s: %(sku)s is serialized; scan or list its serials.", n=n, sku=sku))
        elif qty < 0:
            problems.append(_("Line %(n)s: the quantity cannot be negative.", n=n))
        elif part.id in seen_line:
            problems.append(_("Line %(n)s: %(sku)s is already on line %(m)s.", n=n, sku=sku, m=seen_line[part.id]))
        else:
            seen_line[part.id] = n
            quantities[part.id] = qty
    serial_rows = []
    unresolved = [s for _n, sku, s in data.serials if not sku]
    known: dict[str, set[int]] = {}
    if unresolved:
        for pid, s in db.session.execute(select(SerialPosition.part_id, SerialPosition.serial)
                                         .where(SerialPosition.serial.in_(set(unresolved)))):
            known.setdefault(s, set()).add(pid)
    seen_serial: dict[str, int] = {}
    for n, sku, serial in data.serials:
        part_id = None
        if sku:
            part = parts.get(sku)
            if part is None:
                problems.append(_("Line %(n)s: unknown SKU %(sku)s.", n=n, sku=sku))
                continue
            if not part.serialized:
                problems.append(_("Line %(n)s: %(sku)s is counted in bulk, not by serial.", n=n, sku=sku))
                continue
            part_id = part.id
        else:
            owners = known.get(serial, set())
            if len(owners) > 1:
                problems.append(_("Line %(n)s: serial %(s)s belongs to several parts; give the SKU too.", n=n, s=serial))
                continue
            part_id = next(iter(owners), None)
        if serial in seen_serial:
            problems.append(_("Line %(n)s: serial %(s)s was already scanned on line %(m)s.", n=n, s=serial, m=seen_serial[serial]))
            continue
        seen_serial[serial] = n
        serial_rows.append((part_id, serial))
        if part_id is not None:
            quantities[part_id] = quantities.get(part_id, 0) + 1
    if problems:
        raise ValidationFailed(_("The count has %(n)s bad lines; nothing was saved.", n=len(problems)),
                               errors={"lines": problems})
    if not quantities and not serial_rows and not full:
        raise ValidationFailed(_("A partial count needs at least one line."), errors={"lines": [_("Nothing counted.")]})

    count = StockCount(number=next_number("CNT", local_today().strftime("%y%m")), location_id=location.id, kind=kind,
                       method=method, blind=kind == "spot", full=full, counted_at=counted_at, status=SUBMITTED,
                       recount_of_id=recount_of.id if recount_of else None, counted_by_id=actor.id,
                       note=(note or "").strip())
    count.lines = [CountLine(part_id=pid, counted_qty=q) for pid, q in quantities.items()]
    count.serials = [CountSerial(part_id=pid, serial=s) for pid, s in serial_rows]
    db.session.add(count)
    db.session.flush()
    rec = reconcile(count)
    count.variance_value = rec.gross_value
    if recount_of is not None:
        recount_of.status = SUPERSEDED
    elif rec.gross_value > Decimal(str(current_app.config["INVENTORY_RECOUNT_THRESHOLD"])):
        # Too large a difference to accept on one count: count again first.
        count.status = RECOUNT_REQUIRED
    db.session.flush()
    return count


def request_recount(actor, count: StockCount, note: str = "") -> StockCount:
    """The supervisor asks for a recount of a submitted count."""
    service._require(actor, Role.SUPERVISOR)
    if count.status != SUBMITTED:
        raise InvalidTransition(_("Only a submitted count can be sent back for a recount."), current=count.status,
                                allowed=[SUBMITTED])
    count.status = RECOUNT_REQUIRED
    if note:
        count.note = (count.note + "\n" + note).strip()
    db.session.flush()
    return count


def liable_party(location: Location) -> tuple[str, int | None]:
    """Who answers for a shortfall: the office, the factory shipping dept (vendor pool, DOMAIN D.6), or CS."""
    root = location.parent if location.parent_id else location
    if root.kind == OFFICE:
        return "office", root.office_id
    if root.kind == FACTORY_SHIPPING:
        return "factory_shipping", None
    return "cs", None


def accept_count(actor, count: StockCount) -> StockCount:
    """The supervisor accepts a count: adjustments bring the ledger to what was counted, the variance is charged.

    Adjustments go to and from the count-loss location and reference the count.
    A count over the recount threshold must be recounted first.
    """
    service._require(actor, Role.SUPERVISOR)
    if count.status == RECOUNT_REQUIRED:
        raise Conflict(_("The variance of %(v)s is over the recount threshold: count %(n)s must be recounted first.",
                         v=count.variance_value, n=count.number), code="recount_required")
    if count.status != SUBMITTED:
        raise InvalidTransition(_("Count %(n)s cannot be accepted now.", n=count.number), current=count.status,
                                allowed=[SUBMITTED])
    rec = reconcile(count)
    loss = service.system_location(COUNT_LOSS)
    loc = count.location
    parts = {p.id: p for p in db.session.scalars(select(Part).where(Part.id.in_([line.part_id for line in rec.lines])))} if rec.lines else {}
    common = dict(actor=actor, reason="count_adjustment", ref_type="count", ref_id=count.id,
                  note=_("Count %(n)s", n=count.number))
    for line in rec.lines:
        part = parts[line.part_id]
        if part.serialized or not line.variance:
            continue
        if line.variance > 0:
            service.post_movement(part=part, from_location=loss, to_location=loc, quantity=line.variance, **common)
        else:
            service.post_movement(part=part, from_location=loc, to_location=loss, quantity=-line.variance, **common)
    if rec.serials is not None:
        _adjust_serials(count, rec.serials, loss, common)
    existing = {line.part_id: line for line in count.lines}
    for line in rec.lines:
        row = existing.get(line.part_id)
        if row is None:
            row = CountLine(part_id=line.part_id, counted_qty=line.counted)
            count.lines.append(row)
        row.ledger_qty = line.ledger
    count.shortfall_value = rec.shortfall_value
    count.surplus_value = rec.surplus_value
    count.variance_value = rec.gross_value
    count.liable_party, count.liable_office_id = liable_party(loc)
    count.status = ACCEPTED
    count.accepted_at = utcnow()
    count.accepted_by_id = actor.id
    db.session.flush()
    return count


def _adjust_serials(count: StockCount, result: SerialResult, loss: Location, common: dict) -> None:
    """Serial adjustments: missing units to count loss, unknown ones in from it, misplaced ones moved here."""
    loc = count.location
    skus = {sku for sku, _s in result.missing} | {sku for sku, _s, _l in result.elsewhere} | {
        sku for sku, _s in result.unexpected if sku}
    parts = service.parts_by_sku(skus)
    now_at = {}
    if skus:
        rows = db.session.execute(select(SerialPosition.part_id, SerialPosition.serial, SerialPosition.location_id)
                                  .where(SerialPosition.part_id.in_([p.id for p in parts.values()])))
        now_at = {(pid, s): lid for pid, s, lid in rows}
    for sku, serial in result.missing:
        part = parts[sku]
        if now_at.get((part.id, serial)) == loc.id:  # still booked here: write it off
            service.post_movement(part=part, from_location=loc, to_location=loss, serial=serial, **common)
    for sku, serial in result.unexpected:
        if sku and (parts[sku].id, serial) not in now_at:
            service.post_movement(part=parts[sku], from_location=loss, to_location=loc, serial=serial, **common)
    for sku, serial, _was in result.elsewhere:
        part = parts[sku]
        where = now_at.get((part.id, serial))
        if where is not None and where != loc.id:
            service.post_movement(part=part, from_location=db.session.get(Location, where), to_location=loc,
                                  serial=serial, **{**common, "reason": "count_relocation"})


# --- export --------------------------------------------------------------------------------

def export_rows(rec: Reconciliation) -> list[list]:
    header = [_("SKU"), _("Model"), _("Counted"), _("Ledger"), _("Variance"), _("Unit cost"), _("Variance value")]
    rows = [header]
    for line in rec.lines:
        rows.append([line.sku, line.model, line.counted, line.ledger, line.variance, float(line.unit_cost),
                     float(line.value)])
    if rec.serials is not None:
        rows.append([])
        rows.append([_("Serial"), _("SKU"), _("Finding"), _("Registered at")])
        rows += [[s, sku, _("missing"), ""] for sku, s in rec.serials.missing]
        rows += [[s, sku or "", _("unexpected"), ""] for sku, s in rec.serials.unexpected]
        rows += [[s, sku, _("registered elsewhere"), where] for sku, s, where in rec.serials.elsewhere]
    return rows


def export_csv(rec: Reconciliation) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(export_rows(rec))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens it as UTF-8


def export_xlsx(rec: Reconciliation) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = rec.count.number
    for row in export_rows(rec):
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
