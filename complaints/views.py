"""Complaint pages: list, register, one complaint with each step, the dealer's letter, the agreement.

Each form posts to a thin view that loads it through the API's schema (``read_form``)
and calls one service function; a refusal comes back as a flashed message on the page.
"""
from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from complaints import (
    documents,
    handling,
    letters,
    lookup,
    mediation,
    pii,
    registering,
    service,
)
from complaints import schemas as s
from complaints import states as st
from complaints.api import MEDIATION_ROLES, STEP_ROLES
from core.accounts.auth import actor, roles_required
from core.accounts.roles import Role
from core.audit.service import trail
from core.calendar import local_today
from core.directory.models import Department
from core.directory.service import list_brands
from core.errors import DomainError
from core.extensions import db
from core.forms import read_form, refused
from core.idempotency import idempotent
from core.pagination import paginate

bp = Blueprint("complaints", __name__, url_prefix="/complaints", template_folder="templates")

READERS = service.READER_ROLES

# What each step's success says.
STEP_DONE = {
    "refer": _l("Internal complaint letter sent; the department answers within 1 working day."),
    "department_answer": _l("The department's answer is recorded."),
    "report": _l("Handling report saved."),
    "sign_off": _l("Handling report signed off."),
    "gm_approve": _l("Handling report approved."),
    "gm_return": _l("Handling report sent back to be rewritten."),
    "set_due": _l("Due day set."),
    "update": _l("Interim update recorded."),
    "answer": _l("The dealer's answer is recorded."),
    "fix": _l("Fix recorded; the return visit is due."),
    "visit": _l("Return visit recorded."),
    "close": _l("Complaint closed."),
}


@bp.context_processor
def _labels():
    return {"state_label": st.state_label, "tier_label": st.Tier.label_of, "action_label": st.action_label,
            "today": local_today(), "mask_name": pii.mask_name}


def _page_arg() -> int:
    value = request.args.get("page", "")
    return int(value) if value.isdigit() and 0 < int(value) <= 100000 else 1


@bp.route("/")
@roles_required(*READERS)
def index():
    """Complaints, by state, tier, overdue or a search."""
    states = [m.value for m in st.ComplaintState]
    tiers = [m.value for m in st.Tier]
    filters = {"q": request.args.get("q", "").strip()[:100], "state": request.args.get("state") or None,
               "tier": request.args.get("tier") or None, "overdue": request.args.get("overdue") == "1"}
    if filters["state"] not in states:
        filters["state"] = None
    if filters["tier"] not in tiers:
        filters["tier"] = None
    page = paginate(service.complaints(actor(), **filters), _page_arg(), 50)
    return render_template("complaints/index.html", page=page, filters=filters, states=states, tiers=tiers)


@bp.route("/new")
@roles_required(*st.CS)
def new():
    """The form to register a complaint."""
    return render_template("complaints/new.html", tiers=list(st.Tier), brands=list_brands(actor()))


@bp.route("/new", methods=["POST"])
@roles_required(*st.CS)
@idempotent
def create():
    """Register a complaint; a complaint about staff goes to the supervisor alone."""
    try:
        args = read_form(s.ComplaintArgs)
        complaint = registering.register(actor(), **args)
    except DomainError as err:
        return refused(err, url_for("complaints.new"))
    due = complaint.answer_due.isoformat() if complaint.answer_due else _("set by the supervisor")
    flash(_("Complaint %(n)s registered; answer due %(d)s.", n=complaint.number, d=due), "success")
    if not service.may_see(actor(), complaint):
        flash(_("A complaint about customer-service staff goes to the supervisor."), "info")
        return redirect(url_for("complaints.index"))
    return redirect(url_for("complaints.detail", number=complaint.number))


@bp.route("/<string:number>")
@roles_required(*READERS)
def detail(number):
    """One complaint: its letters, report and sign-off, approval, answer, visit, agreement and history."""
    user = actor()
    view = lookup.detail(user, number)
    complaint = view.complaint
    desk = user.has_role(*st.CS)
    return render_template(
        "complaints/detail.html", c=view, allowed=view.allowed, events=view.events,
        attachments=view.attachments, agreement=view.mediation,
        departments=list(db.session.scalars(select(Department).order_by(Department.name))),
        may_report=desk and complaint.state == st.REPORTING,
        may_update=desk and complaint.state != st.CLOSED,
        may_attach=desk and complaint.tier != st.Tier.ORDINARY,
        may_set_due=user.has_role(Role.SUPERVISOR) and complaint.tier == st.Tier.VERY_SERIOUS
        and complaint.state in st.ANSWER_CLOCK,
        may_mediate=user.has_role(*MEDIATION_ROLES) and complaint.tier == st.Tier.VERY_SERIOUS
        and complaint.mediation is None and complaint.state != st.CLOSED,
        waiting_for_department=desk and handling.open_letter_task(complaint) is not None,
        very_serious=complaint.tier == st.Tier.VERY_SERIOUS,
        may_print_mediation=pii.may_see(user) and complaint.mediation is not None,
        audit=trail("complaint", complaint.id),
    )


@bp.route("/<string:number>/step/<string:step>", methods=["POST"])
@roles_required(*STEP_ROLES)
def step(number, step):
    """One step of the complaint (the service checks the role, the state and the fields)."""
    complaint = service.get_complaint(actor(), number)
    back = url_for("complaints.detail", number=complaint.number)
    try:
        handling.step(actor(), complaint, step, read_form(s.ComplaintStepArgs))
    except DomainError as err:
        return refused(err, back)
    flash(str(STEP_DONE.get(step, _("Done."))), "success")
    return redirect(back)


@bp.route("/<string:number>/letters", methods=["POST"])
@roles_required(*st.CS)
def upload(number):
    """Keep the dealer's written complaint letter on file."""
    complaint = service.get_complaint(actor(), number)
    back = url_for("complaints.detail", number=complaint.number)
    storage = request.files.get("file")
    try:
        letters.attach_letter(actor(), complaint, storage.stream if storage else None,
                              storage.filename if storage else "")
    except DomainError as err:
        return refused(err, back)
    flash(_("The dealer's complaint letter is on file."), "success")
    return redirect(back)


@bp.route("/letters/<int:attachment_id>")
@roles_required(*READERS)
def download(attachment_id):
    """Download a dealer's complaint letter (as an attachment, never shown inline)."""
    row, path, name = letters.get_attachment(actor(), attachment_id)
    return send_file(path, mimetype=row.content_type, as_attachment=True, download_name=name, max_age=0)


@bp.route("/<string:number>/mediation", methods=["POST"])
@roles_required(*MEDIATION_ROLES)
def record_mediation(number):
    """Record the signed mediation agreement (附件9)."""
    complaint = service.get_complaint(actor(), number)
    back = url_for("complaints.detail", number=complaint.number)
    try:
        mediation.record(actor(), complaint, **read_form(s.MediationArgs))
    except DomainError as err:
        return refused(err, back)
    flash(_("Mediation agreement recorded."), "success")
    return redirect(back)


@bp.route("/<string:number>/forms/<any(" + ", ".join(f'"{k}"' for k in documents.KINDS) + "):kind>.pdf")
@roles_required(*READERS)
def form_pdf(number, kind):
    """One of the complaint's forms (附件6-9) as a PDF with the CS number."""
    complaint = service.get_complaint(actor(), number)
    body, name = documents.render(actor(), complaint, kind)
    return Response(body, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
