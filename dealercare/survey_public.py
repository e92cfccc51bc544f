"""The dealer's survey page, no login: reached only through the personal link in the e-mail.

The link is signed and expires at the quarter's deadline (:func:`dealercare.survey.read_link`);
a link we did not sign is a 404 page, an expired one a 410 page, an answered one a 409 page,
all readable. Both the page and its form share a rate limit per client address, and the form
carries a CSRF token like every other form.
"""
from __future__ import annotations

import marshmallow
from flask import Blueprint, current_app, g, render_template, request
from flask_babel import gettext as _

from core.errors import Conflict, DomainError, ValidationFailed
from core.extensions import limiter
from core.forms import flash_refusal
from core.validation_messages import translate_messages
from dealercare import schemas as s
from dealercare import survey

bp = Blueprint("dealercare_public", __name__, url_prefix=survey.PUBLIC_PATH, template_folder="templates")


def _limit() -> str:
    return current_app.config.get("DEALER_SURVEY_RATE_LIMIT", "20 per minute")


public_limit = limiter.shared_limit(_limit, scope="dealer-survey",
                                    error_message=lambda: _("Too many attempts; wait a minute."))


def _closed(err: DomainError, survey_row=None):
    """A link that leads nowhere (forged, expired, already answered): one readable page, never a 500."""
    g.uow_rollback_only = True
    return render_template("dealercare/survey_closed.html", message=err.message, status=err.status,
                           survey=survey_row), err.status


@bp.route("/<token>", methods=["GET"])
@public_limit
def answer(token):
    """The questionnaire for the dealer the link names."""
    try:
        item, dealer = survey.read_link(token)
    except DomainError as err:
        return _closed(err)
    if survey.answer_of(item, dealer.id) is not None:
        return _closed(survey.already_answered(item), item)
    return render_template("dealercare/survey_answer.html", survey=item, dealer=dealer, form={}, errors={})


@bp.route("/<token>", methods=["POST"])
@public_limit
def submit(token):
    """Record the dealer's answer, once."""
    try:
        item, dealer = survey.read_link(token)
    except DomainError as err:
        return _closed(err)
    form = {k: (v or "")[:2000] for k, v in request.form.items() if k != "csrf_token"}
    scores = {}
    for q in item.questions:
        raw = (request.form.get(f"q{q.id}") or "").strip()
        if raw.isdigit() and len(raw) == 1:
            scores[str(q.id)] = int(raw)
    try:
        try:
            args = s.AnswerArgs().load({"scores": scores, "comment": request.form.get("comment", "")})
        except marshmallow.ValidationError as exc:
            raise ValidationFailed(_("Please rate every question from 1 to 5."), errors=translate_messages(exc.messages)) from None
        survey.submit_answer(token, args["scores"], args["comment"])
    except Conflict as err:
        return _closed(err, item)
    except DomainError as err:
        if err.status in (404, 410):
            return _closed(err)
        flash_refusal(err, beside=[f"q{q.id}" for q in item.questions])
        return render_template("dealercare/survey_answer.html", survey=item, dealer=dealer, form=form,
                               errors=err.errors or {}), err.status
    return render_template("dealercare/survey_thanks.html", survey=item, dealer=dealer)

