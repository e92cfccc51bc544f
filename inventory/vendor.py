"""The vendor-managed spare pool (DOMAIN D): defectives gather at HQ, ship monthly to the vendor,
the vendor's good units are checked in at the factory shipping dept against the batch, and CS and
the shipping dept reconcile their records weekly."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from core.accounts.roles import Role
from core.authz import require
from core import sheets
from core.calendar import SHANGHAI, local_today, month_start
from core.directory.models import Vendor
from core.errors import Conflict, NotFound, ValidationFailed
from core.extensions import db
from core.types import utcnow
from inventory import service
from inventory.models import (
    DEALER, FACTORY_SHIPPING, HQ_STORE, VENDOR, Movement, Part, ShippingStatement, ShippingStatementLine,
    VendorBatch, VendorBatchLine, VendorPartSales,
)
from core.locking import lock_row
from core.workflow import LabelledEnum, Workflow

HQ_ROLES = (Role.CLERK, Role.SERVICE, Role.SUPERVISOR)


class BatchStatus(LabelledEnum):
    """Where a vendor batch is; each member carries its words."""

    SHIPPED = "shipped", _l("Shipped to the vendor")
    CHECKED_IN = "checked_in", _l("Checked in")


SHIPPED, CHECKED_IN = BatchStatus.SHIPPED, BatchStatus.CHECKED_IN
BATCH_STATUS_LABELS = BatchStatus.labels()

# No event table: the audited flush records the check-in (who and when are on the batch).
BATCH_WORKFLOW = Workflow(
    states=BatchStatus, transitions={SHIPPED: {"check_in": CHECKED_IN}, CHECKED_IN: {}},
    action_labels={"check_in": _l("check in")}, column="status", name_attr="number", stamp=None)


def batch_status_label(status: str) -> str:
    """A vendor batch's state in words."""
    return BatchStatus.label_of(status)


def hq_defectives():
    return service.defective_location(service.system_location(HQ_STORE))


def pool_location():
    """Where the vendor pool's good units are kept: the factory shipping dept (DOMAIN D.3, D.5)."""
    return service.system_location(FACTORY_SHIPPING)


def receive_vendor_defective(actor, *, sku: str, serial: str | None = None, quantity: int = 1,
                             ref_type: str | None = None, ref_id: int | None = None):
    """A dealer's defective unit of a vendor-managed part arrives at HQ and joins the next batch."""
    require(actor, Role.CLERK, Role.SUPERVISOR)
    return book_vendor_defective(actor, service.part_by_sku(sku), serial=serial, quantity=quantity,
                                 ref_type=ref_type, ref_id=ref_id)


def book_vendor_defective(actor, part: Part, *, serial: str | None = None, quantity: int = 1,
                          ref_type: str | None = None, ref_id: int | None = None):
    """The ledger side of a vendor defective's arrival: dealer -> HQ's defective bin, where
    :func:`build_batch` picks it up for the month's batch.

    The caller checks who may do it (a repairs swap is CS's step, not only the clerk's).
    """
    if not part.vendor_managed:
        raise ValidationFailed(_("%(sku)s is not a vendor-managed part.", sku=part.sku), errors={"sku": [part.sku]})
    return service.post_movement(actor=actor, part=part, from_location=service.system_location(DEALER),
                                 to_location=hq_defectives(), quantity=quantity, serial=serial,
                                 reason="vendor_defective_in", ref_type=ref_type, ref_id=ref_id)


def build_batch(actor, *, vendor_id: int, month: str | None = None) -> VendorBatch:
    """The monthly batch: every defective of the vendor's parts held at HQ goes to the vendor."""
    require(actor, Role.CLERK, Role.SUPERVISOR)
    if service.by_id(Vendor, vendor_id) is None:
        raise NotFound(_("No vendor %(id)s.", id=vendor_id))
    month = month or local_today().strftime("%Y-%m")
    try:
        datetime.strptime(month, "%Y-%m")
    except ValueError:
        raise ValidationFailed(_("The month is YYYY-MM."), errors={"month": [month]}) from None
    # One batch per vendor and month: the vendor's row is held while this one is built, so a
    # second request made at the same moment sees it and gets 409.
    lock_row(Vendor, vendor_id)
    if db.session.scalar(select(VendorBatch.id).where(VendorBatch.vendor_id == vendor_id, VendorBatch.month == month)):
        raise Conflict(_("The batch for %(m)s has already been sent.", m=month))
    source = hq_defectives()
    held = [h for h in service.holdings([source.id]) if h[0].vendor_managed and h[0].vendor_id == vendor_id]
    if not held:
        raise ValidationFailed(_("No defectives of this vendor are waiting at HQ."), errors={"vendor_id": [vendor_id]})
    batch = VendorBatch(number=f"VB{month.replace('-', '')[2:]}-{vendor_id}", vendor_id=vendor_id, month=month,
                        created_by_id=actor.id)
    db.session.add(batch)
    db.session.flush()
    vendor_loc = service.system_location(VENDOR)
    for part, loc, qty, serials in sorted(held, key=lambda h: h[0].sku):
        common = dict(actor=actor, part=part, from_location=loc, to_location=vendor_loc, reason="vendor_batch",
                      ref_type="vendor_batch", ref_id=batch.id)
        if part.serialized:
            for serial in serials:
                service.post_movement(serial=serial, **common)
        else:
            service.post_movement(quantity=qty, **common)
        batch.lines.append(VendorBatchLine(part_id=part.id, sent_qty=qty, sent_serials=" ".join(serials)))
    db.session.flush()
    return batch


def check_in_batch(actor, batch: VendorBatch, *, received: list[dict], note: str = "") -> VendorBatch:
    """The shipping dept checks the vendor's good units in against the batch and reports to CS.

    ``received``: [{"sku", "quantity", "serials": [...]}]; parts not in the
    batch are refused. Posts vendor -> factory shipping dept.
    """
    require(actor, Role.CLERK, Role.SUPERVISOR)
    # Refused before the lines are read: a checked-in batch is finished.
    BATCH_WORKFLOW.require(batch, "check_in")
    by_part = {line.part.sku: line for line in batch.lines}
    problems, plan = [], []
    for n, row in enumerate(received, start=1):
        sku = (row.get("sku") or "").strip()
        line = by_part.get(sku)
        serials = [s.strip() for s in row.get("serials") or [] if s.strip()]
        qty = len(serials) if serials else row.get("quantity")
        if line is None:
            problems.append(_("Line %(n)s: %(sku)s is not in batch %(b)s.", n=n, sku=sku, b=batch.number))
        elif line.part.serialized and not serials:
            problems.append(_("Line %(n)s: %(sku)s is serialized; list the serials received.", n=n, sku=sku))
        elif not isinstance(qty, int) or qty < 0:
            problems.append(_("Line %(n)s: the quantity must be 0 or more.", n=n))
        else:
            plan.append((line, qty, serials))
    if problems:
        raise ValidationFailed(_("The check-in is not valid; nothing was recorded."), errors={"received": problems})
    # The guard comes first: a second identical check-in stops here, before it posts anything.
    BATCH_WORKFLOW.apply(actor, batch, "check_in", checked_in_at=utcnow(), checked_in_by_id=actor.id)
    vendor_loc, shipping = service.system_location(VENDOR), service.system_location(FACTORY_SHIPPING)
    for line, qty, serials in plan:
        common = dict(actor=actor, part=line.part, from_location=vendor_loc, to_location=shipping,
                      reason="vendor_receipt", ref_type="vendor_batch", ref_id=batch.id)
        if serials:
            for serial in serials:
                service.post_movement(serial=serial, **common)
        elif qty:
            service.post_movement(quantity=qty, **common)
        line.received_qty = (line.received_qty or 0) + qty
        line.received_serials = " ".join(filter(None, [line.received_serials] + serials))
    for line in batch.lines:
        if line.received_qty is None:
            line.received_qty = 0
    batch.check_note = (note or "").strip()
    db.session.flush()
    return batch


def get_batch(batch_id: int) -> VendorBatch:
    batch = service.by_id(VendorBatch, batch_id)
    if batch is None:
        raise NotFound(_("No vendor batch %(id)s.", id=batch_id))
    return batch


def batches_query():
    return select(VendorBatch).order_by(VendorBatch.id.desc())


# --- weekly reconciliation -----------------------------------------------------------------

def week_bounds(week_start: date) -> tuple[datetime, datetime]:
    start = datetime.combine(week_start, time.min, tzinfo=SHANGHAI)
    return start, start + timedelta(days=7)


STATEMENT_COLUMNS = sheets.Columns(
    aliases={
        "day": ("day", "date", "日期", "发货日期", "收货日期", "业务日期"),
        "direction": ("direction", "in/out", "方向", "收发", "类型", "出入库"),
        "sku": ("sku", "part", "料号", "物料编码", "物料号", "物料代码", "编码"),
        "quantity": ("quantity", "qty", "数量"),
        "serial": ("serial", "sn", "s/n", "序列号", "条码", "机身号"),
        "reference": ("reference", "ref", "note", "单号", "参考号", "备注", "单据号"),
    },
    required=("day", "sku"), codes=("sku", "serial"))
_DIRECTIONS = {"in": "in", "入": "in", "入库": "in", "收": "in", "收货": "in",
               "out": "out", "出": "out", "出库": "out", "发": "out", "发货": "out"}


def parse_statement(content: bytes, filename: str = "") -> list[dict]:
    """The shipping dept's statement (CSV or XLSX, English or Chinese headers): day, direction (in/out),
    sku, quantity, serial, reference; each row with its file ``line``.

    Days come back as YYYY-MM-DD when they read as a day in any usual way
    (2026/11/3, 2026年11月3日, an Excel date), directions as in/out (入库/出库
    too); anything else is left as typed for :func:`submit_statement` to name.
    """
    out = []
    for row in sheets.read_table(content, filename, STATEMENT_COLUMNS).rows:
        values = row.as_dict()
        try:
            values["day"] = sheets.as_date(values["day"]).isoformat()
        except ValueError:
            pass
        direction = values.get("direction", "")
        values["direction"] = _DIRECTIONS.get(direction.lower(), direction)
        try:
            values["quantity"] = str(sheets.as_int(values["quantity"])) if values.get("quantity") else ""
        except ValueError:
            pass
        values["line"] = row.line
        out.append(values)
    return out


def submit_statement(actor, *, week_start: date, rows: list[dict]) -> ShippingStatement:
    """Record the shipping dept's own list of the week's vendor-pool receipts and shipments.

    Rows: day (YYYY-MM-DD), direction (in|out), sku, quantity, serial,
    reference. Bad rows are named with their line number; nothing is saved.
    """
    require(actor, Role.CLERK, Role.SUPERVISOR)
    if week_start.weekday() != 0:
        raise ValidationFailed(_("A week starts on a Monday."), errors={"week_start": [week_start.isoformat()]})
    if db.session.scalar(select(ShippingStatement.id).where(ShippingStatement.week_start == week_start)):
        raise Conflict(_("The statement for the week of %(d)s is already in.", d=week_start.isoformat()))
    parts = service.parts_by_sku([r.get("sku", "") for r in rows])
    problems, lines = [], []
    for n, row in enumerate(rows, start=2):
        n = row.get("line", n)
        try:
            day = date.fromisoformat(str(row.get("day", "")))
        except ValueError:
            problems.append(_("Line %(n)s: the day is not YYYY-MM-DD.", n=n))
            continue
        part = parts.get(row.get("sku", ""))
        direction = str(row.get("direction", "")).lower()
        serial = str(row.get("serial") or "").strip() or None
        try:
            qty = 1 if serial and not row.get("quantity") else int(row.get("quantity"))
        except (TypeError, ValueError):
            qty = -1
        if not week_start <= day < week_start + timedelta(days=7):
            problems.append(_("Line %(n)s: %(d)s is outside the week.", n=n, d=day.isoformat()))
        elif part is None or not part.vendor_managed:
            problems.append(_("Line %(n)s: %(sku)s is not a vendor-managed part.", n=n, sku=row.get("sku", "")))
        elif direction not in ("in", "out"):
            problems.append(_("Line %(n)s: the direction is in or out.", n=n))
        elif qty < 1:
            problems.append(_("Line %(n)s: the quantity must be at least 1.", n=n))
        else:
            lines.append(ShippingStatementLine(day=day, direction=direction, part_id=part.id, quantity=qty,
                                               serial=serial, reference=str(row.get("reference") or "")[:80]))
    if problems:
        raise ValidationFailed(_("The statement has %(n)s bad lines; nothing was saved.", n=len(problems)),
                               errors={"file": sheets.cap(problems)})
    statement = ShippingStatement(week_start=week_start, submitted_by_id=actor.id, lines=lines)
    try:
        with db.session.begin_nested():
            db.session.add(statement)
            db.session.flush()
    except IntegrityError:
        # Sent twice at once: the first one is in.
        raise Conflict(_("The statement for the week of %(d)s is already in.", d=week_start.isoformat())) from None
    return statement


def weekly_reconciliation(week_start: date) -> dict:
    """Every difference between CS's ledger and the shipping dept's statement for one week.

    Compared per direction, part and serial (bulk parts: per direction and
    part). Reversed movements and their reversals are left out on CS's side.
    """
    start, end = week_bounds(week_start)
    shipping = service.system_location(FACTORY_SHIPPING)
    reversed_ids = select(Movement.reverses_id).where(Movement.reverses_id.is_not(None))
    moves = db.session.scalars(
        select(Movement).join(Part, Part.id == Movement.part_id)
        .where(Part.vendor_managed.is_(True), Movement.at >= start, Movement.at < end,
               or_(Movement.to_location_id == shipping.id, Movement.from_location_id == shipping.id),
               Movement.reverses_id.is_(None), Movement.id.not_in(reversed_ids))
    ).all()
    cs: dict = defaultdict(int)
    skus = {}
    for m in moves:
        key = ("in" if m.to_location_id == shipping.id else "out", m.part_id, m.serial)
        cs[key] += m.quantity
        skus[m.part_id] = m.part.sku
    statement = db.session.scalar(select(ShippingStatement).where(ShippingStatement.week_start == week_start))
    theirs: dict = defaultdict(int)
    for line in statement.lines if statement else []:
        theirs[(line.direction, line.part_id, line.serial)] += line.quantity
        skus[line.part_id] = line.part.sku
    diffs = []
    for key in sorted(set(cs) | set(theirs), key=lambda k: (k[0], skus[k[1]], k[2] or "")):
        if cs.get(key, 0) != theirs.get(key, 0):
            diffs.append({"direction": key[0], "sku": skus[key[1]], "serial": key[2], "cs_quantity": cs.get(key, 0),
                          "shipping_quantity": theirs.get(key, 0),
                          "difference": theirs.get(key, 0) - cs.get(key, 0)})
    return {"week_start": week_start, "statement_received": statement is not None, "cs_lines": len(cs),
            "shipping_lines": len(theirs), "differences": diffs}


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


# --- sales: what the pool is sized by ----------------------------------------------------------

# Who enters a month's sales of the vendor-managed parts (CS, from the sales department's figures).
SALES_ROLES = (Role.SERVICE, Role.SUPERVISOR)


def record_sales(actor, *, sku: str, month: str, quantity: int) -> VendorPartSales:
    """Enter (or correct) how many of a vendor-managed part were sold in ``month`` (YYYY-MM, not a future one)."""
    require(actor, *SALES_ROLES, message=_("Customer service enters the sales of vendor-managed parts."))
    try:
        part = service.part_by_sku(sku)
    except NotFound as err:
        raise ValidationFailed(err.message, errors={"sku": [err.message]}) from None
    if not part.vendor_managed:
        raise ValidationFailed(_("%(sku)s is not vendor-managed: the pool holds only vendor-managed parts.",
                                 sku=part.sku), errors={"sku": [_("Not vendor-managed.")]})
    first = month_start(month)
    if first > local_today().replace(day=1):
        raise ValidationFailed(_("Sales are entered for a month that has begun."), errors={"month": [_("In the future.")]})
    who = getattr(actor, "username", "") or ""
    row_id = _sales_row_id(part.id, first)
    if row_id is None:
        try:
            with db.session.begin_nested():
                row = VendorPartSales(part_id=part.id, month=first, quantity=quantity, recorded_by=who,
                                      recorded_at=utcnow())
                db.session.add(row)
                db.session.flush()
            return row
        except IntegrityError:
            # Entered by someone else at the same moment: correct theirs (the later figure stands).
            row_id = _sales_row_id(part.id, first)
    lock_row(VendorPartSales, row_id)
    row = db.session.get(VendorPartSales, row_id, populate_existing=True)
    row.quantity, row.recorded_by, row.recorded_at = quantity, who, utcnow()
    db.session.flush()
    return row


def _sales_row_id(part_id: int, month: date) -> int | None:
    return db.session.scalar(select(VendorPartSales.id).where(VendorPartSales.part_id == part_id,
                                                              VendorPartSales.month == month))


def sales_in(part: Part, month: date) -> int | None:
    """The sales of ``part`` entered for the month starting ``month`` (None: not entered)."""
    return db.session.scalar(select(VendorPartSales.quantity).where(VendorPartSales.part_id == part.id,
                                                                    VendorPartSales.month == month))


def recent_sales(limit: int = 24) -> list[VendorPartSales]:
    """The latest sales entries, newest month first (for the vendor pool page)."""
    return list(db.session.scalars(select(VendorPartSales).order_by(VendorPartSales.month.desc(),
                                                                     VendorPartSales.part_id).limit(limit)))
