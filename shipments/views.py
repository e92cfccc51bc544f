"""Shipment pages: list, create, detail, packing list, receive station, late reports, freight bills."""
from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.accounts.auth import actor, roles_required
from core.accounts.roles import Role
from core.audit.service import trail
from core.calendar import local_today
from core.directory.models import Dealer, Office, Vendor
from core.errors import DomainError, ValidationFailed
from core.forms import field_label, field_messages, flash_refusal, read_form, read_lines, refused
from core.i18n import N_
from core.extensions import db
from core.codes import normalise_code
from core.idempotency import idempotent, new_form_key
from core.pagination import CURSOR_MAX_LENGTH
from inventory.models import Location
from shipments import bill_lines, freight, lookup, receiving, service
from shipments import late_reports as factory_reports
from shipments.api import export_response, statement_response
from shipments.models import LEGS, PAYING_ACCOUNTS, STATUSES, BillStatus, LineReview, Shipment, ShipmentStatus
from shipments.schemas import (
    FreightDecisionArgs,
    FreightUploadArgs,
    ShipmentCreateArgs,
    ShipmentLineArgs,
    ShipmentLookupArgs,
    ShipmentReceiveNoteArgs,
    ShipmentScanArgs,
    ShipmentShipArgs,
    ShipmentUpdateArgs,
)

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
REVIEW_LABELS = LineReview.labels()
BILL_STATUS_LABELS = BillStatus.labels()
# How many scans a station page carries between requests.
MAX_STATION_SCANS = receiving.MAX_SCANS


@bp.context_processor
def _labels():
    return {"LEG_LABELS": LEG_LABELS, "STATUS_LABELS": STATUS_LABELS, "ACCOUNT_LABELS": ACCOUNT_LABELS,
            "LINE_STATE_LABELS": LINE_STATE_LABELS, "FINDING_LABELS": FINDING_LABELS,
            "FREIGHT_LABELS": FREIGHT_LABELS, "REVIEW_LABELS": REVIEW_LABELS,
            "BILL_STATUS_LABELS": BILL_STATUS_LABELS}


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
        lookup.shipments_query(actor(), **filters)  # checks the filters: a bad one shows every shipment
    except ValidationFailed as err:
        flash(err.message, "error")
        filters = {k: None for k in filters}
    page = lookup.shipments_page(actor(), after=request.args.get("after"), per_page=request.args.get("per_page"),
                                  **filters)
    return render_template("shipments/index.html", page=page, filters=filters, legs=LEGS, statuses=STATUSES,
                           accounts=PAYING_ACCOUNTS)


# --- create -----------------------------------------------------------------------------------

def _numbered_lines(units: str, parts: str):
    """Each non-empty typed line: (its text area, its name as the user knows it: "Units, line 3", its words)."""
    for field, label, text in (("units", N_("Units, line %(n)s"), units), ("parts", N_("Parts, line %(n)s"), parts)):
        for number, line in enumerate((text or "").splitlines(), start=1):
            words = line.replace(",", " ").replace("\t", " ").split()
            if words:
                yield field, _(label, n=number), words


def _typed_lines(units: str, parts: str) -> tuple[list[dict], list[str]]:
    """The contents typed or scanned one per line, loaded through the API's line schema,
    with the name of each line as the user knows it ("Units, line 3").

    Units: ``SERIAL`` or ``SERIAL MODEL``; parts: ``SKU QUANTITY`` or ``SKU 1 SERIAL``
    (quantity 1 when left out). A wrong line raises ValidationFailed naming it, as
    :func:`core.forms.read_lines` does; the values are the schema's to check.
    """
    raw: dict[str, dict] = {}
    shape: dict[str, list] = {}
    for field, name, words in _numbered_lines(units, parts):
        if field == "units":
            if len(words) > 2:
                shape[name] = [_("Use “serial” or “serial model”.")]
                continue
            raw[name] = {"kind": "unit", "serial": words[0], "model": words[1] if len(words) > 1 else ""}
        else:
            if len(words) > 3:
                shape[name] = [_("Use “SKU quantity” or “SKU 1 serial”.")]
                continue
            raw[name] = {"kind": "part", "sku": words[0], "quantity": words[1] if len(words) > 1 else "1",
                         "serial": words[2] if len(words) > 2 else None}
    try:
        lines = read_lines(ShipmentLineArgs, raw)
    except ValidationFailed as err:
        shape.update(err.errors)
    if shape:
        raise ValidationFailed(_("Some fields need correcting."), errors=shape, labels={k: k for k in shape})
    return lines, list(raw)


def _directory_choices():
    user = actor()
    offices = select(Office).where(Office.active.is_(True)).order_by(Office.code)
    if user.has_role(Role.OFFICE) and not user.is_hq:
        offices = offices.where(Office.id == user.office_id)
    return list(db.session.scalars(offices)), list(db.session.scalars(select(Vendor).order_by(Vendor.code)))


def _dealer_id_for(code: str) -> int | None:
    """The dealer a typed dealer code names (the page's input; the API takes ``dealer_id``)."""
    code = (code or "").strip()
    if not code:
        return None
    dealer_id = db.session.scalar(select(Dealer.id).where(Dealer.code == code.upper()))
    if dealer_id is None:
        dealer_id = db.session.scalar(select(Dealer.id).where(Dealer.code == code))
    if dealer_id is None:
        raise ValidationFailed(_("No dealer with code %(c)s.", c=code), errors={"dealer_code": [
            _("No dealer with code %(c)s.", c=code)]}, labels={"dealer_code": _("Dealer code")})
    return dealer_id


def _read_create_form() -> tuple[dict, list[str]]:
    """The new-shipment form as the API's ``ShipmentCreateArgs`` loads it, and the names of
    its lines; every wrong field and line named at once."""
    errors: dict = {}
    labels: dict = {}
    lines, names, dealer_id = [], [], None
    try:
        lines, names = _typed_lines(request.form.get("units", ""), request.form.get("parts", ""))
    except ValidationFailed as err:
        errors.update(err.errors)
        labels.update(err.labels)
    try:
        dealer_id = _dealer_id_for(request.form.get("dealer_code", ""))
    except ValidationFailed as err:
        errors.update(err.errors)
        labels.update(err.labels)
    source = {**request.form.to_dict(), "lines": lines, "dealer_id": dealer_id}
    lines_refused = bool(errors)
    try:
        args = read_form(ShipmentCreateArgs, source, named=True)
    except ValidationFailed as err:
        # No lines loaded because some were wrong: those are named already, not "no contents".
        errors.update({k: v for k, v in err.errors.items() if not (k == "lines" and lines_refused)})
        labels.update(err.labels)
    else:
        if not errors:
            return args, names
    raise ValidationFailed(_("Some fields need correcting."), errors=errors, labels=labels)


def _named_by_line(err: DomainError, names: list[str]) -> DomainError:
    """A service refusal with each field named by its label, and a line's (``lines.3.sku``)
    by the line the user typed (``names``, in order) and the field."""
    for key in err.errors:
        parts = key.split(".")
        if parts[0] == "lines" and len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(names):
            label = field_label(ShipmentLineArgs, parts[2]) if len(parts) > 2 else ""
            err.labels[key] = f"{names[int(parts[1])]} ({label})" if label else names[int(parts[1])]
        elif key not in err.labels and field_label(ShipmentCreateArgs, key):
            err.labels[key] = field_label(ShipmentCreateArgs, key)
    return err


_FORM_FIELDS = frozenset({"leg", "dealer_code", "dealer_id", "office_id", "vendor_id", "paying_account", "carrier",
                          "waybill", "pieces", "weight_kg", "freight_cost", "lines"})


def _marked_fields(err: DomainError, names: list[str]) -> dict[str, str]:
    """Which input of the form each refused key belongs to: a field, or the text area of a typed line."""
    by_line = {name: field for field, name, _words in _numbered_lines(request.form.get("units", ""),
                                                                        request.form.get("parts", ""))}
    marked = {}
    for key in err.errors:
        parts = key.split(".")
        if key in _FORM_FIELDS:
            marked[key] = key
        elif line := next((name for name in by_line if key == name or key.startswith(name + " (")), None):
            marked[key] = by_line[line]  # "Parts, line 1" or "Parts, line 1 (Quantity)"
        elif parts[0] == "lines" and len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(names):
            marked[key] = by_line.get(names[int(parts[1])], "lines")
    return marked


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*STAFF)
@idempotent
def create():
    """Pack a new shipment: leg, parties, contents typed or scanned one per line."""
    offices, vendors = _directory_choices()
    form = request.form if request.method == "POST" else {"leg": request.args.get("leg", ""),
                                                          "paying_account": "cs"}
    if request.method == "POST":
        names: list[str] = []
        try:
            args, names = _read_create_form()
            shipment = service.create_shipment(actor(), lines=args.pop("lines"), **args)
        except DomainError as err:
            # Shown in this answer, so the typed lines stay in the form; each message beside its field.
            err = _named_by_line(err, names)
            marked = _marked_fields(err, names)
            flash_refusal(err, beside=marked)
            errors = {}
            for key, field in marked.items():
                label = err.labels.get(key) if field in ("units", "parts") else ""
                errors.setdefault(field, []).extend(f"{label}: {m}" if label else str(m) for m in field_messages(err.errors[key]))
            return render_template("shipments/new.html", form=form, errors=errors, legs=LEGS,
                                   accounts=PAYING_ACCOUNTS, offices=offices, vendors=vendors), err.status
        flash(_("Shipment %(n)s packed.", n=shipment.number), "success")
        return redirect(url_for("shipments.detail", number=shipment.number))
    return render_template("shipments/new.html", form=form, errors={}, legs=LEGS, accounts=PAYING_ACCOUNTS,
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
    shipment = lookup.get_shipment(actor(), number)
    return render_template("shipments/detail.html", form={}, errors={}, **_detail_context(shipment))


@bp.route("/<string:number>/packing-list")
@roles_required(*STAFF)
def packing_list(number):
    """A printable packing list of the declared contents."""
    shipment = lookup.get_shipment(actor(), number)
    return render_template("shipments/packing_list.html", shipment=shipment)


@bp.route("/<string:number>/ship", methods=["POST"])
@roles_required(*STAFF)
def ship(number):
    """Record the waybill and carrier: the shipment left (or the factory reported it)."""
    shipment = lookup.get_shipment(actor(), number)
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
    shipment = lookup.get_shipment(actor(), number)
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
            shipment = lookup.find_shipment(read_form(ShipmentLookupArgs)["code"])
            lookup.ensure_shipment_access(actor(), shipment)
            if shipment.status == "received":
                flash(_("Shipment %(n)s was already received.", n=shipment.number), "warning")
                return redirect(url_for("shipments.detail", number=shipment.number))
        except ValidationFailed as err:
            # The headline flashed, the field's messages in the station's panel beside the input.
            flash_refusal(err, beside=err.errors.keys())
            return render_template("shipments/receive_start.html", error=_refusal_words(err), code=code), err.status
        except DomainError as err:
            return render_template("shipments/receive_start.html", error=err.message, code=code), err.status
        return redirect(url_for("shipments.receive", number=shipment.number))
    return render_template("shipments/receive_start.html", error=None, code="")


_STATION_QTY = re.compile(r"^(\d{1,6})\s*[*xX×]\s*(\S+)$")


def _station_scan(text: str) -> dict:
    """One line of the station, ``CODE`` or ``5*CODE`` (five pieces), as the API's scan."""
    match = _STATION_QTY.match(text)
    return {"code": match.group(2), "quantity": match.group(1)} if match else {"code": text, "quantity": "1"}


def _station_scans(text: str) -> list[dict]:
    """The scans so far (the station's list, one per line) loaded through the API's scan schema;
    a wrong one raises ValidationFailed naming it ("Scan 3")."""
    typed = [line.strip() for line in (text or "").splitlines()[:MAX_STATION_SCANS] if line.strip()]
    return read_lines(ShipmentScanArgs, {_("Scan %(n)s", n=n): _station_scan(line)
                                         for n, line in enumerate(typed, start=1)})


def _refusal_words(err: DomainError) -> str:
    """A refused scan's field messages, each named by its label, for the station's answer panel."""
    said = [f"{err.labels[key]}: {m}" if err.labels.get(key) else str(m)
            for key, messages in err.errors.items()
            for m in (messages if isinstance(messages, list) else [messages])]
    return " ".join(said) or err.message


def _finish_receipt(shipment: Shipment, scans: list[dict]):
    """Save the receipt with the station's note: (receipt, None), or (None, (words, status)) when refused."""
    try:
        note = read_form(ShipmentReceiveNoteArgs)["note"]
    except ValidationFailed as err:
        return None, (_refusal_words(err), err.status)
    try:
        return receiving.receive_shipment(actor(), shipment, scans, note=note), None
    except DomainError as err:
        return None, (err.message, err.status)


def _scans_text(scans: list[dict]) -> str:
    return "\n".join(s["code"] if s["quantity"] == 1 else f"{s['quantity']}*{s['code']}" for s in scans)


@bp.route("/receive/<string:number>", methods=["GET", "POST"])
@roles_required(*STAFF)
def receive(number):
    """Step 2: scan the contents; each Enter re-checks; FINISH (or the button) saves the receipt.

    Typed commands: UNDO drops the last scan, RESET drops all, FINISH saves.
    ``5*SKU`` counts five pieces at once.
    """
    shipment = lookup.get_shipment(actor(), number)
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
            receipt, refused_with = _finish_receipt(shipment, scans)
            if refused_with:
                message, status = refused_with
                tone = "bad"
            if receipt is not None:
                if receipt.clean:
                    flash(_("Shipment %(n)s received: everything as declared.", n=shipment.number), "success")
                else:
                    flash(_("Shipment %(n)s received with %(k)s difference(s); see the receipt check.",
                            n=shipment.number, k=len(receipt.findings)), "warning")
                return redirect(url_for("shipments.detail", number=shipment.number))
        elif code:
            normal = normalise_code(code)
            if normal in (shipment.number, shipment.waybill):
                message, tone = _("That is this shipment's own label; scan its contents."), "info"
            elif len(scans) >= MAX_STATION_SCANS:
                message, tone, status = _("Too many scans."), "bad", 422
            else:
                try:
                    scans += read_lines(ShipmentScanArgs, {_("Scan %(n)s", n=len(scans) + 1): _station_scan(code)})
                except ValidationFailed as err:
                    # The headline flashed, the field messages in the station's panel beside the input.
                    flash_refusal(err, beside=err.errors.keys())
                    message, tone, status = _refusal_words(err), "bad", err.status
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
    return render_template("shipments/receive.html", shipment=shipment, check=check, note=request.form.get("note", ""),
                           scans_text=_scans_text(scans), scan_count=len(scans), message=message, tone=tone), status


# --- late reports -----------------------------------------------------------------------------

@bp.route("/late-reports")
@roles_required(*HQ)
def late_reports():
    """Factory shipments reported after the next working day, or still unreported."""
    reports = factory_reports.late_reports(actor())
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
    page = bill_lines.bills_page(actor(), request.args.get("after"), request.args.get("per_page"))
    counts = bill_lines.finding_counts_of(page.items)
    return render_template("shipments/freight_bills.html", page=page, counts=counts, bad_rows=bad_rows,
                           form_error=form_error, default_period=freight.previous_period(local_today()),
                           form=request.form), status


def _bill_page(bill, kind=None, status=200):
    page = bill_lines.findings_page(bill, kind, request.args.get("after"), request.args.get("per_page"))
    _header, totals = freight.totals_rows(bill)
    allowed = freight.bill_actions(actor(), bill)
    return render_template("shipments/freight_bill.html", bill=bill, page=page, kind=kind,
                           counts=bill_lines.finding_counts(bill), totals=totals,
                           payable=freight.payable_total(bill), reviews=bill_lines.review_counts(bill),
                           billed_before=freight.billed_before_text, allowed=allowed,
                           line_actions=lambda line: freight.line_actions(actor(), line, allowed)), status


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

