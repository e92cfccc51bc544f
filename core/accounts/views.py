"""Login, logout, language and token pages."""
from urllib.parse import urlparse

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import logout_user

from core.accounts import service
from core.accounts.auth import actor, login_required, start_session
from core.accounts.forms import LoginForm, TokenForm
from core.extensions import limiter
from core.idempotency import idempotent

bp = Blueprint("accounts", __name__, template_folder="templates")


def _safe_next(target: str | None) -> str:
    # Only same-site relative paths: never an open redirect.
    if target and target.startswith("/") and not target.startswith("//") and not urlparse(target).netloc:
        return target
    return url_for("core.home")


def _login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], error_message=lambda: _("Too many sign-in attempts; wait a minute."))
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = service.authenticate(form.username.data, form.password.data)
        if user is not None:
            session.clear()
            start_session(user)
            if user.locale:
                session["locale"] = user.locale
            return redirect(_safe_next(request.args.get("next")))
        flash(_("Wrong username or password."), "error")
        return render_template("accounts/login.html", form=form), 401
    if request.method == "POST":
        return render_template("accounts/login.html", form=form), 400
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    user = actor()
    if user is not None:
        service.end_sessions(user)  # a saved copy of this cookie must not work either
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/language/<code>", methods=["POST"])
def set_language(code):
    if code not in current_app.config["DEPOT_LOCALES"]:
        flash(_("Unknown language."), "error")
        return redirect(_safe_next(request.form.get("next"))), 400
    session["locale"] = code
    user = actor()
    if user is not None:
        service.set_locale(user, code)
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
@idempotent(secret=True)
def tokens():
    form = TokenForm()
    new_token = None
    status = 200
    if form.validate_on_submit():
        token, new_token = service.create_token(actor(), form.name.data)
        flash(_("Token created. Copy it now: it will not be shown again."), "success")
    elif request.method == "POST":
        flash(_("Give the token a name."), "error")
        status = 422
    return render_template(
        "accounts/tokens.html", form=form, tokens=service.tokens_of(actor()), new_token=new_token
    ), status


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id):
    service.revoke_token(actor(), token_id)
    flash(_("Token revoked."), "success")
    return redirect(url_for("accounts.tokens"))
