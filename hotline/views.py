"""Hotline pages: the log with its entry form (standard answers offered while typing), one entry,
and the standard answers library. Thin: input through the API's schemas, rules in the services."""
from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _

from core.accounts.auth import actor, roles_required
from core.directory.service import list_brands
from core.errors import DomainError, NotFound
from core.extensions import db
from core.forms import read_form, refused
from core.idempotency import idempotent
from core.ids import is_id
from core.pagination import page_number, paginate
from hotline import answers, log, replies, service
from hotline import schemas as s
from hotline import states as st
from hotline.models import HotlineAttachment

bp = Blueprint("hotline", __name__, url_prefix="/hotline", template_folder="templates", static_folder="static",
               static_url_path="/static/hotline")


def _choices() -> dict:
    return {"askers": list(st.Asker), "channels": list(st.Channel), "categories": list(st.Category),
            "brands": list_brands(actor()), "departments": service.departments()}


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and is_id(int(value)) else None


@bp.route("")
@roles_required(*service.READERS)
def index():
    """The log, newest first, with the form to log a question."""
    state = request.args.get("state") or "all"
    if state not in {*st.EntryState, "waiting", "all"}:
        state = "all"
    channel = request.args.get("channel") if request.args.get("channel") in set(st.Channel) else None
    category = request.args.get("category") if request.args.get("category") in set(st.Category) else None
    q = (request.args.get("q") or "").strip()[:100]
    brand_id = _int_arg("brand_id")
    stmt = service.entries(actor(), state=None if state == "all" else state, channel=channel, brand_id=brand_id,
                           category=category, q=q)
    page = paginate(stmt, page_number(request.args.get("page")), 50)
    return render_template("hotline/index.html", page=page, state=state, channel=channel, category=category, q=q,
                           brand_id=brand_id, chosen_filter=state,
                           state_filters=[("all", _("all")), ("waiting", _("not answered yet")),
                                          *[(m.value, m.label) for m in st.EntryState]],
                           can_write=actor().has_role(*service.DESK), **_choices())


@bp.route("", methods=["POST"])
@roles_required(*service.DESK)
@idempotent
def create():
    """Log a question from the form."""
    try:
        args = read_form(s.EntryCreateArgs)
        entry = log.log_question(actor(), **args)
    except DomainError as err:
        return refused(err, url_for("hotline.index"))
    flash(_("Logged %(number)s.", number=entry.number), "success")
    return redirect(url_for("hotline.detail", number=entry.number))


@bp.route("/<number>")
@roles_required(*service.READERS)
def detail(number):
    """One question: its answer, its department, its e-mails and files, its history."""
    entry = service.entry_by_number(actor(), number)
    user = actor()
    return render_template("hotline/detail.html", entry=entry, allowed=st.WORKFLOW.allowed_actions(entry, user),
                           can_write=user.has_role(*service.DESK), **_choices())


def _entry_step(number: str, step):
    entry = service.entry_by_number(actor(), number)
    back = url_for("hotline.detail", number=entry.number)
    try:
        message = step(entry)
    except DomainError as err:
        return refused(err, back)
    flash(message, "success")
    return redirect(back)


@bp.route("/<number>/answer", methods=["POST"])
@roles_required(*service.DESK)
@idempotent
def answer(number):
    """Record the answer given."""
    def step(entry):
        args = read_form(s.AnswerArgs)
        log.answer(actor(), entry, args["answer"], standard_answer_id=args["standard_answer_id"])
        return _("Answer recorded.")
    return _entry_step(number, step)


@bp.route("/<number>/refer", methods=["POST"])
@roles_required(*service.DESK)
@idempotent
def refer(number):
    """Send the question to its department."""
    def step(entry):
        args = read_form(s.ReferArgs)
        log.refer(actor(), entry, args["department_id"], args["note"])
        return _("Sent to the department; it answers by %(day)s.", day=entry.due_on.isoformat())
    return _entry_step(number, step)


@bp.route("/<number>/reply", methods=["POST"])
@roles_required(*service.DESK)
@idempotent
def reply(number):
    """Answer the e-mail by e-mail."""
    def step(entry):
        args = read_form(s.ReplyArgs)
        replies.send_reply(actor(), entry, args["body"])
        return _("Reply sent.")
    return _entry_step(number, step)


@bp.route("/<number>/classify", methods=["POST"])
@roles_required(*service.DESK)
def classify(number):
    """Set who asked, the brand and the category."""
    def step(entry):
        args = read_form(s.ClassifyArgs)
        log.classify(actor(), entry, asker=args.get("asker"), category=args.get("category"),
                     brand_id=args.get("brand_id"), brand_given="brand_id" in args)
        return _("Saved.")
    return _entry_step(number, step)


@bp.route("/<number>/standard-answer", methods=["POST"])
@roles_required(*service.DESK)
@idempotent
def to_library(number):
    """Keep the answer in the standard answers library (new, or replacing one)."""
    def step(entry):
        args = read_form(s.FromEntryArgs)
        found = answers.from_entry(actor(), entry, answer_id=args["answer_id"], question=args["question"],
                                   answer=args["answer"])
        return _("Kept in the standard answers (#%(id)s).", id=found.id)
    return _entry_step(number, step)


@bp.route("/attachments/<int:attachment_id>")
@roles_required(*service.READERS)
def attachment(attachment_id):
    """A file that came with an e-mail (always downloaded, never shown inline)."""
    service.require_reader(actor())
    row = db.session.get(HotlineAttachment, attachment_id)
    path = Path(current_app.config["UPLOAD_FOLDER"]) / "hotline" / row.stored_name if row is not None else None
    if row is None or not path.is_file():
        raise NotFound(_("No such file."))
    name = row.original_name or f"attachment-{row.id}{Path(row.stored_name).suffix}"
    return send_file(path, mimetype="application/octet-stream", as_attachment=True, download_name=name, max_age=0)


@bp.route("/answers")
@roles_required(*service.READERS)
def library():
    """The standard answers, by brand and category."""
    q = (request.args.get("q") or "").strip()[:100]
    category = request.args.get("category") if request.args.get("category") in set(st.Category) else None
    brand_id = _int_arg("brand_id")
    page = paginate(answers.library(actor(), q=q, brand_id=brand_id, category=category),
                    page_number(request.args.get("page")), 50)
    edit = None
    if _int_arg("edit"):
        edit = answers.get_answer(actor(), _int_arg("edit"))
    return render_template("hotline/answers.html", page=page, q=q, category=category, brand_id=brand_id, edit=edit,
                           can_write=actor().has_role(*service.DESK), **_choices())


@bp.route("/answers", methods=["POST"])
@roles_required(*service.DESK)
@idempotent
def add_answer():
    """Add a standard answer."""
    try:
        args = read_form(s.StandardAnswerArgs)
        answers.create(actor(), **args)
    except DomainError as err:
        return refused(err, url_for("hotline.library"))
    flash(_("Standard answer added."), "success")
    return redirect(url_for("hotline.library"))


@bp.route("/answers/<int:answer_id>", methods=["POST"])
@roles_required(*service.DESK)
def edit_answer(answer_id):
    """Change a standard answer."""
    found = answers.get_answer(actor(), answer_id)
    try:
        args = read_form(s.StandardAnswerUpdateArgs)
        answers.update(actor(), found, **args)
    except DomainError as err:
        return refused(err, url_for("hotline.library", edit=answer_id))
    flash(_("Standard answer saved."), "success")
    return redirect(url_for("hotline.library"))
