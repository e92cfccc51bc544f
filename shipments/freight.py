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
- ``unbilled``: a factory-leg shipment shipped in the bill's month that no
  bill line (of this or an earlier bill) charges.

Totals are kept per paying account (CS, sales for DOA freight), lines we
cannot place counted as "unassigned".
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from collections import Counter
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select

from core.accounts.roles import Role
from core.calendar import SHANGHAI, local_day
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.types import utcnow
from shipments.models import FACTORY_LEGS, FreightBill, FreightBillLine, FreightFinding, Shipment
from shipments.service import normalise_code

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20000
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
PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


# --- reading the file -------------------------------------------------------------------

def _header_key(text) -> str | None:
    name = re.sub(r"\s+", " ", str(text or "").strip().lower().replace("：", "").replace(":", ""))
    for key, aliases in HEADER_ALIASES.items():
        if name in aliases:
            return key
    return None


def _decode(content: bytes) -> str:
    # Excel on a Chinese Windows saves CSV as GBK; everything else is UTF-8.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed(_("The file is neither UTF-8 nor GBK text."), errors={"file": [_("Unreadable text.")]})


def _csv_rows(content: bytes) -> list[tuple[int, list]]:
    text = _decode(content)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    rows = []
    try:
        for row in reader:
            rows.append((reader.line_num, row))
            if len(rows) > MAX_ROWS + 1:
                break
    except csv.Error as exc:
        raise ValidationFailed(_("The CSV file is malformed near line %(n)s.", n=reader.line_num),
                               errors={"file": [_("Malformed CSV.")]}) from exc
    return rows


def _xlsx_rows(content: bytes) -> list[tuple[int, list]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError, TypeError) as exc:
        raise ValidationFailed(_("The file is not a readable XLSX workbook."),
                               errors={"file": [_("Not a readable XLSX file.")]}) from exc
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            rows.append((number, list(row)))
            if len(rows) > MAX_ROWS + 1:
                break
    finally:
        workbook.close()
    return rows


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


def _parse_day(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    text = text.split(" ")[0].split("T")[0]
    parts = text.split("-")
    if len(parts) != 3:
        raise ValueError
    return date(int(parts[0]), int(parts[1]), int(parts[2]))


def _parse_int(value) -> int:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, float):
        if value != int(value):
            raise ValueError
        return int(value)
    return int(str(value).strip())


def parse_bill(filename: str, content: bytes) -> tuple[list[dict], list[dict]]:
    """Read a bill file into (good rows, bad rows); bad rows are ``{"line", "reason"}``.

    Raises ValidationFailed for a file that cannot be read at all (wrong type,
    no header, no lines).
    """
    name = (filename or "").strip()
    lower = name.lower()
    if not content:
        raise ValidationFailed(_("The file is empty."), errors={"file": [_("Empty file.")]})
    if len(content) > MAX_BYTES:
        raise ValidationFailed(_("The file is larger than 5 MB."), errors={"file": [_("Too large.")]})
    if lower.endswith(".xlsx") or (content[:2] == b"PK" and not lower.endswith(".csv")):
        rows = _xlsx_rows(content)
    elif lower.endswith((".csv", ".txt")) or not lower:
        rows = _csv_rows(content)
    else:
        raise ValidationFailed(_("Upload the bill as a CSV or XLSX file."),
                               errors={"file": [_("Only .csv and .xlsx files.")]})
    if len(rows) > MAX_ROWS + 1:
        raise ValidationFailed(_("The bill has more than %(n)s lines.", n=MAX_ROWS),
                               errors={"file": [_("Too many lines.")]})

    header_index = next((i for i, (_n, row) in enumerate(rows) if any(not _is_blank(c) for c in row)), None)
    if header_index is None:
        raise ValidationFailed(_("The file has no lines."), errors={"file": [_("No lines.")]})
    header_line, header = rows[header_index]
    columns: dict[str, int] = {}
    for position, cell in enumerate(header):
        key = _header_key(cell)
        if key and key not in columns:
            columns[key] = position
    missing = [key for key in ("waybill", "amount") if key not in columns]
    if missing:
        raise ValidationFailed(
            _("Line %(n)s must be a header with at least a waybill and an amount column.", n=header_line),
            errors={"file": [_("Missing column: %(c)s.", c=", ".join(missing))]},
            rows=[{"line": header_line, "reason": _("Missing column: %(c)s.", c=", ".join(missing))}],
        )

    good: list[dict] = []
    bad: list[dict] = []
    totals: list[tuple[int, Decimal | None]] = []

    def cell(row, key):
        position = columns.get(key)
        if position is None or position >= len(row):
            return None
        return row[position]

    for line_no, row in rows[header_index + 1:]:
        if all(_is_blank(c) for c in row):
            continue
        reasons = []
        raw_waybill = cell(row, "waybill")
        waybill = normalise_code(raw_waybill)
        if isinstance(raw_waybill, float) and raw_waybill == int(raw_waybill):
            # Excel turns numeric waybills into floats: 1234.0 is waybill 1234.
            waybill = str(int(raw_waybill))
        if any(str(c or "").strip().upper() in TOTAL_MARKERS for c in row):
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
                ship_date = _parse_day(raw_date)
            except (ValueError, TypeError):
                reasons.append(_("date %(d)s is not a date (use YYYY-MM-DD)", d=raw_date))
        pieces = None
        raw_pieces = cell(row, "pieces")
        if not _is_blank(raw_pieces):
            try:
                pieces = _parse_int(raw_pieces)
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
    if actor is None:
        raise Forbidden(_("Sign in first."))
    if not actor.has_role(Role.SUPERVISOR):
        raise Forbidden(_("Only a supervisor may see the freight reconciliation."))


def _period_bounds(period: str) -> tuple[datetime, datetime]:
    year, month = int(period[:4]), int(period[5:7])
    start = datetime.combine(date(year, month, 1), time(0), tzinfo=SHANGHAI)
    end_day = date(year + (month == 12), month % 12 + 1, 1)
    return start, datetime.combine(end_day, time(0), tzinfo=SHANGHAI)


def _guess_period(rows: list[dict]) -> str | None:
    months = Counter(row["ship_date"].strftime("%Y-%m") for row in rows if row["ship_date"])
    return months.most_common(1)[0][0] if months else None


def import_freight_bill(actor, *, filename: str, content: bytes, period: str | None = None,
                        note: str = "") -> FreightBill:
    """Import a logistics bill and reconcile it; all or nothing.

    ``period`` ("YYYY-MM") is the billed month; when omitted, the month most
    lines are dated in. Any bad row refuses the whole file with
    ValidationFailed listing ``rows`` = [{"line", "reason"}].
    """
    _ensure_supervisor(actor)
    period = (period or "").strip()
    if period and not PERIOD_RE.match(period):
        raise ValidationFailed(_("The month must look like 2026-10."), errors={"period": [_("Use YYYY-MM.")]})
    good, bad = parse_bill(filename, content)
    if bad:
        raise ValidationFailed(
            _("%(n)s line(s) of the bill are not valid; nothing was imported.", n=len(bad)),
            errors={"file": [_("Line %(line)s: %(reason)s", line=row["line"], reason=row["reason"]) for row in bad]},
            rows=bad,
        )
    period = period or _guess_period(good)
    if not period:
        raise ValidationFailed(_("Give the month the bill is for."), errors={"period": [_("Required.")]})
    checksum = hashlib.sha256(content).hexdigest()
    existing = db.session.scalar(select(FreightBill).where(FreightBill.checksum == checksum))
    if existing is not None:
        raise Conflict(_("This file was already imported as bill %(id)s for %(p)s.", id=existing.id,
                         p=existing.period), bill_id=existing.id)

    bill = FreightBill(period=period, filename=(filename or "bill").strip()[:200] or "bill", checksum=checksum,
                       imported_at=utcnow(), imported_by_id=actor.id, line_count=len(good),
                       total_amount=sum((row["amount"] for row in good), Decimal("0")),
                       note=str(note or "").strip()[:2000], totals={})
    for row in good:
        bill.lines.append(FreightBillLine(**row))
    db.session.add(bill)
    db.session.flush()
    _reconcile(bill)
    db.session.flush()
    return bill


def _reconcile(bill: FreightBill) -> None:
    waybills = {line.waybill for line in bill.lines}
    shipments = {s.waybill: s for s in db.session.scalars(select(Shipment).where(Shipment.waybill.in_(waybills)))} \
        if waybills else {}
    totals = {account: {"billed": Decimal("0"), "recorded": Decimal("0"), "difference": Decimal("0"),
                        "unbilled": Decimal("0"), "lines": 0, "unbilled_count": 0} for account in ACCOUNTS}
    seen: set[str] = set()
    for line in bill.lines:
        shipment = shipments.get(line.waybill)
        account = shipment.paying_account if shipment is not None else "unassigned"
        totals[account]["billed"] += line.amount
        totals[account]["lines"] += 1
        if line.waybill in seen:
            kind, recorded = "duplicate", None
            difference = line.amount
            totals[account]["difference"] += difference
        elif shipment is None:
            kind, recorded, difference = "no_shipment", None, line.amount
            totals[account]["difference"] += difference
        else:
            line.shipment_id = shipment.id
            recorded = shipment.freight_cost
            difference = line.amount - (recorded or Decimal("0"))
            kind = "matched" if recorded is not None and difference == 0 else "amount_diff"
            totals[account]["recorded"] += recorded or Decimal("0")
            totals[account]["difference"] += difference
        seen.add(line.waybill)
        bill.findings.append(FreightFinding(
            kind=kind, bill_line_id=line.id, shipment_id=shipment.id if shipment is not None else None,
            waybill=line.waybill, paying_account=shipment.paying_account if shipment is not None else None,
            billed=line.amount, recorded=recorded, difference=difference,
        ))

    # Factory-leg shipments of the month that no bill has charged.
    start, end = _period_bounds(bill.period)
    billed_before = select(FreightBillLine.waybill).where(FreightBillLine.bill_id != bill.id)
    unbilled = db.session.scalars(
        select(Shipment).where(
            Shipment.leg.in_(FACTORY_LEGS), Shipment.status.in_(("shipped", "received")),
            Shipment.shipped_at >= start, Shipment.shipped_at < end, Shipment.waybill.is_not(None),
            Shipment.waybill.not_in(waybills) if waybills else Shipment.id.is_not(None),
            Shipment.waybill.not_in(billed_before),
        ).order_by(Shipment.shipped_at, Shipment.id)
    )
    for shipment in unbilled:
        totals[shipment.paying_account]["unbilled"] += shipment.freight_cost or Decimal("0")
        totals[shipment.paying_account]["unbilled_count"] += 1
        bill.findings.append(FreightFinding(
            kind="unbilled", shipment_id=shipment.id, waybill=shipment.waybill,
            paying_account=shipment.paying_account, billed=None, recorded=shipment.freight_cost,
            difference=None,
        ))
    bill.totals = {account: {k: (str(v.quantize(Decimal("0.01"))) if isinstance(v, Decimal) else v)
                             for k, v in values.items()} for account, values in totals.items()}


# --- reading bills back ---------------------------------------------------------------------

def bills_query(actor):
    """A SELECT of the imported bills, newest first (supervisors only)."""
    _ensure_supervisor(actor)
    return select(FreightBill).order_by(FreightBill.period.desc(), FreightBill.id.desc())


def get_bill(actor, bill_id) -> FreightBill:
    """One imported bill (supervisors only); NotFound if absent."""
    _ensure_supervisor(actor)
    bill = db.session.get(FreightBill, bill_id) if isinstance(bill_id, int) else None
    if bill is None:
        raise NotFound(_("No such freight bill."))
    return bill


def finding_counts(bill: FreightBill) -> dict[str, int]:
    counts = Counter(f.kind for f in bill.findings)
    return {kind: counts.get(kind, 0) for kind in ("matched", "amount_diff", "no_shipment", "duplicate", "unbilled")}


def _kind_label(kind: str) -> str:
    labels = {
        "matched": _("matched"), "amount_diff": _("amount differs"), "no_shipment": _("no shipment"),
        "duplicate": _("billed twice"), "unbilled": _("not billed"),
    }
    return labels[kind]


def result_rows(bill: FreightBill) -> tuple[list[str], list[list]]:
    """The reconciliation as a table: (header, rows), differences first."""
    header = [_("Result"), _("Bill line"), _("Waybill"), _("Shipment"), _("Leg"), _("Paying account"),
              _("Ship date"), _("Billed"), _("Recorded"), _("Difference")]
    order = {"amount_diff": 0, "no_shipment": 1, "duplicate": 2, "unbilled": 3, "matched": 4}
    rows = []
    for f in sorted(bill.findings, key=lambda f: (order[f.kind], f.id)):
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
            f.paying_account, ship_day, f.billed, f.recorded, f.difference,
        ])
    return header, rows


def totals_rows(bill: FreightBill) -> tuple[list[str], list[list]]:
    """Totals per paying account: (header, rows)."""
    header = [_("Paying account"), _("Bill lines"), _("Billed"), _("Recorded"), _("Difference"),
              _("Unbilled shipments"), _("Unbilled recorded cost")]
    names = {"cs": _("CS"), "sales": _("Sales"), "unassigned": _("No shipment")}
    rows = []
    for account in ACCOUNTS:
        t = bill.totals.get(account, {})
        rows.append([names[account], t.get("lines", 0), Decimal(t.get("billed", "0")), Decimal(t.get("recorded", "0")),
                     Decimal(t.get("difference", "0")), t.get("unbilled_count", 0), Decimal(t.get("unbilled", "0"))])
    return header, rows


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    # Spreadsheets run cells starting with these as formulas; defuse them.
    if text and text[0] in "=+-@\t\r" and not re.fullmatch(r"-?\d+(\.\d+)?", text):
        return "'" + text
    return text


def export_csv(actor, bill: FreightBill) -> bytes:
    """The result and the totals as CSV (UTF-8 with BOM so Excel shows Chinese)."""
    _ensure_supervisor(actor)
    out = io.StringIO()
    writer = csv.writer(out)
    header, rows = result_rows(bill)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
    writer.writerow([])
    header, rows = totals_rows(bill)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
    return out.getvalue().encode("utf-8-sig")


def export_xlsx(actor, bill: FreightBill) -> bytes:
    """The result and the totals as an XLSX workbook (two sheets)."""
    _ensure_supervisor(actor)
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Result")[:31]
    for title, (header, rows) in ((None, result_rows(bill)), (_("Totals")[:31], totals_rows(bill))):
        if title is not None:
            sheet = workbook.create_sheet(title)
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([float(v) if isinstance(v, Decimal) else _xlsx_text(v) for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_text(value):
    if isinstance(value, str) and value[:1] in "=+-@":
        return "'" + value
    return value


def bill_filename(bill: FreightBill, ext: str) -> str:
    return f"freight-{bill.period}-{bill.id}.{ext}"


def period_of_day(day: date) -> str:
    return day.strftime("%Y-%m")


def previous_period(today: date) -> str:
    return period_of_day(today.replace(day=1) - timedelta(days=1))


__all__ = [
    "import_freight_bill", "parse_bill", "bills_query", "get_bill", "result_rows", "totals_rows",
    "export_csv", "export_xlsx", "finding_counts", "bill_filename", "previous_period",
]
