"""Monthly freight reconciliation: the factory's logistics bill against our shipments.

Each month the factory bills the freight of the shipments it sent (manual
2.1.4: 售后返修工厂发货物流运费, CS checks it monthly). The bill comes as CSV or
XLSX with one line per waybill. :func:`import_freight_bill` reads it, refuses
the whole file if any row is bad (each bad row named by its line number and
reason), and otherwise keeps the bill and its reconciliation as records:

- ``matched``: the waybill is a shipment and the amounts agree;
- ``amount_diff``: the waybill is a shipment but the billed amount differs from
  the freight cost we recorded (or we recorded none);
- ``no_shipment``: a billed waybill we have no shipment for;
- ``duplicate``: a waybill billed again on a later line of the same bill;
- ``rebilled``: a waybill an earlier bill already billed ("billed before on
  BILL-00003");
- ``unbilled``: a factory-leg shipment shipped in the bill's month that no
  bill line (of this or an earlier bill) charges.

A waybill is billed once. Bills are numbered (BILL-00001). The same lines
imported again, in any file format or order, are refused naming the earlier
bill (:func:`content_key`). A duplicate or re-billed line waits for the
supervisor (``pending``) and is not payable until accepted; a waybill is
payable on one line only, so accepting a second one is refused until the first
is disputed (:func:`decide_line`). A bill is paid once, and only when no line
waits for a decision (:func:`pay_bill`); a paid bill's lines no longer change.
Decisions and payment are steps of the workflow core (``BILL_WORKFLOW`` and
``LINE_WORKFLOW``: a guarded UPDATE on the expected state, and a lock on the
waybill's lines), so two at once never pay twice.

Totals are kept per paying account (CS, sales for DOA freight), lines we
cannot place counted as "unassigned"; :func:`statement` sums a month's bills
per account (billed, matched, disputed, payable, paid).
"""
from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from core.accounts.roles import Role
from core.authz import require
from core import sheets
from core.calendar import SHANGHAI, local_day
from core.codes import normalise_code
from core.errors import Conflict, NotFound, ValidationFailed
from core.extensions import db
from core.ids import is_id
from core.queries import among, in_chunks, insert_rows
from core.sequences import next_value
from core.types import utcnow
from shipments.models import (
    FACTORY_LEGS, LINE_REVIEWS, LINE_WORKFLOW, BillStatus, FreightBill, FreightBillLine, FreightFinding, LineReview,
    Shipment,
)
from shipments.models import BILL_WORKFLOW as BILL_TABLE

MAX_BYTES = sheets.DEFAULT_MAX_BYTES  # what the upload views read at most (the reader refuses more)
ACCOUNTS = ("cs", "sales", "unassigned")

# Header names as they appear on bills (English and the factory's Chinese).
HEADER_ALIASES = {
    "waybill": ("waybill", "waybill no", "waybill number", "tracking", "tracking no", "tracking number",
                "运单号", "运单号码", "快递单号", "单号", "物流单号"),
    "amount": ("amount", "freight", "cost", "charge", "fee", "金额", "运费", "费用", "运费金额"),
    "ship_date": ("date", "ship date", "shipped", "shipping date", "日期", "发货日期", "寄件日期"),
    "carrier": ("carrier", "courier", "express", "承运商", "快递公司", "物流公司"),
    "destination": ("destination", "to", "consignee", "目的地", "收件人", "收货地址"),
    "pieces": ("pieces", "pcs", "件数"),
    "weight_kg": ("weight", "weight kg", "weight (kg)", "kg", "重量", "重量(kg)", "重量kg"),
}
TOTAL_MARKERS = ("合计", "总计", "TOTAL", "SUM")
_TOTAL_CELLS = frozenset(TOTAL_MARKERS) | {m.lower() for m in TOTAL_MARKERS} | {m.title() for m in TOTAL_MARKERS}
PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


# --- reading the file -------------------------------------------------------------------

BILL_COLUMNS = sheets.Columns(aliases=HEADER_ALIASES, required=("waybill", "amount"), codes=("waybill",))


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _parse_amount(value) -> Decimal:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, (int, float, Decimal)):
        amount = Decimal(str(value))
    else:
        text = str(value).strip().replace(",", "").replace("¥", "").replace("￥", "").replace("RMB", "").strip()
        amount = Decimal(text)
    if not amount.is_finite():
        raise ValueError
    return amount


def parse_bill(filename: str, content: bytes) -> tuple[list[dict], list[dict]]:
    """Read a bill file into (good rows, bad rows); bad rows are ``{"line", "reason"}``.

    Raises ValidationFailed for a file that cannot be read at all (wrong type,
    no header, no lines).
    """
    table = sheets.read_table(content, filename, BILL_COLUMNS, missing_message=_(
        "The first line must be a header with at least a waybill (运单号) and an amount (金额) column."))

    good: list[dict] = []
    bad: list[dict] = []
    totals: list[tuple[int, Decimal | None]] = []

    def cell(row, key):
        return row[key] or None

    # Many small dicts are built here: no cyclic collection meanwhile (see core.sheets.paused_gc).
    with sheets.paused_gc():
        for row in table.rows:
            line_no = row.line
            reasons = []
            waybill = normalise_code(row["waybill"])
            if not _TOTAL_CELLS.isdisjoint(row.cells) and any(c.upper() in TOTAL_MARKERS for c in row.cells):
                try:
                    totals.append((line_no, _parse_amount(cell(row, "amount"))))
                except (InvalidOperation, ValueError, TypeError):
                    totals.append((line_no, None))
                continue
            if not waybill:
                reasons.append(_("no waybill number"))
            elif len(waybill) > 60:
                reasons.append(_("waybill longer than 60 characters"))
            raw_amount = cell(row, "amount")
            amount = None
            if _is_blank(raw_amount):
                reasons.append(_("no amount"))
            else:
                try:
                    amount = _parse_amount(raw_amount)
                    if amount < 0:
                        reasons.append(_("negative amount %(a)s", a=raw_amount))
                        amount = None
                    elif amount != amount.quantize(Decimal("0.01")):
                        reasons.append(_("amount %(a)s has more than two decimals", a=raw_amount))
                        amount = None
                    elif amount > Decimal("9999999999"):
                        reasons.append(_("amount %(a)s is too large", a=raw_amount))
                        amount = None
                except (InvalidOperation, ValueError, TypeError):
                    reasons.append(_("amount %(a)s is not a number", a=raw_amount))
            ship_date = None
            raw_date = cell(row, "ship_date")
            if not _is_blank(raw_date):
                try:
                    ship_date = sheets.as_date(raw_date)
                except (ValueError, TypeError):
                    reasons.append(_("date %(d)s is not a date (use YYYY-MM-DD)", d=raw_date))
            pieces = None
            raw_pieces = cell(row, "pieces")
            if not _is_blank(raw_pieces):
                try:
                    pieces = sheets.as_int(raw_pieces)
                    if pieces < 1 or pieces > 10000:
                        raise ValueError
                except (ValueError, TypeError):
                    reasons.append(_("pieces %(p)s is not a whole number from 1", p=raw_pieces))
                    pieces = None
            weight = None
            raw_weight = cell(row, "weight_kg")
            if not _is_blank(raw_weight):
                try:
                    weight = _parse_amount(raw_weight).quantize(Decimal("0.01"))
                    if weight < 0 or weight > Decimal("99999999"):
                        raise ValueError
                except (InvalidOperation, ValueError, TypeError):
                    reasons.append(_("weight %(w)s is not a number", w=raw_weight))
                    weight = None
            if reasons:
                bad.append({"line": line_no, "reason": "; ".join(reasons)})
                continue
            good.append({
                "line_no": line_no, "waybill": waybill, "amount": amount.quantize(Decimal("0.01")),
                "ship_date": ship_date, "carrier": str(cell(row, "carrier") or "").strip()[:60],
                "destination": str(cell(row, "destination") or "").strip()[:200], "pieces": pieces,
                "weight_kg": weight,
            })
    if not good and not bad:
        raise ValidationFailed(_("The bill has no lines below its header."), errors={"file": [_("No lines.")]})
    if not bad:
        running = sum((row["amount"] for row in good), Decimal("0"))
        for line_no, stated in totals:
            if stated is None:
                bad.append({"line": line_no, "reason": _("the total is not a number")})
            elif stated.quantize(Decimal("0.01")) != running:
                bad.append({"line": line_no, "reason": _("the total %(t)s does not equal the sum of the lines %(s)s",
                                                          t=stated, s=running)})
    return good, bad


# --- importing and reconciling ------------------------------------------------------------

def _ensure_supervisor(actor) -> None:
    require(actor, Role.SUPERVISOR, message=_("Only a supervisor may see the freight reconciliation."))


def _period_bounds(period: str) -> tuple[datetime, datetime]:
    year, month = int(period[:4]), int(period[5:7])
    start = datetime.combine(date(year, month, 1), time(0), tzinfo=SHANGHAI)
    end_day = date(year + (month == 12), month % 12 + 1, 1)
    return start, datetime.combine(end_day, time(0), tzinfo=SHANGHAI)


def _guess_period(rows: list[dict]) -> str | None:
    months = Counter(row["ship_date"].strftime("%Y-%m") for row in rows if row["ship_date"])
    return months.most_common(1)[0][0] if months else None


def content_key(rows: list[dict]) -> str:
    """A fingerprint of a bill's lines as read, whatever file format or line order they came in.

    Two files with the same lines (a CSV and an XLSX export of one bill, or a
    re-saved copy) have the same key, so the bill is refused the second time.
    """
    canon = sorted(json.dumps([
        row["waybill"], str(row["amount"]), row["ship_date"].isoformat() if row["ship_date"] else "",
        row["carrier"], row["destination"], row["pieces"],
        str(row["weight_kg"].quantize(Decimal("0.01"))) if row["weight_kg"] is not None else "",
    ], ensure_ascii=False) for row in rows)
    return hashlib.sha256("\n".join(canon).encode("utf-8")).hexdigest()


def _already_imported(checksum: str, key: str) -> FreightBill | None:
    return db.session.scalar(
        select(FreightBill).where(or_(FreightBill.content_key == key, FreightBill.checksum == checksum))
        .order_by(FreightBill.id).limit(1))


def _refuse_repeat(existing: FreightBill) -> Conflict:
    return Conflict(_("These lines were already imported as bill %(b)s for %(p)s; nothing was imported.",
                      b=existing.label, p=existing.period),
                    errors={"file": [_("Already imported as %(b)s.", b=existing.label)]},
                    bill_id=existing.id, bill_number=existing.label)


def import_freight_bill(actor, *, filename: str, content: bytes, period: str | None = None,
                        note: str = "") -> FreightBill:
    """Import a logistics bill and reconcile it; all or nothing.

    ``period`` ("YYYY-MM") is the billed month; when omitted, the month most
    lines are dated in. Any bad row refuses the whole file with
    ValidationFailed listing ``rows`` = [{"line", "reason"}]. A file whose
    lines were already imported (in any format) is refused with Conflict
    naming the earlier bill. A line billing a waybill that an earlier bill (or
    an earlier line of this one) already billed waits for the supervisor's
    decision and is not payable until accepted.
    """
    _ensure_supervisor(actor)
    period = (period or "").strip()
    if period and not PERIOD_RE.match(period):
        raise ValidationFailed(_("The month must look like 2026-10."), errors={"period": [_("Use YYYY-MM.")]})
    good, bad = parse_bill(filename, content)
    if bad:
        raise sheets.refuse(_("%(n)s line(s) of the bill are not valid; nothing was imported.", n=len(bad)),
                            [(row["line"], row["reason"]) for row in bad], line_format=_("Line %(line)s: %(reason)s"))
    period = period or _guess_period(good)
    if not period:
        raise ValidationFailed(_("Give the month the bill is for."), errors={"period": [_("Required.")]})
    checksum = hashlib.sha256(content).hexdigest()
    key = content_key(good)
    existing = _already_imported(checksum, key)
    if existing is not None:
        raise _refuse_repeat(existing)
    # The bill number's counter row is the first write: it serialises imports
    # (row lock on PostgreSQL, the write lock on SQLite), so what was billed
    # before is read only after any import running at the same time committed.
    number = f"BILL-{next_value('BILL'):05d}"
    existing = _already_imported(checksum, key)
    if existing is not None:
        raise _refuse_repeat(existing)

    bill = FreightBill(number=number, period=period, filename=(filename or "bill").strip()[:200] or "bill",
                       checksum=checksum, content_key=key, status=BillStatus.OPEN,
                       imported_at=utcnow(), imported_by_id=actor.id, line_count=len(good),
                       total_amount=sum((row["amount"] for row in good), Decimal("0")),
                       note=str(note or "").strip()[:2000], totals={})
    db.session.add(bill)
    try:
        # Only the bill row is in the savepoint: its checksum is what a concurrent import collides on.
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        existing = _already_imported(checksum, key)
        if existing is not None:
            raise _refuse_repeat(existing) from None
        raise Conflict(_("Another bill was imported at the same time; try again.")) from None
    _reconcile(bill, good)
    db.session.flush()
    # The lines and findings were written set-based, beside the ORM: load them afresh when asked for.
    db.session.expire(bill, ["lines", "findings"])
    return bill


def _first_bills(waybills: set[str], bill_id: int) -> dict[str, int]:
    """For each waybill, the id of the earlier bill that billed it: where it is payable, else the first."""
    first: dict[str, int] = {}
    payable: dict[str, int] = {}
    t = FreightBillLine.__table__
    for chunk in in_chunks(waybills):
        rows = db.session.execute(
            select(t.c.waybill, t.c.review, t.c.bill_id)
            .where(among(db.session, t.c.waybill, chunk), t.c.bill_id != bill_id)
            .order_by(t.c.bill_id, t.c.line_no)
        )
        for waybill, review, earlier in rows:
            first.setdefault(waybill, earlier)
            if review == LineReview.ACCEPTED:
                payable.setdefault(waybill, earlier)
    return {waybill: payable.get(waybill, earlier) for waybill, earlier in first.items()}


def _shipments_of(waybills: set[str]) -> dict[str, tuple]:
    """waybill -> (shipment id, paying account, recorded freight cost), one query per chunk of waybills."""
    s = Shipment.__table__
    found: dict[str, tuple] = {}
    for chunk in in_chunks(waybills):
        found.update((w, (sid, account, cost)) for w, sid, account, cost in db.session.execute(
            select(s.c.waybill, s.c.id, s.c.paying_account, s.c.freight_cost)
            .where(among(db.session, s.c.waybill, chunk))))
    return found


def _reconcile(bill: FreightBill, rows: list[dict]) -> None:
    """Write the bill's lines and findings (set-based: many rows per statement, no ORM object per line)."""
    waybills = {row["waybill"] for row in rows}
    shipments = _shipments_of(waybills)
    earlier = _first_bills(waybills, bill.id)
    totals = {account: {"billed": Decimal("0"), "recorded": Decimal("0"), "difference": Decimal("0"),
                        "unbilled": Decimal("0"), "lines": 0, "unbilled_count": 0} for account in ACCOUNTS}
    seen: set[str] = set()
    lines: list[dict] = []
    findings: list[dict] = []  # bill_line_id filled in once the lines have ids
    with sheets.paused_gc():
        for row in rows:
            waybill, amount = row["waybill"], row["amount"]
            shipment_id, account, cost = shipments.get(waybill, (None, None, None))
            totals[account or "unassigned"]["billed"] += amount
            totals[account or "unassigned"]["lines"] += 1
            review, billed_before_id = LineReview.ACCEPTED, None
            if waybill in earlier or waybill in seen:
                # Billed before: on another bill, or on an earlier line of this one. Not payable
                # until the supervisor decides (accept or dispute).
                kind = "rebilled" if waybill in earlier else "duplicate"
                review = LineReview.PENDING
                billed_before_id = earlier.get(waybill, bill.id)
                recorded, difference = None, amount
                totals[account or "unassigned"]["difference"] += difference
            elif shipment_id is None:
                kind, recorded, difference = "no_shipment", None, amount
                totals["unassigned"]["difference"] += difference
            else:
                recorded = cost
                difference = amount - (recorded or Decimal("0"))
                kind = "matched" if recorded is not None and difference == 0 else "amount_diff"
                totals[account]["recorded"] += recorded or Decimal("0")
                totals[account]["difference"] += difference
            seen.add(waybill)
            lines.append({**row, "bill_id": bill.id, "shipment_id": shipment_id, "review": review,
                          "billed_before_id": billed_before_id, "decided_at": None, "decided_by_id": None,
                          "decision_note": ""})
            findings.append({"bill_id": bill.id, "kind": kind, "line_no": row["line_no"],
                             "shipment_id": shipment_id, "waybill": waybill, "paying_account": account,
                             "billed": amount, "recorded": recorded, "difference": difference})
    line_table, finding_table = FreightBillLine.__table__, FreightFinding.__table__
    insert_rows(db.session, line_table, lines)
    del lines
    line_ids = dict(db.session.execute(
        select(line_table.c.line_no, line_table.c.id).where(line_table.c.bill_id == bill.id)).all())
    for finding in findings:
        finding["bill_line_id"] = line_ids[finding.pop("line_no")]

    # Factory-leg shipments of the month that no bill has charged.
    start, end = _period_bounds(bill.period)
    s = Shipment.__table__
    # Per shipment of the month, one lookup by the lines' waybill index (a NOT IN over every bill's
    # lines would read them all, and grows with each month imported).
    billed_before = (select(FreightBillLine.id)
                     .where(FreightBillLine.waybill == s.c.waybill, FreightBillLine.bill_id != bill.id).exists())
    unbilled = db.session.execute(
        select(s.c.id, s.c.waybill, s.c.paying_account, s.c.freight_cost).where(
            s.c.leg.in_(FACTORY_LEGS), s.c.status.in_(("shipped", "received")),
            s.c.shipped_at >= start, s.c.shipped_at < end, s.c.waybill.is_not(None), ~billed_before,
        ).order_by(s.c.shipped_at, s.c.id)
    )
    for shipment_id, waybill, account, cost in unbilled:
        if waybill in waybills:  # billed on this bill (a month's shipments are few: filtered here, not in SQL)
            continue
        totals[account]["unbilled"] += cost or Decimal("0")
        totals[account]["unbilled_count"] += 1
        findings.append({"bill_id": bill.id, "kind": "unbilled", "bill_line_id": None, "shipment_id": shipment_id,
                         "waybill": waybill, "paying_account": account, "billed": None, "recorded": cost,
                         "difference": None})
    insert_rows(db.session, finding_table, findings)
    bill.totals = {account: {k: (str(v.quantize(Decimal("0.01"))) if isinstance(v, Decimal) else v)
                             for k, v in values.items()} for account, values in totals.items()}


# --- the supervisor's decisions and payment ------------------------------------------------------

DECISIONS = {"accept": LineReview.ACCEPTED, "dispute": LineReview.DISPUTED}


def _pending_lines(bill: FreightBill) -> int:
    return db.session.scalar(select(func.count()).select_from(FreightBillLine).where(
        FreightBillLine.bill_id == bill.id, FreightBillLine.review == LineReview.PENDING)) or 0


def _bill_problem(bill: FreightBill, action: str):
    """Why the bill may not be paid now: lines billed before still wait for a decision."""
    if action == "pay":
        pending = _pending_lines(bill)
        if pending:
            return _("%(n)s line(s) of bill %(b)s were billed before and wait for your decision; accept or "
                     "dispute them before paying.", n=pending, b=bill.label), {"pending": pending}
    return None


# Every step of a bill goes through this: the table, the supervisor's role and the pending-lines guard.
BILL_WORKFLOW = BILL_TABLE.guarded(_bill_problem)


def bill_actions(actor, bill: FreightBill) -> list[str]:
    """What ``actor`` may do to the bill now (the page's buttons): pay it, decide its lines."""
    return BILL_WORKFLOW.allowed_actions(bill, actor)


def line_actions(actor, line: FreightBillLine, bill_allowed=None) -> list[str]:
    """The decisions ``actor`` may take on ``line`` now: none once its bill is paid.

    ``bill_allowed``: :func:`bill_actions` of the line's bill, when the caller has it already.
    """
    if bill_allowed is None:
        bill_allowed = BILL_TABLE.allowed_actions(line.bill, actor)
    if "decide_line" not in bill_allowed:
        return []
    return LINE_WORKFLOW.allowed_actions(line, actor)


def get_line(actor, bill_id, line_id) -> FreightBillLine:
    """One line of an imported bill (supervisors only); NotFound if absent."""
    bill = get_bill(actor, bill_id)
    line = db.session.get(FreightBillLine, line_id) if is_id(line_id) else None
    if line is None or line.bill_id != bill.id:
        raise NotFound(_("No such line on bill %(b)s.", b=bill.label))
    return line


def payable_line_of(waybill: str, *, exclude_id: int | None = None) -> FreightBillLine | None:
    """The line where ``waybill`` is payable (accepted), if any."""
    stmt = select(FreightBillLine).where(FreightBillLine.waybill == waybill,
                                         FreightBillLine.review == LineReview.ACCEPTED)
    if exclude_id is not None:
        stmt = stmt.where(FreightBillLine.id != exclude_id)
    return db.session.scalar(stmt.order_by(FreightBillLine.id).limit(1))


def decide_line(actor, line: FreightBillLine, decision: str, *, note: str = "") -> FreightBillLine:
    """The supervisor accepts (pays) or disputes (does not pay) one line of an open bill.

    A waybill is payable on one line only: accepting a line whose waybill is
    payable on another line is refused (409) naming that bill; dispute that
    line first. A paid bill's lines no longer change (409).
    """
    _ensure_supervisor(actor)
    if decision not in DECISIONS:
        raise ValidationFailed(_("Accept or dispute the line."),
                               errors={"decision": [_("Must be accept or dispute.")]})
    note = str(note or "").strip()[:500]
    target = DECISIONS[decision]
    bill = line.bill
    # The line's own state first (already accepted: 409), then the bill: held while open (409 once paid),
    # so decisions and payment take turns.
    LINE_WORKFLOW.require(line, decision)
    BILL_WORKFLOW.apply(actor, bill, "decide_line")
    # Every line of this waybill, locked in one order, so two acceptances of it take turns.
    db.session.execute(select(FreightBillLine.id).where(FreightBillLine.waybill == line.waybill)
                       .order_by(FreightBillLine.id).with_for_update())
    LINE_WORKFLOW.apply(actor, line, decision, decided_at=utcnow(), decided_by_id=actor.id, decision_note=note)
    if target == LineReview.ACCEPTED:
        other = payable_line_of(line.waybill, exclude_id=line.id)
        if other is not None:
            raise Conflict(_("Waybill %(w)s is already payable on bill %(b)s (line %(n)s); dispute that line "
                             "before accepting this one.", w=line.waybill, b=other.bill.label, n=other.line_no),
                           bill_id=other.bill_id, bill_number=other.bill.label)
    db.session.flush()
    return line


def payable_total(bill: FreightBill) -> Decimal:
    """What the bill pays: the sum of its accepted lines."""
    total = db.session.scalar(select(func.sum(FreightBillLine.amount)).where(
        FreightBillLine.bill_id == bill.id, FreightBillLine.review == LineReview.ACCEPTED))
    return Decimal(total or 0).quantize(Decimal("0.01"))


def review_counts(bill: FreightBill) -> dict[str, int]:
    """How many lines of the bill are accepted, pending a decision, disputed."""
    counts = Counter(line.review for line in bill.lines)
    return {review: counts.get(review, 0) for review in LINE_REVIEWS}


def pay_bill(actor, bill: FreightBill) -> FreightBill:
    """Mark the bill paid (once): its accepted lines are paid and its lines are closed.

    Refused (409) while a line billed before waits for a decision, and for a
    bill already paid.
    """
    _ensure_supervisor(actor)
    BILL_WORKFLOW.apply(actor, bill, "pay", paid_at=utcnow(), paid_by_id=actor.id)
    bill.paid_amount = payable_total(bill)
    db.session.flush()
    return bill


def review_label(review: str) -> str:
    """A line's review state in words."""
    return LineReview.label_of(review)


def bill_status_label(status: str) -> str:
    """A bill's state in words."""
    return BillStatus.label_of(status)


# --- reading bills back ---------------------------------------------------------------------

def bills_query(actor):
    """A SELECT of the imported bills, newest first (supervisors only)."""
    _ensure_supervisor(actor)
    return select(FreightBill).order_by(FreightBill.period.desc(), FreightBill.id.desc())


def get_bill(actor, bill_id) -> FreightBill:
    """One imported bill (supervisors only); NotFound if absent."""
    _ensure_supervisor(actor)
    bill = db.session.get(FreightBill, bill_id) if is_id(bill_id) else None
    if bill is None:
        raise NotFound(_("No such freight bill."))
    return bill


KIND_ORDER = {"amount_diff": 0, "no_shipment": 1, "rebilled": 2, "duplicate": 3, "unbilled": 4, "matched": 5}


def finding_counts(bill: FreightBill) -> dict[str, int]:
    counts = Counter(f.kind for f in bill.findings)
    return {kind: counts.get(kind, 0) for kind in KIND_ORDER}


def _kind_label(kind: str) -> str:
    labels = {
        "matched": _("matched"), "amount_diff": _("amount differs"), "no_shipment": _("no shipment"),
        "duplicate": _("billed twice"), "unbilled": _("not billed"), "rebilled": _("billed before"),
    }
    return labels[kind]


def billed_before_text(line: FreightBillLine | None) -> str:
    """"billed before on BILL-00003" for a line that re-bills a waybill, else ""."""
    if line is None or line.billed_before_id is None:
        return ""
    if line.billed_before_id == line.bill_id:
        return _("billed twice on this bill")
    return _("billed before on %(b)s", b=line.billed_before.label)


def result_rows(bill: FreightBill) -> tuple[list[str], list[list]]:
    """The reconciliation as a table: (header, rows), differences first."""
    header = [_("Result"), _("Bill line"), _("Waybill"), _("Shipment"), _("Leg"), _("Paying account"),
              _("Ship date"), _("Billed"), _("Recorded"), _("Difference"), _("Billed before"), _("Decision")]
    rows = []
    for f in sorted(bill.findings, key=lambda f: (KIND_ORDER[f.kind], f.id)):
        shipment = f.shipment
        line = f.bill_line
        ship_day = None
        if line is not None and line.ship_date is not None:
            ship_day = line.ship_date
        elif shipment is not None and shipment.shipped_at is not None:
            ship_day = local_day(shipment.shipped_at)
        rows.append([
            _kind_label(f.kind), line.line_no if line is not None else None, f.waybill,
            shipment.number if shipment is not None else None, shipment.leg if shipment is not None else None,
            f.paying_account, ship_day, f.billed, f.recorded, f.difference, billed_before_text(line),
            review_label(line.review) if line is not None else "",
        ])
    return header, rows


def _live_totals(bill: FreightBill) -> dict[str, dict[str, Decimal]]:
    """Per paying account: what is payable, awaiting a decision and disputed, as the lines stand now."""
    out = {account: {review: Decimal("0") for review in LINE_REVIEWS} for account in ACCOUNTS}
    # Summed by the database, grouped: a month's bill has thousands of lines, each with its shipment.
    # Each line looks its shipment up by key (a join made PostgreSQL read every shipment of the
    # year to hash them), so the work follows the bill's size, not the shipments table's.
    paying = select(Shipment.paying_account).where(Shipment.id == FreightBillLine.shipment_id).scalar_subquery()
    lines = (select(func.coalesce(paying, "unassigned").label("account"), FreightBillLine.review,
                    FreightBillLine.amount)
             .where(FreightBillLine.bill_id == bill.id).subquery())
    rows = db.session.execute(select(lines.c.account, lines.c.review, func.sum(lines.c.amount))
                              .group_by(lines.c.account, lines.c.review))
    for paying, review, total in rows:
        if paying in out and review in out[paying]:
            out[paying][review] += Decimal(total or 0).quantize(Decimal("0.01"))
    return out


def totals_rows(bill: FreightBill) -> tuple[list[str], list[list]]:
    """Totals per paying account: (header, rows)."""
    header = [_("Paying account"), _("Bill lines"), _("Billed"), _("Recorded"), _("Difference"),
              _("Unbilled shipments"), _("Unbilled recorded cost"), _("Awaiting decision"), _("Disputed"),
              _("Payable")]
    names = {"cs": _("CS"), "sales": _("Sales"), "unassigned": _("No shipment")}
    live = _live_totals(bill)
    rows = []
    for account in ACCOUNTS:
        t = bill.totals.get(account, {})
        rows.append([names[account], t.get("lines", 0), Decimal(t.get("billed", "0")), Decimal(t.get("recorded", "0")),
                     Decimal(t.get("difference", "0")), t.get("unbilled_count", 0), Decimal(t.get("unbilled", "0")),
                     live[account]["pending"], live[account]["disputed"], live[account]["accepted"]])
    return header, rows


# --- the monthly payable statement ---------------------------------------------------------------

STATEMENT_KEYS = ("bills", "lines", "billed", "matched", "amount_diff", "no_shipment", "pending", "disputed",
                  "payable", "paid")


def statement(actor, period: str) -> dict:
    """The payable statement of the month ``period`` ("YYYY-MM"), per paying account.

    For the bills of that month: what was billed, what matched our records,
    what differs, what has no shipment, what waits for a decision (billed
    before), what is disputed, what is payable (accepted lines) and what of
    that is paid. Returns ``{"period", "rows": [{account, ...}], "total": {...},
    "open_lines": [...]}`` with money as Decimal.
    """
    _ensure_supervisor(actor)
    period = (period or "").strip()
    if not PERIOD_RE.match(period):
        raise ValidationFailed(_("The month must look like 2026-10."), errors={"month": [_("Use YYYY-MM.")]})
    return month_statement(period)


def month_statement(period: str) -> dict:
    """:func:`statement` without the access check, for callers that checked it (the monthly figures)."""
    rows = db.session.execute(
        select(FreightBillLine, FreightBill, FreightFinding.kind, Shipment.paying_account)
        .join(FreightBill, FreightBill.id == FreightBillLine.bill_id)
        .outerjoin(FreightFinding, FreightFinding.bill_line_id == FreightBillLine.id)
        .outerjoin(Shipment, Shipment.id == FreightBillLine.shipment_id)
        .where(FreightBill.period == period)
        .order_by(FreightBill.id, FreightBillLine.line_no)
    ).all()
    zero = Decimal("0.00")
    sums = {account: {key: (0 if key in ("bills", "lines") else zero) for key in STATEMENT_KEYS}
            for account in ACCOUNTS}
    bills: dict[str, set] = {account: set() for account in ACCOUNTS}
    open_lines = []
    for line, bill, kind, account in rows:
        account = account or "unassigned"
        row = sums[account]
        bills[account].add(bill.id)
        row["lines"] += 1
        row["billed"] += line.amount
        if line.review == LineReview.ACCEPTED and kind in ("matched", "amount_diff", "no_shipment"):
            row[kind] += line.amount
        if line.review == LineReview.ACCEPTED:
            row["payable"] += line.amount
            if bill.is_paid:
                row["paid"] += line.amount
        else:
            row[line.review] += line.amount
            open_lines.append({"bill": bill.label, "bill_id": bill.id, "line_id": line.id, "line_no": line.line_no,
                               "waybill": line.waybill, "account": account, "amount": line.amount,
                               "review": line.review, "billed_before": billed_before_text(line),
                               "note": line.decision_note})
    out_rows = []
    for account in ACCOUNTS:
        sums[account]["bills"] = len(bills[account])
        out_rows.append({"account": account, **sums[account]})
    total = {key: sum(r[key] for r in out_rows) for key in STATEMENT_KEYS}
    total["bills"] = len(set().union(*bills.values()))
    return {"period": period, "rows": out_rows, "total": total, "open_lines": open_lines}


def statement_table(data: dict) -> tuple[list[str], list[list]]:
    """The statement as (header, rows) for pages and exports, with a total row."""
    header = [_("Paying account"), _("Bills"), _("Bill lines"), _("Billed"), _("Matched"), _("Amount differs"),
              _("No shipment"), _("Awaiting decision"), _("Disputed"), _("Payable"), _("Paid")]
    names = {"cs": _("CS"), "sales": _("Sales"), "unassigned": _("No shipment")}
    rows = [[names[r["account"]]] + [r[key] for key in STATEMENT_KEYS] for r in data["rows"]]
    rows.append([_("Total")] + [data["total"][key] for key in STATEMENT_KEYS])
    return header, rows


def statement_lines_table(data: dict) -> tuple[list[str], list[list]]:
    """The statement's lines awaiting a decision or disputed, as (header, rows)."""
    header = [_("Bill"), _("Bill line"), _("Waybill"), _("Paying account"), _("Billed"), _("Decision"),
              _("Billed before"), _("Note")]
    names = {"cs": _("CS"), "sales": _("Sales"), "unassigned": _("No shipment")}
    rows = [[r["bill"], r["line_no"], r["waybill"], names[r["account"]], r["amount"], review_label(r["review"]),
             r["billed_before"], r["note"]] for r in data["open_lines"]]
    return header, rows


def _sheets(*tables) -> list[sheets.Sheet]:
    """(title, (header, rows)) tables as export sheets; money columns typed as money."""
    out = []
    for title, (header, rows) in tables:
        kinds = ["money" if rows and isinstance(rows[0][i], Decimal) else "text" for i in range(len(header))]
        out.append(sheets.Sheet(title, [sheets.Column(h, kind) for h, kind in zip(header, kinds)], rows))
    return out


def export_csv(actor, bill: FreightBill, *, locale=None) -> bytes:
    """The result and the totals as CSV (UTF-8 with BOM so Excel shows Chinese)."""
    _ensure_supervisor(actor)
    return sheets.csv_bytes(_sheets((_("Result"), result_rows(bill)), (_("Totals"), totals_rows(bill))),
                            locale=locale)


def export_xlsx(actor, bill: FreightBill, *, locale=None) -> bytes:
    """The result and the totals as an XLSX workbook (two sheets)."""
    _ensure_supervisor(actor)
    return sheets.xlsx_bytes(_sheets((_("Result"), result_rows(bill)), (_("Totals"), totals_rows(bill))),
                             locale=locale)


def statement_csv(actor, data: dict, *, locale=None) -> bytes:
    """The monthly statement and its open lines as CSV (UTF-8 with BOM)."""
    _ensure_supervisor(actor)
    return sheets.csv_bytes(_sheets((_("Statement"), statement_table(data)),
                                    (_("Open lines"), statement_lines_table(data))), locale=locale)


def statement_xlsx(actor, data: dict, *, locale=None) -> bytes:
    """The monthly statement as an XLSX workbook: the statement, then the open lines."""
    _ensure_supervisor(actor)
    return sheets.xlsx_bytes(_sheets((_("Statement"), statement_table(data)),
                                     (_("Open lines"), statement_lines_table(data))), locale=locale)


def statement_filename(period: str, ext: str) -> str:
    return f"freight-statement-{period}.{ext}"


def bill_filename(bill: FreightBill, ext: str) -> str:
    return f"freight-{bill.period}-{bill.id}.{ext}"


def period_of_day(day: date) -> str:
    return day.strftime("%Y-%m")


def previous_period(today: date) -> str:
    return period_of_day(today.replace(day=1) - timedelta(days=1))


__all__ = [
    "import_freight_bill", "parse_bill", "bills_query", "get_bill", "result_rows", "totals_rows",
    "export_csv", "export_xlsx", "finding_counts", "bill_filename", "previous_period", "decide_line", "pay_bill",
    "payable_total", "statement", "statement_csv", "statement_xlsx", "content_key",
]
