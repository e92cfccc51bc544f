"""Home page and health check."""
from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from core.errors import database_unreachable, unavailable_response
from core.extensions import db

bp = Blueprint("core", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/core")


@bp.route("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    return render_template("core/home.html")


@bp.route("/healthz")
def health():
    """Liveness and database reachability, for load balancers: 200, or 503 while the
    database cannot be reached."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as err:
        if not database_unreachable(err):
            raise
        return unavailable_response()
    return jsonify({"status": "ok"})
