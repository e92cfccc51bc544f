"""Shipment pages: list, create, detail, packing list, receive station, late reports, freight bills."""
from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.accounts.auth import actor, roles_required
from core.accounts.roles import Role
from core.audit.service import trail
from core.calendar import local_today
from core.directory.models import Dealer, Office, Vendor
from core.errors import DomainError, ValidationFailed
from core.forms import flash_refusal, read_form, refused
from core.extensions import db
from core.idempotency import idempotent, new_form_key
from core.pagination import CURSOR_MAX_LENGTH, paginate
from inventory.models import Location
from shipments import bill_lines, freight, receiving, service
from shipments.api import export_response, statement_response
from shipments.models import LEGS, PAYING_ACCOUNTS, STATUSES, FreightBill, Shipment, ShipmentStatus
from shipments.schemas import FreightDecisionArgs, FreightUploadArgs, ShipmentShipArgs, ShipmentUpdateArgs

bp = Blueprint("shipments", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/shipments", url_prefix="/shipments")
bp.add_app_template_global(new_form_key, "new_form_key")

STAFF = (Role.CLERK, Role.SERVICE, Role.SUPERVISOR, Role.OFFICE)
HQ = (Role.CLERK, Role.SERVICE, Role.SUPERVISOR)

LEG_LABELS = {
    "dealer_hq": _l("Dealer → HQ"),
    "hq_factory": _l("HQ → factory"),
    "factory_hq": _l("Factory → HQ"),
    "factory_dealer": _l("Factory → dealer"),
    "hq_office": _l("HQ → office"),
    "office_hq": _l("Office → HQ"),
    "hq_vendor": _l("HQ → vendor"),
    "vendor_factory": _l("Vendor → factory"),
    "fg_dealer": _l("Finished-goods store → dealer"),
}
STATUS_LABELS = ShipmentStatus.labels()
ACCOUNT_LABELS = {"cs": _l("CS"), "sales": _l("Sales (DOA)")}
LINE_STATE_LABELS = {"pending": _l("pending"), "ok": _l("arrived"), "short": _l("short"),
                     "missing": _l("missing"), "wrong": _l("wrong item")}
FINDING_LABELS = {"missing": _l("Missing"), "extra": _l("Extra"), "wrong": _l("Wrong item")}
FREIGHT_LABELS = {"matched": _l("matched"), "amount_diff": _l("amount differs"), "no_shipment": _l("no shipment"),
                  "duplicate": _l("billed twice"), "unbilled": _l("not billed"), "rebilled": _l("billed before")}
REVIEW_LABELS = {"accepted": _l("payable"), "pending": _l("awaiting your decision"), "disputed": _l("disputed")}
BILL_STATUS_LABELS = {"open": _l("open"), "paid": _l("paid")}
# How many scans a station page carries between requests.
MAX_STATION_SCANS = receiving.MAX_SCANS


@bp.context_processor
def _labels():
    return {"LEG_LABELS": LEG_LABELS, "STATUS_LABELS": STATUS_LABELS, "ACCOUNT_LABELS": ACCOUNT_LABELS,
            "LINE_STATE_LABELS": LINE_STATE_LABELS, "FINDING_LABELS": FINDING_LABELS,
            "FREIGHT_LABELS": FREIGHT_LABELS, "REVIEW_LABELS": REVIEW_LABELS,
            "BILL_STATUS_LABELS": BILL_STATUS_LABELS}


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    return int(value) if value.isdigit() else None


# --- list -------------------------------------------------------------------------------------

@bp.route("/")
@roles_required(*STAFF)
def index():
    """Shipments, filtered and paginated."""
    filters = {
        "q": request.args.get("q", "").strip()[:80] or None,
        "leg": request.args.get("leg") or None,
        "status": request.args.get("status") or None,
        "paying_account": request.args.get("paying_account") or None,
    }
    try:
        service.shipments_query(actor(), **filters)  # checks the filters: a bad one shows every shipment
    except ValidationFailed as err:
        flash(err.message, "error")
        filters = {k: None for k in filters}
    page = service.shipments_page(actor(), after=request.args.get("after"), per_page=request.args.get("per_page"),
                                  **filters)
    return render_template("shipments/index.html", page=page, filters=filters, legs=LEGS, statuses=STATUSES,
                           accounts=PAYING_ACCOUNTS)


# --- create -----------------------------------------------------------------------------------

_QTY_RE = re.compile(r"^\d+$")


def _parse_unit_text(text: str, errors: dict) -> list[dict]:
    """One unit per line: ``SERIAL`` or ``SERIAL MODEL`` (scanner-friendly)."""
    lines = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        parts = raw.replace(",", " ").replace("\t", " ").split()
        if not parts:
            continue
        if len(parts) > 2:
            errors.setdefault("units", []).append(_("Line %(n)s: use “serial” or “serial model”.", n=number))
            continue
        lines.append({"kind": "unit", "serial": parts[0], "model": parts[1] if len(parts) > 1 else ""})
    return lines


def _parse_part_text(text: str, errors: dict) -> list[dict]:
    """One part per line: ``SKU QUANTITY`` or ``SKU 1 SERIAL``; the quantity defaults to 1."""
    lines = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        parts = raw.replace(",", " ").replace("\t", " ").split()
        if not parts:
            continue
        quantity, serial = 1, None
        if len(parts) >= 2:
            if not _QTY_RE.match(parts[1]) or int(parts[1]) < 1:
                errors.setdefault("parts", []).append(
                    _("Line %(n)s: the quantity %(q)s is not a whole number from 1.", n=number, q=parts[1]))
                continue
            quantity = int(parts[1])
        if len(parts) == 3:
            serial = parts[2]
        if len(parts) > 3:
            errors.setdefault("parts", []).append(_("Line %(n)s: use “SKU quantity” or “SKU 1 serial”.", n=number))
            continue
        lines.append({"kind": "part", "sku": parts[0], "quantity": quantity, "serial": serial})
    return lines


def _directory_choices():
    user = actor()
    offices = select(Office).where(Office.active.is_(True)).order_by(Office.code)
    if user.has_role(Role.OFFICE) and not user.is_hq:
        offices = offices.where(Office.id == user.office_id)
    return list(db.session.scalars(offices)), list(db.session.scalars(select(Vendor).order_by(Vendor.code)))


def _dealer_id_for(code: str, errors: dict) -> int | None:
    code = (code or "").strip()
    if not code:
        return None
    dealer_id = db.session.scalar(select(Dealer.id).where(Dealer.code == code.upper()))
    if dealer_id is None:
        dealer_id = db.session.scalar(select(Dealer.id).where(Dealer.code == code))
    if dealer_id is None:
        errors.setdefault("dealer_code", []).append(_("No dealer with code %(c)s.", c=code))
    return dealer_id


def _form_int(name: str, errors: dict) -> int | None:
    value = request.form.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit():
        errors.setdefault(name, []).append(_("Choose one from the list."))
        return None
    return int(value)


def _flatten(errors: dict) -> dict:
    """Service errors keyed ``lines.3.serial`` shown under the units/parts boxes."""
    flat: dict = {}
    for key, messages in errors.items():
        target = key
        if key.startswith("lines"):
            target = "lines"
        flat.setdefault(target, []).extend(messages if isinstance(messages, list) else [messages])
    return flat


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*STAFF)
@idempotent
def create():
    """Pack a new shipment: leg, parties, contents typed or scanned one per line."""
    offices, vendors = _directory_choices()
    form = request.form if request.method == "POST" else {"leg": request.args.get("leg", ""),
                                                          "paying_account": "cs"}
    errors: dict = {}
    if request.method == "POST":
        lines = _parse_unit_text(request.form.get("units", ""), errors)
        lines += _parse_part_text(request.form.get("parts", ""), errors)
        dealer_id = _dealer_id_for(request.form.get("dealer_code", ""), errors)
        office_id = _form_int("office_id", errors)
        vendor_id = _form_int("vendor_id", errors)
        if not errors:
            try:
                shipment = service.create_shipment(
                    actor(), leg=request.form.get("leg", ""), lines=lines,
                    carrier=request.form.get("carrier"), waybill=request.form.get("waybill"),
                    paying_account=request.form.get("paying_account", "cs"), dealer_id=dealer_id,
                    office_id=office_id, vendor_id=vendor_id, pieces=request.form.get("pieces"),
                    weight_kg=request.form.get("weight_kg"), freight_cost=request.form.get("freight_cost"),
                    note=request.form.get("note", ""),
                )
            except DomainError as err:
                flash(err.message, "error")
                return render_template("shipments/new.html", form=form, errors=_flatten(err.errors), legs=LEGS,
                                       accounts=PAYING_ACCOUNTS, offices=offices, vendors=vendors), err.status
            flash(_("Shipment %(n)s packed.", n=shipment.number), "success")
            return redirect(url_for("shipments.detail", number=shipment.number))
        flash(_("The shipment has invalid fields."), "error")
        return render_template("shipments/new.html", form=form, errors=errors, legs=LEGS, accounts=PAYING_ACCOUNTS,
                               offices=offices, vendors=vendors), 422
    return render_template("shipments/new.html", form=form, errors=errors, legs=LEGS, accounts=PAYING_ACCOUNTS,
                           offices=offices, vendors=vendors)


# --- detail -----------------------------------------------------------------------------------

def _detail_context(shipment: Shipment) -> dict:
    entries = trail("shipment", shipment.id)
    for line in shipment.lines:
        entries += trail("shipment_line", line.id)
    entries.sort(key=lambda e: (e.at, e.id), reverse=True)
    locations = {}
    if shipment.from_location_id or shipment.to_location_id:
        for location_id in (shipment.from_location_id, shipment.to_location_id):
            if location_id:
                locations[location_id] = db.session.get(Location, location_id)
    return {"shipment": shipment, "receipt": receiving.receipt_of(shipment), "entries": entries,
            "locations": locations}


@bp.route("/<string:number>")
@roles_required(*STAFF)
def detail(number):
    """One shipment: facts, contents, receipt check, history."""
    shipment = service.get_shipment(actor(), number)
    return render_template("shipments/detail.html", form={}, errors={}, **_detail_context(shipment))


@bp.route("/<string:number>/packing-list")
@roles_required(*STAFF)
def packing_list(number):
    """A printable packing list of the declared contents."""
    shipment = service.get_shipment(actor(), number)
    return render_template("shipments/packing_list.html", shipment=shipment)


@bp.route("/<string:number>/ship", methods=["POST"])
@roles_required(*STAFF)
def ship(number):
    """Record the waybill and carrier: the shipment left (or the factory reported it)."""
    shipment = service.get_shipment(actor(), number)
    try:
        service.mark_shipped(actor(), shipment, **read_form(ShipmentShipArgs))
    except DomainError as err:
        if err.status in (403, 404):
            raise
        # The detail page is shown again with what was typed.
        flash_refusal(err)
        return render_template("shipments/detail.html", form=request.form, errors=err.errors,
                               **_detail_context(shipment)), err.status
    flash(_("Shipment %(n)s is on its way.", n=shipment.number), "success")
    return redirect(url_for("shipments.detail", number=shipment.number))


EDIT_FIELDS = ("carrier", "pieces", "weight_kg", "freight_cost", "paying_account", "note")


@bp.route("/<string:number>/edit", methods=["POST"])
@roles_required(*STAFF)
def edit(number):
    """Correct the freight facts (carrier, pieces, weight, cost, paying account, note)."""
    shipment = service.get_shipment(actor(), number)
    try:
        # A field the form sent empty is cleared (an empty text, no number); the schema loads the rest.
        cleared = {k: ("" if k in ("note", "carrier") else None) for k in EDIT_FIELDS
                   if k in request.form and not request.form.get(k, "").strip()}
        service.update_shipment(actor(), shipment, **{**cleared, **read_form(ShipmentUpdateArgs)})
    except DomainError as err:
        if err.status in (403, 404):
            raise
        flash_refusal(err)
        return render_template("shipments/detail.html", form=request.form, errors=err.errors,
                               **_detail_context(shipment)), err.status
    flash(_("Shipment %(n)s updated.", n=shipment.number), "success")
    return redirect(url_for("shipments.detail", number=shipment.number))


# --- receive station --------------------------------------------------------------------------

@bp.route("/receive", methods=["GET", "POST"])
@roles_required(*STAFF)
def receive_start():
    """Step 1: scan the shipment's label or waybill."""
    if request.method == "POST":
        code = request.form.get("code", "")
        try:
            shipment = service.find_shipment(code)
            service.ensure_shipment_access(actor(), shipment)
            if shipment.status == "received":
                flash(_("Shipment %(n)s was already received.", n=shipment.number), "warning")
                return redirect(url_for("shipments.detail", number=shipment.number))
        except DomainError as err:
            return render_template("shipments/receive_start.html", error=err.message, code=code), err.status
        return redirect(url_for("shipments.receive", number=shipment.number))
    return render_template("shipments/receive_start.html", error=None, code="")


_STATION_QTY = re.compile(r"^(\d{1,6})\s*[*xX×]\s*(\S+)$")


def _station_scans(text: str) -> list[dict]:
    scans = []
    for raw in (text or "").splitlines()[:MAX_STATION_SCANS]:
        raw = raw.strip()
        if not raw:
            continue
        match = _STATION_QTY.match(raw)
        if match:
            scans.append({"code": match.group(2), "quantity": int(match.group(1))})
        else:
            scans.append({"code": raw, "quantity": 1})
    return scans


def _scans_text(scans: list[dict]) -> str:
    return "\n".join(s["code"] if s["quantity"] == 1 else f"{s['quantity']}*{s['code']}" for s in scans)


@bp.route("/receive/<string:number>", methods=["GET", "POST"])
@roles_required(*STAFF)
def receive(number):
    """Step 2: scan the contents; each Enter re-checks; FINISH (or the button) saves the receipt.

    Typed commands: UNDO drops the last scan, RESET drops all, FINISH saves.
    ``5*SKU`` counts five pieces at once.
    """
    shipment = service.get_shipment(actor(), number)
    if shipment.status == "received":
        flash(_("Shipment %(n)s was already received.", n=shipment.number), "warning")
        return redirect(url_for("shipments.detail", number=shipment.number))
    scans = _station_scans(request.form.get("scans", "")) if request.method == "POST" else []
    message, tone, status = None, "info", 200
    action = request.form.get("action", "scan")
    code = request.form.get("code", "").strip()
    command = code.upper()
    if request.method == "POST":
        if command in ("UNDO", "RESET", "FINISH", "DONE"):
            action = {"UNDO": "undo", "RESET": "reset"}.get(command, "finish")
            code = ""
        if action == "undo" and scans:
            dropped = scans.pop()
            message, tone = _("Removed %(c)s.", c=dropped["code"]), "info"
        elif action == "reset":
            scans = []
            message, tone = _("All scans cleared."), "info"
        elif action == "finish":
            try:
                receipt = receiving.receive_shipment(actor(), shipment, scans, note=request.form.get("note", ""))
            except DomainError as err:
                message, tone, status = err.message, "bad", err.status
            else:
                if receipt.clean:
                    flash(_("Shipment %(n)s received: everything as declared.", n=shipment.number), "success")
                else:
                    flash(_("Shipment %(n)s received with %(k)s difference(s); see the receipt check.",
                            n=shipment.number, k=len(receipt.findings)), "warning")
                return redirect(url_for("shipments.detail", number=shipment.number))
        elif code:
            normal = service.normalise_code(code)
            if normal in (shipment.number, shipment.waybill):
                message, tone = _("That is this shipment's own label; scan its contents."), "info"
            elif len(scans) >= MAX_STATION_SCANS:
                message, tone, status = _("Too many scans."), "bad", 422
            else:
                match = _STATION_QTY.match(code)
                scans.append({"code": match.group(2), "quantity": int(match.group(1))} if match
                             else {"code": code, "quantity": 1})
    try:
        check = receiving.preview_receipt(actor(), shipment, scans)
    except ValidationFailed as err:
        # A malformed scan (e.g. too long): drop it and say why.
        if scans:
            scans.pop()
        check = receiving.preview_receipt(actor(), shipment, scans)
        message, tone, status = err.message, "bad", 422
    if message is None and action == "scan" and code and check.results:
        last = check.results[-1]
        tone = "ok" if last.outcome == "matched" else "bad"
        message = last.message
    return render_template("shipments/receive.html", shipment=shipment, check=check,
                           scans_text=_scans_text(scans), scan_count=len(scans), message=message, tone=tone), status


# --- late reports -----------------------------------------------------------------------------

@bp.route("/late-reports")
@roles_required(*HQ)
def late_reports():
    """Factory shipments reported after the next working day, or still unreported."""
    reports = service.late_reports(actor())
    return render_template("shipments/late_reports.html", reports=reports)


# --- freight bills ----------------------------------------------------------------------------

@bp.route("/freight", methods=["GET", "POST"])
@roles_required(Role.SUPERVISOR)
def freight_bills():
    """Imported freight bills and the upload form."""
    bad_rows, form_error, status = [], None, 200
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            form_error, status = _("Choose the bill file (CSV or XLSX)."), 422
        else:
            try:
                args = read_form(FreightUploadArgs)
                bill = freight.import_freight_bill(
                    actor(), filename=upload.filename, content=upload.read(freight.MAX_BYTES + 1),
                    period=args.get("period", ""), note=args["note"])
            except DomainError as err:
                form_error, status = err.message, err.status
                bad_rows = err.extra.get("rows") or []
                if not bad_rows:
                    errors = [m for msgs in err.errors.values() for m in (msgs if isinstance(msgs, list) else [msgs])]
                    form_error = " ".join([err.message] + [m for m in errors if m != err.message])
            else:
                flash(_("Bill for %(p)s imported: %(n)s lines.", p=bill.period, n=bill.line_count), "success")
                return redirect(url_for("shipments.freight_bill", bill_id=bill.id))
    # Who imported each bill comes with the page (one statement), not per row.
    page = paginate(freight.bills_query(actor()).options(selectinload(FreightBill.imported_by)),
                    _int_arg("page") or 1, 50)
    counts = bill_lines.finding_counts_of(page.items)
    return render_template("shipments/freight_bills.html", page=page, counts=counts, bad_rows=bad_rows,
                           form_error=form_error, default_period=freight.previous_period(local_today()),
                           form=request.form), status


def _bill_page(bill, kind=None, status=200):
    page = bill_lines.findings_page(bill, kind, request.args.get("after"), request.args.get("per_page"))
    _header, totals = freight.totals_rows(bill)
    return render_template("shipments/freight_bill.html", bill=bill, page=page, kind=kind,
                           counts=bill_lines.finding_counts(bill), totals=totals,
                           payable=freight.payable_total(bill), reviews=bill_lines.review_counts(bill),
                           billed_before=freight.billed_before_text), status


@bp.route("/freight/<int:bill_id>")
@roles_required(Role.SUPERVISOR)
def freight_bill(bill_id):
    """One bill's reconciliation: differences, lines billed before, unbilled shipments, totals."""
    bill = freight.get_bill(actor(), bill_id)
    kind = request.args.get("kind") or None
    if kind and kind not in FREIGHT_LABELS:
        abort(404)
    return _bill_page(bill, kind)


@bp.route("/freight/<int:bill_id>/lines/<int:line_id>/decide", methods=["POST"])
@roles_required(Role.SUPERVISOR)
def freight_decide(bill_id, line_id):
    """Accept or dispute one bill line."""
    line = freight.get_line(actor(), bill_id, line_id)
    try:
        args = read_form(FreightDecisionArgs)
        freight.decide_line(actor(), line, args["decision"], note=args["note"])
    except DomainError as err:
        return refused(err, url_for("shipments.freight_bill", bill_id=bill_id))
    flash(_("Line %(n)s: %(s)s.", n=line.line_no, s=REVIEW_LABELS[line.review]), "success")
    # Back to the page of lines the supervisor was working through.
    kind = request.form.get("kind") if request.form.get("kind") in FREIGHT_LABELS else None
    after = request.form.get("after", "").strip()
    after = after if after and len(after) <= CURSOR_MAX_LENGTH else None
    return redirect(url_for("shipments.freight_bill", bill_id=bill_id, kind=kind, after=after))


@bp.route("/freight/<int:bill_id>/pay", methods=["POST"])
@roles_required(Role.SUPERVISOR)
def freight_pay(bill_id):
    """Pay the bill (its accepted lines), once."""
    bill = freight.get_bill(actor(), bill_id)
    try:
        freight.pay_bill(actor(), bill)
    except DomainError as err:
        flash(err.message, "error")
        db.session.rollback()
        return _bill_page(freight.get_bill(actor(), bill_id), status=err.status)
    flash(_("Bill %(b)s paid: %(a)s.", b=bill.label, a=bill.paid_amount), "success")
    return redirect(url_for("shipments.freight_bill", bill_id=bill_id))


@bp.route("/freight/statement")
@roles_required(Role.SUPERVISOR)
def freight_statement():
    """The month's payable statement per paying account, with the lines awaiting a decision or disputed."""
    month = (request.args.get("month") or "").strip() or freight.previous_period(local_today())
    try:
        data = freight.statement(actor(), month)
    except ValidationFailed as err:
        flash(err.message, "error")
        month = freight.previous_period(local_today())
        data, status = freight.statement(actor(), month), 422
    else:
        status = 200
    header, rows = freight.statement_table(data)
    return render_template("shipments/freight_statement.html", data=data, header=header, rows=rows,
                           month=month), status


@bp.route("/freight/statement.<any(csv, xlsx):fmt>")
@roles_required(Role.SUPERVISOR)
def freight_statement_export(fmt):
    """Download the month's payable statement as CSV or XLSX."""
    return statement_response(freight.statement(actor(), request.args.get("month", "")), fmt)


@bp.route("/freight/<int:bill_id>/export.<any(csv, xlsx):fmt>")
@roles_required(Role.SUPERVISOR)
def freight_export(bill_id, fmt):
    """Download the reconciliation as CSV or XLSX."""
    return export_response(freight.get_bill(actor(), bill_id), fmt)

