"""Repairs pages: scan station, parcels, units, lookup, tasks, overdue work, prices."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, send_from_directory, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select
from werkzeug.routing import BuildError

from core import chase, sheets
from core.accounts.auth import actor, roles_required
from core.accounts.roles import Role
from core.authz import require, scope_to_office
from core.calendar import local_today
from core.directory.models import Dealer, RepairRoute
from core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.forms import field_label, flash_refusal, read_form, refused
from core.idempotency import idempotent, new_form_key
from core.lookup import lookup_results, lookup_sections
from core.task_states import task_status_label
from core.tasks import views as task_views
from repairs import boxes, clocks, code_shapes, dealer_tasks, factory, inspection, intake, outcomes, receiving, search, service, swap
from repairs import overdue as overdue_rules
from repairs import chase as chase_repairs
from repairs import prices as price_rules
from repairs import schemas as s
from repairs import states as st

bp = Blueprint("repairs", __name__, template_folder="templates",
               static_folder="static", static_url_path="/static/repairs")
# Forms that create something carry a one-time key: a double submit is applied once.
bp.add_app_template_global(new_form_key, "new_form_key")

# The roles the services themselves check (repairs.service), named once.
HANDS, READERS = service.HANDS, service.READERS


@bp.app_template_global("repairs_label_url")
def label_url(kind: str, value: str):
    """Link to the labels package's label for a unit, parcel or DOA case, if that package is installed."""
    try:
        if kind == "unit":
            return url_for("labels.unit_label", serial=value)
        if kind == "doa":
            return url_for("labels.doa_label", number=value)
        if kind == "packing_slip":
            return url_for("labels.packing_slip", number=value)
        return url_for("labels.rma_label", number=value)
    except BuildError:
        return None


@bp.app_template_global("state_label")
def _state_label(state):
    return st.state_label(state) if state else ""


@bp.app_template_global("decision_choices")
def _decision_choices(unit, settled=False):
    return outcomes.choice_labels(unit, settled)


@bp.app_template_global("decision_label")
def _decision_label(decision):
    return outcomes.decision_label(decision)


@bp.app_template_global("action_label")
def _action_label(action):
    return str(st.ACTION_LABELS.get(action) or st.EVENT_LABELS.get(action, action))


OUTCOME_LABELS = {"repaired": _l("repaired"), "replaced": _l("replaced"), "unrepairable": _l("unrepairable")}
SOURCE_LABELS = {"form": _l("entered on the page"), "api": _l("through the API"), "import": _l("imported from a file"),
                 receiving.ARRIVAL_SOURCE: _l("started at arrival, without a list"),
                 receiving.DOA_SOURCE: _l("from a unit held at DOA receipt")}


@bp.app_template_global("repair_outcome_label")
def _outcome_label(outcome):
    return str(OUTCOME_LABELS.get(outcome, outcome or ""))


@bp.app_template_global("parcel_source_label")
def _source_label(source):
    return str(SOURCE_LABELS.get(source, source or ""))


@bp.app_template_global("repair_task_kind_label")
def _task_kind_label(kind):
    return str(dealer_tasks.TASK_KIND_LABELS.get(kind, kind))


@bp.app_template_global("repair_task_status_label")
def _task_status_label(status):
    return task_status_label(status)


@bp.route("/repairs/scan")
@roles_required(*HANDS)
def scan_station():
    """The clerks' one-screen scan station (keyboard only)."""
    return render_template("repairs/scan.html", open_boxes=boxes.open_boxes(actor()))


@bp.route("/repairs/boxes/<int:box_id>/close", methods=["POST"])
@roles_required(*HANDS)
def box_close(box_id):
    """Close an open box from the scan station with the carrier's waybill and the carrier."""
    user = actor()
    box = boxes.get_box(user, box_id)
    try:
        args = read_form(s.RepairBoxCloseArgs)
        boxes.close_box(user, box, waybill=args["waybill"], carrier=args["carrier"])
    except DomainError as err:
        return refused(err, back=url_for("repairs.scan_station"))
    flash(ngettext("Box %(n)s closed: %(num)d unit left with %(c)s, waybill %(w)s.",
                   "Box %(n)s closed: %(num)d units left with %(c)s, waybill %(w)s.", box.unit_count,
                   n=box.number, c=box.carrier, w=box.waybill), "success")
    return redirect(url_for("repairs.scan_station"))


@bp.route("/repairs/scan-sw.js")
def scan_service_worker():
    """The scan station's service worker: served beside the page so its scope can cover it.

    Public like any static file (it holds no data); never cached by HTTP so an update reaches
    the stations on their next visit."""
    response = send_from_directory(bp.static_folder, "scan-sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = url_for("repairs.scan_station")
    return response


def _declared_line_label(key: str, lines: list[dict]) -> str:
    """``lines.3`` as the user knows it: the line of their file (or pasted text)."""
    prefix, _dot, index = key.partition(".")
    if prefix == "lines" and index.isdigit() and int(index) < len(lines) and "line" in lines[int(index)]:
        return _("Line %(n)s", n=lines[int(index)]["line"])
    return key


@bp.route("/repairs/parcels", methods=["GET", "POST"])
@roles_required(*READERS)
@idempotent
def parcels():
    """Parcel list and the form to register a dealer's list."""

    user = actor()
    form = {}
    if request.method == "POST":
        require(user, *service.PARCEL_DESK)
        form = request.form.to_dict()
        lines = []
        try:
            args = read_form(s.RepairParcelArgs)
            upload = request.files.get("file")
            if upload and upload.filename:
                lines = intake.parse_declared_rows(upload.read(), upload.filename)
            else:
                lines = intake.parse_declared_rows(args["rows"] or "")
            if args["dealer_id"] is None:
                raise ValidationFailed(_("Choose a dealer."), errors={"dealer_id": [_("Required.")]},
                                       labels={"dealer_id": field_label(s.RepairParcelArgs, "dealer_id")})
            parcel = intake.create_parcel(user, dealer_id=args["dealer_id"], inbound_waybill=args["inbound_waybill"],
                                           inbound_carrier=args["inbound_carrier"], lines=lines, note=args["note"],
                                           source="import" if upload and upload.filename else "form")
            flash(_("Parcel %(rma)s registered with %(n)s declared unit(s).", rma=parcel.rma_number,
                    n=len(parcel.units)), "success")
            warned = service.parcel_warnings(parcel)
            if warned:
                flash(_("%(n)s declared serial(s) still open on another parcel or DOA case: %(s)s. See the "
                        "warnings on the parcel.", n=len(warned), s=", ".join(w["serial"] for w in warned[:20])),
                      "warning")
            return redirect(url_for("repairs.parcel", rma_number=parcel.rma_number))
        except DomainError as err:
            if isinstance(err, ValidationFailed) and any(key.startswith("lines.") for key in err.errors):
                # Each bad line named as the user knows it, at most 50 and the count.
                err.errors = {"": sheets.cap([
                    f"{_declared_line_label(key, lines)}: "
                    f"{'; '.join(str(m) for m in msgs) if isinstance(msgs, list) else msgs}"
                    for key, msgs in err.errors.items()])}
            # Shown in this answer, so the typed rows stay in the form.
            flash_refusal(err)
            status = err.status
    else:
        status = 200
    dealers_stmt = select(Dealer).where(Dealer.active.is_(True)).order_by(Dealer.name)
    dealers_stmt = scope_to_office(dealers_stmt, user, Dealer.office_id)
    page = search.parcels_page(user, q=request.args.get("q"), after=request.args.get("after"),
                               per_page=request.args.get("per_page"))
    return render_template("repairs/parcels.html", page=page, dealers=list(db.session.scalars(dealers_stmt)),
                           form=form), status


@bp.route("/repairs/parcels/<rma_number>")
@roles_required(*READERS)
def parcel(rma_number):
    """One parcel: the declared list against what arrived, tasks, receipt."""
    p = service.get_parcel(actor(), service.parcel_by_rma(rma_number).id)
    parcel_tasks = dealer_tasks.parcel_tasks(p)
    # "Receipt complete" with units still expected (or nothing arrived) asks first: this is that question.
    confirm = None
    if request.args.get("confirm_receipt") and p.receipt_completed_at is None:
        confirm = {"expected": receiving.expected_serials(p), "arrived": p.arrived_at is not None}
    return render_template("repairs/parcel.html", parcel=p, tasks=parcel_tasks, today=local_today(),
                           events=[e for e in service.parcel_events(p) if e.unit_id is None],
                           warnings=service.parcel_warnings(p), confirm_receipt=confirm)


@bp.route("/repairs/parcels/<rma_number>/complete-receipt", methods=["POST"])
@roles_required(*HANDS)
def complete_receipt(rma_number):
    p = service.get_parcel(actor(), service.parcel_by_rma(rma_number).id)
    try:
        args = read_form(s.RepairCompleteReceiptArgs)
        receiving.complete_receipt(actor(), p, confirm_missing=args["confirm_missing"])
        missing = sum(1 for u in p.units if u.state == st.MISSING)
        if missing:
            flash(_("Receipt of %(rma)s complete: %(n)s unit(s) marked missing, each with a dealer task.",
                    rma=p.rma_number, n=missing), "warning")
        else:
            flash(_("Receipt of %(rma)s complete.", rma=p.rma_number), "success")
    except DomainError as err:
        if err.code == receiving.CONFIRM_MISSING:  # units still expected: the page asks before marking them missing
            return redirect(url_for("repairs.parcel", rma_number=rma_number, confirm_receipt=1))
        return refused(err, back=url_for("repairs.parcel", rma_number=rma_number))
    return redirect(url_for("repairs.parcel", rma_number=rma_number))


@bp.route("/repairs/parcels/<rma_number>/receipt")
@roles_required(*READERS)
def receipt(rma_number):
    """The printable receipt for the dealer, with the data-wipe notice (manual 2.1.6)."""
    p = service.get_parcel(actor(), service.parcel_by_rma(rma_number).id)
    return render_template("repairs/receipt.html", parcel=p)


@bp.route("/repairs/units/<int:unit_id>", methods=["GET"])
@roles_required(*READERS)
def unit(unit_id):
    """One unit with its whole timeline and the step forms that fit its state."""
    user = actor()
    u = service.get_unit(user, unit_id)
    today = local_today()
    return _unit_page(user, u, today=today, clocks=clocks.clocks(u, today))


def _unit_page(user, u, **extra):
    # The step forms are the workflow's allowed actions, the rule the services apply.
    return render_template("repairs/unit.html", unit=u, events=service.timeline(u), routes=_routes(),
                           shipments=search.unit_shipments(u), allowed=swap.WORKFLOW.allowed_actions(u, user),
                           **extra)


def _routes():
    return list(db.session.scalars(select(RepairRoute).where(RepairRoute.active.is_(True)).order_by(RepairRoute.id)))


@bp.route("/repairs/units/<int:unit_id>/<step>", methods=["POST"])
@roles_required(*HANDS)
def unit_step(unit_id, step):
    """Receive / inspect / factory return / dispatch / ship / swap one unit from its page."""
    user = actor()
    u = service.get_unit(user, unit_id)
    try:
        if step == "receive":
            receiving.receive_unit(user, u.serial, u.parcel)
        elif step == "inspect":
            args = read_form(s.RepairInspectArgs)
            inspection.inspect_unit(user, u, human_damage=args["human_damage"], no_stock=args["no_stock"],
                                 out_of_warranty=args["out_of_warranty"], note=args["note"],
                                 route_code=args["route"])
        elif step == "factory-return":
            args = read_form(s.RepairFactoryReturnArgs)
            factory.receive_from_factory(user, u, args["outcome"], replacement_serial=args["replacement_serial"],
                                         scrap=args["scrap"], note=args["note"])
        elif step == "dispatch":
            args = read_form(s.RepairLegArgs)
            factory.dispatch_to_factory(user, [u], carrier=args["carrier"], waybill=args["waybill"])
        elif step == "ship":
            args = read_form(s.RepairLegArgs)
            factory.ship_to_dealer(user, [u], carrier=args["carrier"], waybill=args["waybill"])
        elif step == "swap":
            swap.swap_unit(user, u, **read_form(s.RepairSwapArgs))
        else:
            raise ValidationFailed(_("Unknown step."))
    except DomainError as err:
        return refused(err, back=url_for("repairs.unit", unit_id=unit_id))
    flash(_("Unit %(s)s is now %(state)s.", s=u.serial, state=st.state_label(u.state)), "success")
    return redirect(url_for("repairs.unit", unit_id=u.id))


@bp.route("/repairs/lookup")
@roles_required(*READERS)
def lookup():
    """Status lookup: one box for serial, RMA number, dealer name or phone, waybill."""
    q = (request.args.get("q") or "").strip()
    results, error = [], None
    if q:
        try:
            results = search.search(actor(), q)
        except DomainError as err:
            error = err.message
    timelines = {u.id: service.timeline(u) for u in results[:10]}
    # Other processes' records share the lookup (DOA cases), registered with core.lookup.
    found_elsewhere = lookup_results(q if not error else "", actor())
    return render_template("repairs/lookup.html", q=q, results=results, timelines=timelines, error=error,
                           today=local_today(), lookup_sections=lookup_sections(),
                           found_elsewhere=any(found_elsewhere.values()), **found_elsewhere)


task_views.add_old_addresses(bp, "/repairs", dealer_tasks.PROCESS, list_endpoint="tasks", step_endpoint="task_step")


@bp.route("/repairs/overdue")
@roles_required(Role.SUPERVISOR, Role.SERVICE)
def overdue():
    """The supervisor's first page of the day: overdue units by route and age, then every other
    kind of overdue work (DOA, factory reports, office counts, dealer tasks) by section, its most
    overdue items first."""
    report = overdue_rules.overdue_report(actor(), after=request.args.get("after"),
                                          per_page=request.args.get("per_page"))
    # The units table above shows the repairs provider's items; every other provider gets a section
    # (on the first page only: the next pages go on through the units): its most overdue items, its
    # total and a link to its own list, a fixed number of statements whatever it holds.
    others = []
    if report["page"].is_first:
        kinds = [p.kind for p in chase.providers() if p.kind != chase_repairs.UNIT_KIND]
        others = chase.first_pages(report["today"], actor(), kinds=kinds)
    return render_template("repairs/overdue.html", report=report, chase_sections=others,
                           nothing_overdue=not report["rows"] and not any(s.items for s in others))


@bp.route("/repairs/prices", methods=["GET", "POST"])
@roles_required(Role.SERVICE, Role.SUPERVISOR)
@idempotent
def prices():
    """The dated paid-repair price list and price notices."""
    if request.method == "POST":
        user = actor()
        require(user, Role.SUPERVISOR, message=_("Only the supervisor changes prices."))
        try:
            if request.form.get("kind") == "import":
                upload = request.files.get("file")
                if upload is None or not upload.filename:
                    raise ValidationFailed(_("Choose the price-list file (CSV or XLSX)."),
                                           errors={"file": [_("Required.")]})
                rows = price_rules.import_price_list(user, upload.read(), upload.filename)
                flash(_("Price list imported: %(n)s line(s).", n=len(rows)), "success")
                return redirect(url_for("repairs.prices"))
            if request.form.get("kind") == "notice":
                rows = price_rules.apply_price_notice(user, **read_form(s.RepairPriceNoticeArgs))
                flash(_("Notice applied to %(n)s price line(s).", n=len(rows)), "success")
            else:
                price_rules.add_price(user, **read_form(s.RepairPriceArgs))
                flash(_("Price added."), "success")
            return redirect(url_for("repairs.prices"))
        except DomainError as err:
            # A bad file's lines come in errors["file"], at most 50 and the count; a refused file is
            # answered on the page itself with its status (there is no typed form to go back to).
            if request.form.get("kind") == "import" and not isinstance(err, (Forbidden, NotFound)):
                flash_refusal(err)
                return render_template("repairs/prices.html", prices=price_rules.price_list()), err.status
            return refused(err, back=url_for("repairs.prices"))
    return render_template("repairs/prices.html", prices=price_rules.price_list())


@bp.route("/repairs/serial-patterns", methods=["GET", "POST"])
@roles_required(*HANDS)
@idempotent
def serial_patterns():
    """What the serials of each model or brand look like: the scan station and the declared lists check them."""
    if request.method == "POST":
        user = actor()
        code_shapes.ensure_supervisor(user)
        try:
            row = code_shapes.add_pattern(user, **read_form(s.SerialPatternArgs))
            flash(_("Serial pattern %(m)s added for %(a)s.", m=row.mask, a=row.applies_to), "success")
            return redirect(url_for("repairs.serial_patterns"))
        except DomainError as err:
            return refused(err, back=url_for("repairs.serial_patterns"))
    return render_template("repairs/serial_patterns.html", patterns=code_shapes.patterns())


@bp.route("/repairs/serial-patterns/<int:pattern_id>/remove", methods=["POST"])
@roles_required(Role.SUPERVISOR)
def remove_serial_pattern(pattern_id):
    try:
        row = code_shapes.remove_pattern(actor(), pattern_id)
        flash(_("Serial pattern %(m)s for %(a)s removed.", m=row.mask, a=row.applies_to), "success")
    except DomainError as err:
        return refused(err, back=url_for("repairs.serial_patterns"))
    return redirect(url_for("repairs.serial_patterns"))

