"""Hand-off letter pages: the list, the new-letter form, one letter with its steps, the printable letter.
Thin: input through the API's schemas, rules in the service."""
from __future__ import annotations

import io

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _

from core.accounts.auth import actor, roles_required
from core.calendar import add_working_days, local_today
from core.errors import DomainError
from core.forms import read_form, refused
from core.idempotency import idempotent
from core.pagination import page_number, paginate
from core.tasks import service as task_service
from handoff import documents, service
from handoff import schemas as s
from handoff import states as st

bp = Blueprint("handoff", __name__, url_prefix="/handoff", template_folder="templates")


@bp.route("")
@roles_required(*st.DESK)
def index():
    """Letters, newest first, filtered by state."""
    state = request.args.get("state") or ""
    if state not in set(st.LetterState):
        state = ""
    page = paginate(service.letters(actor(), state=state or None), page_number(request.args.get("page")), 50)
    return render_template("handoff/index.html", page=page, state=state, states=list(st.LetterState),
                           today=local_today(), is_late=service.is_late)


@bp.route("/new")
@roles_required(*st.DESK)
def new():
    """The form to write a letter."""
    service.require_desk(actor())
    return render_template("handoff/new.html", departments=service.departments(),
                           suggested=add_working_days(local_today(), 1))


@bp.route("", methods=["POST"])
@roles_required(*st.DESK)
@idempotent
def create():
    """Send a letter from the form."""
    try:
        letter = service.create_letter(actor(), **read_form(s.LetterCreateArgs))
    except DomainError as err:
        return refused(err, url_for("handoff.new"))
    flash(_("Hand-off letter %(number)s sent to %(department)s.", number=letter.number,
            department=letter.to_department.name), "success")
    return redirect(url_for("handoff.detail", letter_id=letter.id))


@bp.route("/<int:letter_id>")
@roles_required(*st.DESK)
def detail(letter_id):
    """One letter: its departments, dates, task, history and the steps the actor may take now."""
    user = actor()
    letter = service.get_letter(user, letter_id)
    return render_template("handoff/detail.html", letter=letter, allowed=service.allowed_actions(user, letter),
                           history=service.history(letter), late=service.is_late(letter),
                           state_label=st.LetterState.label_of, action_label=st.WORKFLOW.action_label,
                           task_status=task_service.status_label)


@bp.route("/<int:letter_id>/<any('accept', 'done', 'return'):action>", methods=["POST"])
@roles_required(*st.DESK)
@idempotent
def step(letter_id, action):
    """Record the receiving department's answer: accepted (maybe by another day), done, or returned."""
    user = actor()
    back = url_for("handoff.detail", letter_id=letter_id)
    try:
        letter = service.get_letter(user, letter_id)
        if action == "accept":
            service.accept(user, letter, **read_form(s.LetterAcceptArgs))
            flash(_("%(number)s accepted, to be done by %(day)s.", number=letter.number,
                    day=letter.committed_on.isoformat()), "success")
        elif action == "done":
            service.complete(user, letter, **read_form(s.LetterDoneArgs))
            flash(_("%(number)s is done.", number=letter.number), "success")
        else:
            service.return_letter(user, letter, **read_form(s.LetterReturnArgs))
            flash(_("%(number)s returned.", number=letter.number), "success")
    except DomainError as err:
        return refused(err, back)
    return redirect(back)


@bp.route("/<int:letter_id>/letter.pdf")
@roles_required(*st.DESK)
def pdf(letter_id):
    """The printable letter with both departments, the dates and the sign-off block."""
    data, name = documents.render(service.get_letter(actor(), letter_id))
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True, download_name=name,
                     max_age=0)
