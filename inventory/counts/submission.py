"""Submitting a count: scanner lines or a sheet, checked against the catalogue, refused twice in a row."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from core.accounts.scope import visible_office_id
from core.calendar import local_today
from core.errors import Conflict, Forbidden, ValidationFailed
from core.extensions import db
from core import sheets
from core.queries import among, in_chunks, insert_rows
from core.sequences import next_number
from core.types import utcnow
from inventory import service
from core.locking import lock_row
from inventory.models import (
    COUNT_KINDS, PHYSICAL_KINDS, TRANSIT, CountLine, CountSerial,
    Location, Part, SerialPosition, StockCount,
)
from inventory.counts.states import (ACCEPTED, BY_THRESHOLD, COUNT_WORKFLOW, PENDING, RECOUNT_REQUIRED, SPOT,
                                     SPOT_CHECK_ROLES, SUBMITTED)
from inventory.counts.reconciliation import reconcile
from inventory.counts.reading import ensure_channel_location, is_channel_visitor


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


COUNT_COLUMNS = sheets.Columns(
    aliases={
        "sku": ("sku", "part", "part no", "part number", "料号", "物料编码", "物料号", "物料代码", "物料", "编码",
                "商品编码", "配件编码"),
        "quantity": ("quantity", "qty", "count", "counted", "数量", "盘点数量", "实盘数量", "实盘数", "实际数量"),
        "serial": ("serial", "sn", "s/n", "serial number", "序列号", "条码", "机身号", "sn码"),
    },
    required=("sku",), codes=("sku", "serial"))


def parse_count_file(filename: str, content: bytes) -> CountInput:
    """Read a CSV or XLSX count sheet (columns sku, quantity, serial, in English or Chinese; header row first).

    Every line is returned as it stands (a SKU on several lines is summed when
    the count is submitted). Every bad row is reported with its line number
    (the first 50 and the total) and nothing is imported.
    """
    table = sheets.read_table(content, filename, COUNT_COLUMNS)
    if not table.has("quantity") and not table.has("serial"):
        raise sheets.file_error(_("The first row must name the columns: sku, quantity, serial."),
                                _("Line %(n)s: expected headers sku (物料编码), quantity (数量) and/or serial (序列号).",
                                  n=table.header_line))
    data, problems = CountInput(), []
    with sheets.paused_gc():  # many small tuples: see core.sheets.paused_gc
        for row in table.rows:
            n, sku, qty, serial = row.line, row["sku"], row["quantity"], row["serial"]
            if not sku:
                problems.append((n, _("Line %(n)s: the SKU is missing.", n=n)))
                continue
            if serial:
                try:
                    one = qty == "" or sheets.as_int(qty) == 1
                except ValueError:
                    one = False
                if not one:
                    problems.append((n, _("Line %(n)s: a serial line counts one unit; leave the quantity empty or 1.",
                                          n=n)))
                    continue
                data.serials.append((n, sku, serial))
                continue
            try:
                value = sheets.as_int(qty)
                if value < 0:
                    raise ValueError
            except ValueError:
                problems.append((n, _("Line %(n)s: the quantity %(q)r is not a whole number of 0 or more.",
                                      n=n, q=qty)))
                continue
            data.quantities.append((n, sku, value))
    # Name unknown SKUs here too, so one upload reports every bad row at once.
    known = _known_skus({sku for _n, sku, _q in data.quantities} | {sku for _n, sku, _s in data.serials})
    for n, sku, _x in data.quantities + data.serials:
        if sku not in known:
            problems.append((n, _("Line %(n)s: unknown SKU %(sku)s.", n=n, sku=sku)))
    if problems:
        raise sheets.refuse(_("The file has %(n)s bad lines; nothing was imported.", n=len(problems)), problems)
    return data


def _known_skus(skus: set[str]) -> set[str]:
    # Only which SKUs exist: a plain column read, not a part object per line of the sheet. A long sheet is
    # matched against the catalogue's SKU column read once (tens of thousands of IN parameters cost
    # PostgreSQL seconds; the column of a catalogue of thousands of parts takes milliseconds).
    if len(skus) > 2000:
        return skus & set(db.session.scalars(select(Part.sku)))
    found: set[str] = set()
    for chunk in in_chunks(skus):
        found.update(db.session.scalars(select(Part.sku).where(Part.sku.in_(chunk))))
    return found


def submit_count(actor, *, location: Location, kind: str, data: CountInput, method: str = "form",
                 counted_at: datetime | None = None, full: bool = True, note: str = "",
                 recount_of: StockCount | None = None) -> StockCount:
    """Record a count. Offices count their own stock weekly or monthly; HQ staff do blind spot checks,
    and so do channel staff, of an office's stock only (manual 办事处 5.1.4).

    A count needs at least one line (a full count lists every part held, 0
    for none). Several lines of one SKU are added up. Unknown SKUs, serials
    scanned twice and serialized parts counted without serials are refused
    with their line numbers, and nothing is saved. A count dated before an
    accepted count of the same location is refused: it could never be accepted.
    """
    if actor is None:
        raise Forbidden(_("Sign in first."))
    channel = is_channel_visitor(actor)
    if channel:
        ensure_channel_location(location)
    else:
        service.ensure_location_access(actor, location)
    if location.kind not in PHYSICAL_KINDS or location.kind == TRANSIT:
        raise ValidationFailed(_("Only a store, an office or a bin can be counted."), errors={"location": [location.code]})
    if kind not in COUNT_KINDS:
        raise ValidationFailed(_("Unknown kind of count."), errors={"kind": [_("One of: %(k)s", k=", ".join(COUNT_KINDS))]})
    is_office_user = visible_office_id(actor) is not None and not channel
    if kind == SPOT and (is_office_user or not actor.has_role(*SPOT_CHECK_ROLES)):
        raise Forbidden(_("Spot checks are done by HQ staff and channel staff."))
    if channel and kind != SPOT:
        raise Forbidden(_("Channel staff record spot checks; the office counts its own stock weekly and monthly."))
    now = utcnow()
    counted_at = counted_at or now
    if counted_at.tzinfo is None or counted_at > now + service.CLOCK_SKEW:
        raise ValidationFailed(_("The count time cannot be in the future."), errors={"counted_at": [_("In the future.")]})
    if recount_of is not None:
        if recount_of.location_id != location.id:
            raise ValidationFailed(_("A recount counts the same location."), errors={"location": [location.code]})
        COUNT_WORKFLOW.require(recount_of, "recount")
        if counted_at < recount_of.counted_at:
            raise ValidationFailed(_("A recount comes after the count it repeats."), errors={"counted_at": [_("Too early.")]})
    # Submissions and acceptances of one location's counts take turns: the checks below see every earlier one.
    lock_row(Location, location.id)
    settled = db.session.scalar(
        select(StockCount).where(StockCount.location_id == location.id, StockCount.status == ACCEPTED,
                                 StockCount.counted_at > counted_at)
        .order_by(StockCount.counted_at.desc()).limit(1))
    if settled is not None:
        number = settled.number if not (settled.blind and is_office_user) else _("an HQ spot check")
        raise Conflict(_("%(loc)s was counted later by %(n)s, already accepted: a count dated before it cannot "
                         "change the ledger.", loc=location.code, n=number), code="later_count_accepted")

    parts = _catalogue_facts([s for _n, s, _q in data.quantities] + [s for _n, s, _x in data.serials if s])
    problems: list[str] = []
    quantities: dict[int, int] = {}
    for n, sku, qty in data.quantities:
        part = parts.get(sku)
        if part is None:
            problems.append(_("Line %(n)s: unknown SKU %(sku)s.", n=n, sku=sku))
        elif part.serialized and qty:
            problems.append(_("Line %(n)s: %(sku)s is serialized; scan or list its serials.", n=n, sku=sku))
        elif qty < 0:
            problems.append(_("Line %(n)s: the quantity cannot be negative.", n=n))
        else:
            # A sheet may list one SKU on several lines (several shelves): they add up.
            quantities[part.id] = quantities.get(part.id, 0) + qty
    serial_rows = []
    unresolved = [s for _n, sku, s in data.serials if not sku]
    known: dict[str, set[int]] = {}
    for chunk in in_chunks(unresolved):
        for pid, s in db.session.execute(select(SerialPosition.part_id, SerialPosition.serial)
                                         .where(SerialPosition.serial.in_(chunk))):
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
                               errors={"lines": sheets.cap(problems)})
    if not data.quantities and not data.serials:
        # A header row alone is not "zero of everything": a full count lists 0 for what is not there.
        raise ValidationFailed(_("The count has no count line; nothing was saved. List every part counted "
                                 "(0 for a part that is not there)."), errors={"lines": [_("Nothing counted.")]},
                               code="empty_count")

    twin = _same_count_just_submitted(actor, location, kind, full, counted_at, quantities, serial_rows, recount_of)
    if twin is not None:
        raise Conflict(_("The same count of %(loc)s was submitted a moment ago as %(n)s.", loc=location.code,
                         n=twin.number), code="duplicate_count", count=twin.number)
    count = StockCount(number=next_number("CNT", local_today().strftime("%y%m")), location_id=location.id, kind=kind,
                       method=method, blind=kind == SPOT, full=full, counted_at=counted_at, status=SUBMITTED,
                       recount_of_id=recount_of.id if recount_of else None, counted_by_id=actor.id,
                       note=(note or "").strip())
    db.session.add(count)
    db.session.flush()
    # A count sheet may have tens of thousands of lines: written set-based, not as one ORM object each.
    insert_rows(db.session, CountLine.__table__,
                [{"count_id": count.id, "part_id": pid, "counted_qty": q, "ledger_qty": None}
                 for pid, q in quantities.items()])
    insert_rows(db.session, CountSerial.__table__,
                [{"count_id": count.id, "part_id": pid, "serial": s} for pid, s in serial_rows])
    db.session.expire(count, ["lines", "serials"])
    rec = reconcile(count)
    count.variance_value = rec.gross_value
    if recount_of is not None:
        COUNT_WORKFLOW.apply(actor, recount_of, "recount", superseded_by_id=count.id)
    elif rec.gross_value > Decimal(str(current_app.config["INVENTORY_RECOUNT_THRESHOLD"])):
        # Too large a difference to accept on one count: count again first. The count's first
        # state, written before anyone else can see the row, so no step of the workflow.
        count.status = RECOUNT_REQUIRED
        count.recount_reason = BY_THRESHOLD
    db.session.flush()
    return count


DUPLICATE_WINDOW = timedelta(minutes=10)


def _catalogue_facts(skus) -> dict:
    """SKU -> (id, sku, serialized) of those of ``skus`` in the catalogue: plain rows, one query per chunk."""
    found = {}
    for chunk in in_chunks(s for s in skus if s):
        found.update((row.sku, row) for row in db.session.execute(
            select(Part.id, Part.sku, Part.serialized).where(among(db.session, Part.sku, chunk))))
    return found


def _same_count_just_submitted(actor, location, kind, full, counted_at, quantities, serial_rows, recount_of):
    """A waiting count by the same person with the same content and time, made in the last minutes (a double submit)."""
    close = timedelta(minutes=1)
    candidates = db.session.scalars(
        select(StockCount).where(StockCount.location_id == location.id, StockCount.kind == kind,
                                 StockCount.full.is_(full), StockCount.counted_by_id == actor.id,
                                 StockCount.status.in_(PENDING),
                                 StockCount.recount_of_id.is_(None) if recount_of is None
                                 else StockCount.recount_of_id == recount_of.id,
                                 StockCount.created_at >= utcnow() - DUPLICATE_WINDOW,
                                 StockCount.counted_at >= counted_at - close, StockCount.counted_at <= counted_at + close))
    for other in candidates:
        if ({line.part_id: line.counted_qty for line in other.lines} == quantities
                and {(cs.part_id, cs.serial) for cs in other.serials} == set(serial_rows)):
            return other
    return None
