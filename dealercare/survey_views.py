"""Dealer survey pages for customer service: the quarters, one quarter's questionnaire, sending,
reminders, the results and the summary (registered on the dealer-care blueprint)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from core.accounts.auth import actor, roles_required
from core.directory.models import Brand
from core.errors import DomainError
from core.extensions import db
from core.forms import read_form, refused
from core.idempotency import idempotent
from core.pagination import paginate
from core.sheets import download
from dealercare import schemas as s
from dealercare import survey, survey_summary
from dealercare.views import bp


@bp.route("/surveys")
@roles_required(*survey.STAFF)
def survey_index():
    """Every quarter's survey, and the form to start the next one."""
    page = paginate(survey.surveys(actor()), request.args.get("page", 1), 50)
    return render_template("dealercare/surveys.html", page=page)


@bp.route("/surveys", methods=["POST"])
@roles_required(*survey.STAFF)
@idempotent
def survey_create():
    """Start a quarter's survey (with the previous quarter's questions)."""
    try:
        args = read_form(s.SurveyArgs)
        item = survey.create_survey(actor(), args["quarter"], args["deadline"])
    except DomainError as err:
        return refused(err, url_for("dealercare.survey_index"))
    flash(_("Survey %(q)s started.", q=item.quarter), "success")
    return redirect(url_for("dealercare.survey_detail", survey_id=item.id))


@bp.route("/surveys/<int:survey_id>")
@roles_required(*survey.STAFF)
def survey_detail(survey_id):
    """One quarter: the questions, who was asked and answered, the results and the summary."""
    user = actor()
    item = survey.get_survey(user, survey_id)
    answered = survey.answered_ids(item)
    return render_template(
        "dealercare/survey.html", survey=item, invites=survey.invites(item), answered=answered,
        results=survey_summary.results(item), pct=survey_summary.pct, num=survey_summary.num,
        brands=list(db.session.scalars(select(Brand).where(Brand.active.is_(True)).order_by(Brand.code))),
        can_edit=survey.can_edit(user, item), can_send=survey.can_send(user, item),
        can_remind=survey.can_remind(user, item), can_mail_summary=survey.can_mail_summary(user, item),
        departments=survey.summary_departments())


@bp.route("/surveys/<int:survey_id>/questions", methods=["POST"])
@roles_required(*survey.STAFF)
@idempotent
def survey_add_question(survey_id):
    """Add a question to a draft questionnaire."""
    user = actor()
    back = url_for("dealercare.survey_detail", survey_id=survey_id)
    try:
        item = survey.get_survey(user, survey_id)
        args = read_form(s.QuestionArgs)
        survey.add_question(user, item, args["text"], args["brand_id"])
    except DomainError as err:
        return refused(err, back)
    flash(_("Question added."), "success")
    return redirect(back)


@bp.route("/surveys/<int:survey_id>/questions/<int:question_id>/remove", methods=["POST"])
@roles_required(*survey.STAFF)
@idempotent
def survey_remove_question(survey_id, question_id):
    """Take a question off a draft questionnaire."""
    user = actor()
    back = url_for("dealercare.survey_detail", survey_id=survey_id)
    try:
        survey.remove_question(user, survey.get_survey(user, survey_id), question_id)
    except DomainError as err:
        return refused(err, back)
    flash(_("Question removed."), "success")
    return redirect(back)


@bp.route("/surveys/<int:survey_id>/<any('send', 'reminders', 'summary-mail'):step>", methods=["POST"])
@roles_required(*survey.STAFF)
@idempotent
def survey_step(survey_id, step):
    """Send the links, remind those who have not answered, or mail the summary to the departments."""
    user = actor()
    back = url_for("dealercare.survey_detail", survey_id=survey_id)
    try:
        item = survey.get_survey(user, survey_id)
        if step == "send":
            n = survey.send_survey(user, item)
            flash(_("Survey sent to %(n)s dealers.", n=n), "success")
        elif step == "reminders":
            n = survey.send_reminders(user, item)
            flash(_("Reminders sent to %(n)s dealers.", n=n) if n
                  else _("Nobody to remind today: every dealer has answered or was reminded today."),
                  "success" if n else "info")
        else:
            survey_summary.mail_summary(user, item)
            flash(_("Summary mailed to %(to)s.", to=item.summary_sent_to), "success")
    except DomainError as err:
        return refused(err, back)
    return redirect(back)


@bp.route("/surveys/<int:survey_id>/summary.<any('xlsx', 'pdf'):fmt>")
@roles_required(*survey.STAFF)
def survey_download(survey_id, fmt):
    """The quarter's summary as XLSX or PDF."""
    item = survey.get_survey(actor(), survey_id)
    res = survey_summary.results(item)
    body = survey_summary.summary_xlsx(res) if fmt == "xlsx" else survey_summary.summary_pdf(res)
    return download(body, f"dealer-survey-{item.quarter}.{fmt}")
