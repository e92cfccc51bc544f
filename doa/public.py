"""The dealer's DOA pages, no login: apply, and see an application's state.

Verification as on the repairs status page: the dealer code (or DOA number)
plus the last four digits of the dealer's phone. A wrong pair gets one
neutral answer, and both pages share a rate limit per client address.
"""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _

from core.errors import DomainError, ValidationFailed
from core.forms import flash_refusal, read_form
from core.extensions import limiter
from doa import applications, lookup
from doa import schemas as s
from doa import states as st
from doa.views import FORM_FIELDS, application_form_context, application_source, form_units

bp = Blueprint("doa_public", __name__, url_prefix="/doa-apply", template_folder="templates")


def _limit() -> str:
    return current_app.config.get("DOA_PUBLIC_RATE_LIMIT", "10 per minute")


public_limit = limiter.shared_limit(_limit, scope="doa-public",
                                    error_message=lambda: _("Too many attempts; wait a minute."))

@bp.context_processor
def _labels():
    return {"REQUEST_LABELS": st.REQUEST_LABELS}


@bp.route("", methods=["GET"])
def apply_form():
    """The empty application form."""
    return render_template("doa/public_apply.html", created=None, failed=False,
                           **application_form_context({}, {}, [], []))


@bp.route("", methods=["POST"])
@public_limit
def apply():
    """Create the application if the fields are valid and the dealer code and phone digits match."""
    form = {k: (request.form.get(k) or "").strip()[:4000] for k in FORM_FIELDS}
    rows, units, origins = form_units(request.form)
    if request.form.get("more_rows"):
        # "More lines": the same form with empty unit lines added; nothing is applied for yet.
        return render_template("doa/public_apply.html", created=None, failed=False,
                               **application_form_context(form, {}, rows, origins, more=True))
    source = {**application_source(form, units), "dealer_code": form["dealer_code"][:20],
              "contact": form["contact"][:120], "phone_last4": (request.form.get("phone_last4") or "")[:4]}
    try:
        args = read_form(s.DoaPublicApplicationArgs, source)
        app = applications.public_apply(
            dealer_code=args["dealer_code"] or "", phone_last4=args["phone_last4"], request=args["request"] or None,
            purchase_date=args["purchase_date"], fault=args["fault"], units=args["units"], contact=args["contact"])
    except DomainError as err:
        # Field errors name only what the dealer typed; they say nothing about the dealer code.
        flash_refusal(err)
        return render_template("doa/public_apply.html", created=None, failed=False,
                               **application_form_context(form, err.errors, rows, origins)), err.status
    if app is None:
        return render_template("doa/public_apply.html", created=None, failed=True,
                               **application_form_context(form, {}, rows, origins)), 404
    return render_template("doa/public_apply.html", created=app, failed=False,
                           **application_form_context({}, {}, [], []))


@bp.route("/status", methods=["GET"])
def status_form():
    """The empty status form."""
    return render_template("doa/public_status.html", app=None, failed=False, form={})


@bp.route("/status", methods=["POST"])
@public_limit
def status():
    """An application's state for a matching DOA number + phone digits; one neutral answer otherwise."""
    form = {"number": (request.form.get("number") or "").strip()[:20]}
    try:
        args = read_form(s.DoaPublicStatusArgs, {k: (v or "").strip() for k, v in request.form.items()})
    except ValidationFailed as err:
        flash_refusal(err)
        return render_template("doa/public_status.html", app=None, failed=False, form=form), err.status
    app = lookup.public_status(args["number"], args["phone_last4"])
    if app is None:
        return render_template("doa/public_status.html", app=None, failed=True, form=form), 404
    return render_template("doa/public_status.html", app=lookup.dealer_summary(app), failed=False, form=form)


def neutral_message() -> str:
    """The one answer for a wrong dealer code / DOA number and phone digits."""
    return _("We could not match these details. Check them and try again, or call customer service.")
