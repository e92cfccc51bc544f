"""The greetings pages: open a batch, review and edit its text, send it once, retry the failed mails."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from core.accounts.auth import actor, roles_required
from core.errors import DomainError
from core.forms import read_form, refused
from core.idempotency import idempotent
from core.pagination import page_number, paginate
from dealercare import greeting_schemas as s
from dealercare import greetings

bp = Blueprint("dealercare_greetings", __name__, template_folder="templates", url_prefix="/dealer-care/greetings")


@bp.route("")
@roles_required(*greetings.READERS)
def index():
    """The batches, and the form to open one (birthdays in a range, or a holiday of this year or the next)."""
    user = actor()
    first, last = greetings.today_range()
    choices = greetings.holiday_choices(first.year) + greetings.holiday_choices(first.year + 1)
    return render_template("dealercare/greetings.html",
                           page=paginate(greetings.batches(user), page_number(request.args.get("page")), 50),
                           first=first, last=last, holidays=[(d, n) for d, n in choices if d >= first],
                           can_open=user.has_role(*greetings.SENDERS), state_label=greetings.BatchState.label_of)


@bp.route("", methods=["POST"])
@roles_required(*greetings.SENDERS)
@idempotent
def create():
    """Open a batch from the form."""
    try:
        batch = greetings.open_batch(actor(), **read_form(s.GreetingBatchCreateArgs))
    except DomainError as err:
        return refused(err, url_for("dealercare_greetings.index"))
    flash(_("Batch opened for %(n)s dealers: review the text, then send it.", n=len(batch.mails)), "success")
    return redirect(url_for("dealercare_greetings.detail", batch_id=batch.id))


@bp.route("/<int:batch_id>")
@roles_required(*greetings.READERS)
def detail(batch_id):
    """One batch: its text (editable until sent), each dealer's mail and its outcome."""
    user = actor()
    batch = greetings.get_batch(user, batch_id)
    return render_template("dealercare/greeting.html", batch=batch, mails=greetings.mails(batch),
                           counts=greetings.counts(batch), can_edit=greetings.can_edit(user, batch),
                           allowed=greetings.WORKFLOW.allowed_actions(batch, user),
                           can_retry=greetings.can_retry(user, batch), state_label=greetings.BatchState.label_of,
                           status_label=greetings.MailStatus.label_of)


@bp.route("/<int:batch_id>/<any('text', 'send', 'retry'):step>", methods=["POST"])
@roles_required(*greetings.SENDERS)
@idempotent
def step(batch_id, step):
    """Save the text, send the batch, or send the failed mails again."""
    user = actor()
    back = url_for("dealercare_greetings.detail", batch_id=batch_id)
    try:
        batch = greetings.get_batch(user, batch_id)
        if step == "text":
            greetings.edit_text(user, batch, **read_form(s.GreetingTextArgs))
            flash(_("Text saved."), "success")
        else:
            if step == "send":
                greetings.send_batch(user, batch)
            else:
                greetings.retry_failed(user, batch)
            failed = greetings.counts(batch)[greetings.MailStatus.FAILED]
            if failed:
                flash(_("%(n)s greetings could not be sent: retry them later.", n=failed), "error")
            else:
                flash(_("Every greeting of the batch was sent."), "success")
    except DomainError as err:
        return refused(err, back)
    return redirect(back)
