"""DOA pages: list, new application, detail with each step, receive station, holds, tasks, overdue.

Each form posts to a thin view that calls one service function; a rule the
service refuses comes back as a flashed message on the same page.
"""
from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import chase
from core.accounts.auth import actor, roles_required
from core.accounts.roles import Role
from core.audit.service import trail
from core.calendar import local_today
from core.errors import DomainError
from core.forms import flash_refusal, read_form, refused
from core.task_states import task_status_label
from core.tasks import views as task_views
from doa import attachments as files
from doa import applications, approvals, closing, lookup, receipt, replacement, service, tasks
from doa import overdue as doa_overdue
from doa import schemas as s
from doa import states as st
from doa.chase import CLOCK_LABELS

bp = Blueprint("doa", __name__, url_prefix="/doa", template_folder="templates", static_folder="static",
               static_url_path="/static/doa")

READERS = service.READER_ROLES
TASK_KIND_LABELS = st.TASK_KIND_LABELS
HOLD_REASON_LABELS = {
    "not_approved": _l("not approved yet"), "refused": _l("application refused"),
    "closed": _l("application closed"), "no_application": _l("no application"),
}
HOLD_STATUS_LABELS = {"held": _l("held"), "repair": _l("turned into a repair"), "set_aside": _l("set aside")}
FINDING_LABELS = {"missing": _l("missing"), "extra": _l("not on the application"), "human_damage": _l("human damage")}
OUTCOME_LABELS = {"repaired": _l("repaired"), "swapped": _l("swapped for a new unit")}
# Steps posted from the detail page -> the role that may post them (the service checks again).
STEP_ROLES = {
    "channel": (Role.CHANNEL,), "product": (Role.PRODUCT,), "cancel": st.CS, "receipt": st.HANDS,
    "sales-signoff": (Role.SALES,), "purchasing": (Role.PURCHASING,), "ship-replacement": st.HANDS,
    "refund-product": (Role.PRODUCT,), "refund-finance": (Role.FINANCE,), "refund-credit": (Role.COMMERCE,),
    "switch-to-replacement": st.CS, "close": st.ACTION_ROLES["close"], "closing-waiver": (Role.SUPERVISOR,),
    "reopen": st.ACTION_ROLES["reopen"],
}
PAPER_LABELS = st.PAPER_LABELS
UNIT_ROWS = 5        # unit lines an empty form offers
MORE_ROWS = 5        # lines "more lines" adds
UNIT_FIELD_RE = re.compile(r"^units-(\d{1,3})-(serial|model|fault)$")


@bp.context_processor
def _labels():
    return {"state_label": st.state_label, "action_label": st.action_label, "REQUEST_LABELS": st.REQUEST_LABELS,
            "PAPER_LABELS": PAPER_LABELS, "window_flag_of": applications.window_flag, "can_reopen": service.can_reopen,
            "REFUND_CURRENCIES": replacement.REFUND_CURRENCIES, "DEFAULT_CURRENCY": replacement.DEFAULT_CURRENCY,
            "TASK_KIND_LABELS": TASK_KIND_LABELS, "TASK_RESOLUTION_LABELS": st.TASK_RESOLUTION_LABELS,
            "task_status_label": task_status_label, "HOLD_REASON_LABELS": HOLD_REASON_LABELS,
            "HOLD_STATUS_LABELS": HOLD_STATUS_LABELS, "FINDING_LABELS": FINDING_LABELS,
            "OUTCOME_LABELS": OUTCOME_LABELS, "DECISION_LABELS": st.DECISION_LABELS, "CLOCK_LABELS": CLOCK_LABELS, "today": local_today()}


def parse_unit_lines(text: str) -> list[dict]:
    """Pasted units, one per line: ``serial<TAB>model<TAB>fault`` (tabs or commas between, as a sheet copies).

    A line without tabs or commas is ``serial model``: everything after the
    serial is the model, spaces included ("SN1 U盘 DataTraveler 64G").
    """
    units = []
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        if re.search(r"[\t,，]", line):
            parts = [p.strip() for p in re.split(r"[\t,，]", line, maxsplit=2)]
        else:
            parts = line.split(None, 1)
        parts += [""] * (3 - len(parts))
        units.append({"serial": parts[0], "model": parts[1], "fault": parts[2]})
    return units


def unit_rows(form) -> list[dict]:
    """The unit lines of the form (``units-N-serial``, ``-model``, ``-fault``), in order, blanks kept."""
    rows: dict[int, dict] = {}
    for key in form.keys():
        match = UNIT_FIELD_RE.match(key)
        if match and int(match.group(1)) < applications.MAX_UNITS:
            rows.setdefault(int(match.group(1)), {"serial": "", "model": "", "fault": ""})[match.group(2)] = \
                (form.get(key) or "").strip()[:300]
    return [rows.get(i, {"serial": "", "model": "", "fault": ""}) for i in range(max(rows, default=-1) + 1)]


def form_units(form) -> tuple[list[dict], list[dict], list[tuple[str, int]]]:
    """The unit lines shown again, the units to apply for, and where each came from.

    Each filled line counts (a serial, a model or a fault typed), then the
    pasted lines; ``origins[k]`` is ``("row", i)`` or ``("line", n)`` for unit k.
    """
    rows = unit_rows(form)
    units, origins = [], []
    for i, row in enumerate(rows):
        if any(row.values()):
            units.append(dict(row))
            origins.append(("row", i))
    for n, unit in enumerate(parse_unit_lines(form.get("units") or ""), start=1):
        units.append(unit)
        origins.append(("line", n))
    return rows, units, origins


def shown_rows(rows: list[dict], more: bool) -> list[dict]:
    """The unit lines to show: what was typed, at least UNIT_ROWS, and MORE_ROWS empty ones on request."""
    count = max(UNIT_ROWS, len(rows)) + (MORE_ROWS if more else 0)
    count = min(count, applications.MAX_UNITS)
    return (rows + [{"serial": "", "model": "", "fault": ""}] * count)[:count]


def unit_errors(errors: dict, origins: list[tuple[str, int]]) -> dict:
    """Field errors ``units.K`` placed on the line the dealer typed: ``{"row": {i: [...]}, "line": {n: [...]}}``."""
    placed: dict = {"row": {}, "line": {}}
    for key, messages in (errors or {}).items():
        if not key.startswith("units."):
            continue
        index = key.split(".")[1]
        if index.isdigit() and int(index) < len(origins):
            where, at = origins[int(index)]
            placed[where].setdefault(at, []).extend(messages if isinstance(messages, list) else [messages])
    return placed


def application_form_context(form: dict, errors: dict, rows: list[dict], origins, *, more: bool = False) -> dict:
    """What the application fields template needs: unit lines, their errors, and the model pick list."""
    return {"form": form, "errors": errors or {}, "rows": shown_rows(rows, more),
            "unit_errors": unit_errors(errors, origins), "models": applications.known_models()}


# The application form's own fields (the unit lines come from form_units).
FORM_FIELDS = ("dealer_code", "request", "purchase_date", "fault", "contact", "units")


def application_source(form: dict, units: list[dict]) -> dict:
    """The application form as DoaApplicationArgs loads it: the typed fields and the unit lines."""
    return {**{k: v for k, v in form.items() if k != "units"}, "units": units}


# --------------------------------------------------------------------------- list and new

@bp.route("/")
@roles_required(*READERS)
def index():
    """Applications, filtered by state, overdue or a search."""
    filters = {"q": request.args.get("q", "").strip()[:100], "state": request.args.get("state") or None,
               "overdue": request.args.get("overdue") == "1"}
    if filters["state"] not in st.STATES:
        filters["state"] = None
    page = lookup.applications_page(actor(), **filters, after=request.args.get("after"),
                                    per_page=request.args.get("per_page"))
    return render_template("doa/index.html", page=page, filters=filters, states=st.STATES)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*st.CS)
def new():
    """Enter a dealer's DOA application."""
    form = {k: (request.form.get(k) or "").strip() for k in FORM_FIELDS}
    rows, units, origins = form_units(request.form)
    errors = {}
    status = 200
    more = request.method == "POST" and bool(request.form.get("more_rows"))
    if request.method == "POST" and not more:
        try:
            args = read_form(s.DoaApplicationArgs, application_source(form, units))
            app = applications.create_application(
                actor(), dealer_code=args["dealer_code"], request=args["request"] or None,
                purchase_date=args["purchase_date"], fault=args["fault"], contact=args["contact"],
                units=args["units"])
        except DomainError as err:
            # The form is shown again with what was typed, so the refusal is flashed rather than redirected.
            flash_refusal(err)
            errors = err.errors
            status = err.status
        else:
            flash(_("Application %(n)s entered; channel and product approval due %(d)s.", n=app.number,
                    d=app.approval_due.isoformat()), "success")
            flag = applications.window_flag(app)
            if flag:
                flash(flag, "warning")
            return redirect(url_for("doa.detail", number=app.number))
    return render_template("doa/new.html", **application_form_context(form, errors, rows, origins, more=more)), status


# --------------------------------------------------------------------------- detail and steps

@bp.route("/<string:number>")
@roles_required(*READERS)
def detail(number):
    """One application: units, decisions, receipt, outcome, files, tasks and history."""
    app = lookup.get_application(actor(), number)
    user = actor()
    task_rows = tasks.tasks_of(app) if user.has_role(Role.SERVICE, Role.SUPERVISOR, Role.OFFICE) else []
    missing = service.closing_papers_missing(app)
    return render_template(
        "doa/detail.html", app=app, events=lookup.timeline(app), allowed=service.allowed_for(user, app),
        window_flag=applications.window_flag(app), known_models=set(applications.known_models()), papers_missing=missing,
        papers_missing_labels=[str(PAPER_LABELS[m]) for m in missing],
        may_waive=bool(missing) and app.closing_waived_at is None and app.state not in st.TERMINAL
        and app.received_at is not None and user.has_role(Role.SUPERVISOR),
        reopen_task=service.disputed_refusal(app) if app.state == st.REFUSED else None,
        attachments=files.attachments(app) if user.has_role(*files.READERS) else None,
        may_upload=user.has_role(*files.UPLOADERS), may_sign=user.has_role(Role.SALES) and app.received_at
        is not None and app.sales_signed_at is None, tasks=task_rows, audit=trail("doa_application", app.id),
        max_mb=round(files.max_bytes() / 1048576, 1),
    )


# Each step loads its form through the schema the API's endpoint for the same step uses.
STEP_SCHEMAS = {
    "channel": s.DoaDecisionArgs, "product": s.DoaDecisionArgs, "cancel": s.DoaReasonArgs,
    "receipt": s.DoaReceiptArgs, "sales-signoff": s.DoaNoteArgs, "purchasing": s.DoaPurchasingArgs,
    "ship-replacement": s.DoaReplacementShipmentArgs, "refund-product": s.DoaDecisionArgs,
    "refund-finance": s.DoaDecisionArgs, "refund-credit": s.DoaCreditArgs, "switch-to-replacement": s.DoaNoteArgs,
    "closing-waiver": s.DoaWaiverArgs, "close": s.DoaNoteArgs, "reopen": s.DoaSettleNoteArgs,
}


def _step_source(app, step: str, form):
    """The purchasing form has one outcome per arrived unit; the schema takes them as a list of lines."""
    if step != "purchasing":
        return form
    units = [{"serial": unit.serial, "outcome": form.get(f"outcome_{unit.id}") or "",
              "replacement_serial": form.get(f"replacement_{unit.id}") or None}
             for unit in app.units if unit.arrived_at is not None]
    return {"units": units, "note": form.get("note", "")}


def _run_step(app, step: str, form) -> str:
    """Load one posted step through its schema and call the service; returns the success message."""
    user = actor()
    args = read_form(STEP_SCHEMAS[step], _step_source(app, step, form))
    if step in ("channel", "product"):
        approvals.decide(user, app, step, args["decision"], args["reason"])
        return _("Decision recorded.")
    if step == "cancel":
        applications.cancel(user, app, args["reason"])
        return _("Application cancelled.")
    if step == "receipt":
        result = receipt.receive(user, app, args["serials"], human_damage=args["human_damage"],
                                 waybill=args["waybill"], carrier=args["carrier"],
                                 freight_cost=args["freight_cost"], note=args["note"])
        return result["message"]
    if step == "sales-signoff":
        closing.sales_signoff(user, app, args["note"])
        return _("Sales sign-off recorded.")
    if step == "purchasing":
        replacement.record_purchasing(user, app, args["units"], note=args["note"])
        return _("Purchasing outcome recorded.")
    if step == "ship-replacement":
        replacement.ship_replacement(user, app, carrier=args["carrier"], waybill=args["waybill"],
                                     freight_cost=args["freight_cost"], shipped_at=args["shipped_at"],
                                     note=args["note"])
        return _("Replacement shipment recorded.")
    if step in ("refund-product", "refund-finance"):
        replacement.refund_decide(user, app, step.split("-", 1)[1], args["decision"], args["reason"])
        return _("Decision recorded.")
    if step == "refund-credit":
        replacement.issue_credit(user, app, args["credit_number"], args["note"], amount=args["amount"],
                                 currency=args["currency"])
        return _("Sales return / credit recorded.")
    if step == "closing-waiver":
        closing.waive_closing_papers(user, app, args["reason"])
        return _("Missing papers waived; the case can close.")
    if step == "close":
        closing.close_case(user, app, args["note"])
        return _("Case closed.")
    if step == "reopen":
        approvals.reopen(user, app, args["note"])
        return _("Application reopened: channel and product decide again.")
    replacement.switch_to_replacement(user, app, args["note"])
    return _("Switched to a replacement.")


@bp.route("/<string:number>/step/<any(" + ", ".join(f'"{s}"' for s in STEP_ROLES) + "):step>", methods=["POST"])
@roles_required(*{r for roles in STEP_ROLES.values() for r in roles})
def step(number, step):
    """One step of the application (the service checks the role, the state and the fields)."""
    app = lookup.get_application(actor(), number)
    try:
        flash(_run_step(app, step, request.form), "success")
    except DomainError as err:
        return refused(err, url_for("doa.detail", number=app.number))
    return redirect(url_for("doa.detail", number=app.number))


@bp.route("/<string:number>/attachments", methods=["POST"])
@roles_required(*files.UPLOADERS)
def upload(number):
    """Attach the scanned signed application."""
    app = lookup.get_application(actor(), number)
    storage = request.files.get("file")
    try:
        files.add_attachment(actor(), app, storage.stream if storage else None,
                             storage.filename if storage else "")
    except DomainError as err:
        return refused(err, url_for("doa.detail", number=app.number))
    flash(_("Signed application attached."), "success")
    return redirect(url_for("doa.detail", number=app.number))


@bp.route("/attachments/<int:attachment_id>")
@roles_required(*files.READERS)
def download(attachment_id):
    """Download a scanned signed application (as an attachment, never shown inline)."""
    row, path = files.get_attachment(actor(), attachment_id)
    return send_file(path, mimetype=row.content_type, as_attachment=True, download_name=files.download_name(row),
                     max_age=0)


# --------------------------------------------------------------------------- receive station

@bp.route("/receive", methods=["GET", "POST"])
@roles_required(*st.HANDS)
def receive_station():
    """DOA receive mode for a handheld scanner: scan the DOA label, the units, the label again."""
    result, error, context = None, None, (request.values.get("context") or "").strip()[:20] or None
    status = 200
    if request.method == "POST":
        try:
            args = read_form(s.DoaScanArgs)
            result = receipt.scan_doa_arrival(actor(), args["code"], context, human_damage=args["human_damage"],
                                              dealer_code=args["dealer_code"])
            context = result["context"]
        except DomainError as err:
            if err.status == 403:
                raise
            error, status = err.message, err.status
    # A scan the station refuses as DOA is shown as bad news.
    refused = result is not None and result["status"] in receipt.REFUSED_SCANS
    return render_template("doa/receive.html", result=result, result_refused=refused, error=error,
                           context=context), status


# --------------------------------------------------------------------------- holds

@bp.route("/holds")
@roles_required(*READERS)
def holds():
    """Units that arrived as DOA without an approved application."""
    status = request.args.get("status", "held")
    if status not in ("held", "repair", "set_aside", "all"):
        status = "held"
    page = receipt.holds_page(actor(), status=None if status == "all" else status, after=request.args.get("after"),
                              per_page=request.args.get("per_page"))
    return render_template("doa/holds.html", page=page, status=status,
                           may_act=actor().has_role(*st.HANDS))


@bp.route("/holds/<int:hold_id>/<any('repair', 'set-aside'):decision>", methods=["POST"])
@roles_required(*st.HANDS)
def hold_decision(hold_id, decision):
    """Turn a held unit into an ordinary repair, or set it aside."""
    hold = receipt.get_hold(actor(), hold_id)
    try:
        if decision == "repair":
            parcel = receipt.convert_hold_to_repair(actor(), hold, **read_form(s.DoaConvertArgs))
            flash(_("Unit %(s)s is now an ordinary repair on %(rma)s.", s=hold.serial, rma=parcel.rma_number),
                  "success")
        else:
            receipt.set_hold_aside(actor(), hold, read_form(s.DoaSetAsideArgs)["note"])
            flash(_("Unit %(s)s set aside.", s=hold.serial), "success")
    except DomainError as err:
        return refused(err, url_for("doa.holds"))
    return redirect(url_for("doa.holds"))


# --------------------------------------------------------------------------- tasks and overdue

task_views.add_old_addresses(bp, "", service.PROCESS, list_endpoint="tasks", step_endpoint="task_decision")


@bp.route("/overdue")
@roles_required(Role.SERVICE, Role.SUPERVISOR, Role.OFFICE)
def overdue():
    """Applications past the 1-day internal approval or the 7-day replacement."""
    page = doa_overdue.overdue_page(actor(), after=request.args.get("after"), per_page=request.args.get("per_page"))
    sections = chase.first_pages(local_today(), actor(), kinds=("doa_task",)) if page.is_first else []
    return render_template("doa/overdue.html", rows=page.items, page=page, chase_sections=sections)


