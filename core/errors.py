"""Domain errors and the handlers that turn every error into a clear answer.

Services raise :class:`DomainError` subclasses; the handlers turn them (and
HTTP and validation errors) into JSON for ``/api`` and a readable page
elsewhere. Internal errors never leak their message.
"""
from __future__ import annotations

import logging

from flask import current_app, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from core.extensions import db
from core.validation_messages import translate_messages

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule of the business was broken; the message is safe to show.

    ``errors`` holds each field's messages under the field's name (as the API answers);
    ``labels`` gives, for a key of ``errors``, the words a user reads for it (a field's
    translated label), so a page names the field without ever showing its code.
    """

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, errors: dict | None = None, code: str | None = None,
                 labels: dict | None = None, **extra):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        self.labels = labels or {}
        if code:
            self.code = code
        self.extra = extra


class ValidationFailed(DomainError):
    status = 422
    code = "validation_error"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class MailNotSent(DomainError):
    """The mail server could not be reached or refused the message; the step is not recorded."""

    status = 503
    code = "mail_not_sent"


class InvalidTransition(Conflict):
    """A state change not allowed from the current state."""

    code = "invalid_transition"

    def __init__(self, message: str, *, current: str, allowed: list[str], **extra):
        super().__init__(message, current_state=current, allowed=sorted(allowed), **extra)


def wants_json() -> bool:
    """API requests, and pages asked for JSON, get JSON errors."""
    if request.path.startswith("/api/") or request.path == "/api":
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(status: int, code: str, message: str, errors: dict | None = None, *,
                   labels: dict | None = None, **extra):
    """The error as JSON (the API) or as a page; ``labels`` names a page's fields in words."""
    if wants_json():
        body = {"status": status, "code": code, "message": message, "errors": errors or {}}
        body.update(extra)
        return jsonify(body), status

    try:
        # The layout shows the signed-in user's menu, which loads the user.
        page = render_template("core/error.html", status=status, code=code, message=message,
                               errors=errors or {}, labels=labels or {})
    except SQLAlchemyError as err:
        if not database_unreachable(err):
            raise
        return unavailable_response(), 503
    return page, status


# How long a client should wait before trying again while the database is away.
RETRY_AFTER_SECONDS = 5


def unavailable_response():
    """503 while the database is unreachable: JSON for the API, else a page that
    needs nothing from the database (not even the signed-in user)."""
    _rollback_quietly()
    message = gettext("The database cannot be reached at the moment; please try again in a minute.")
    if request.path == "/healthz":  # load balancers read this one
        response = jsonify({"status": "unavailable", "database": "unreachable"})
    elif wants_json():
        response = jsonify({"status": 503, "code": "database_unavailable", "message": message, "errors": {}})
    else:
        # Straight from the template, without the context processors: they would ask the
        # database who is signed in (for the menu), and that is what is missing.
        page = current_app.jinja_env.get_template("core/unavailable.html")
        response = make_response(page.render(message=message, title=gettext("Database unavailable"),
                                             retry=gettext("Try again")))
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _flatten_webargs(messages) -> dict:
    # webargs nests messages by location ("json", "query", ...); callers want fields.
    if isinstance(messages, dict):
        flat: dict = {}
        for location, fields in messages.items():
            if isinstance(fields, dict):
                flat.update(fields)
            else:
                flat[location] = fields
        return flat
    return {"_schema": messages}


def handle_domain_error(err: DomainError):
    return error_response(err.status, err.code, str(err.message), err.errors, labels=err.labels, **err.extra)


# The code and the words of an HTTP error that no code of Depot's described (werkzeug's own
# descriptions are English). A 413's words name the upload limit: handle_http_exception.
_HTTP_ANSWERS = {
    400: ("bad_request", _l("The request could not be understood.")),
    401: ("unauthorized", _l("Sign in first.")),
    403: ("forbidden", _l("Your role does not allow this.")),
    404: ("not_found", _l("There is nothing at this address.")),
    405: ("method_not_allowed", _l("This address does not take this kind of request.")),
    409: ("conflict", _l("The request conflicts with the record as it is now.")),
    413: ("too_large", None),
    415: ("unsupported_media_type", _l("This address does not take data of this type.")),
    422: ("validation_error", _l("The request has invalid fields.")),
    429: ("too_many_requests", _l("Too many requests; wait a minute.")),
}


def _http_message(err: HTTPException, status: int) -> str:
    """The words a user reads for ``err``.

    Depot's own code describes its refusals as DomainErrors; an HTTPException's description
    is werkzeug's or a library's, in English, so the status's own words are shown instead.
    """
    limit = getattr(err, "limit", None)  # flask-limiter's: its error_message is Depot's, translated
    if limit is not None and limit.error_message:
        return err.description
    _code, known = _HTTP_ANSWERS.get(status, (None, None))
    return str(known) if known else gettext("The request could not be answered (HTTP %(status)s).", status=status)


def handle_http_exception(err: HTTPException):
    status = err.code or 500
    errors = {}
    message = _http_message(err, status)
    data = getattr(err, "data", None) or {}
    if "messages" in data:
        # marshmallow's messages in the user's language, as a page shows them (core.forms).
        errors = translate_messages(_flatten_webargs(data["messages"]))
    elif isinstance(data.get("message"), str):
        message = data["message"]
    if status == 400 and "json" in (errors or {}):
        message = gettext("The request body is not valid JSON.")
    if status == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
        message = gettext("The upload is larger than the limit of %(mb)s MB; split the file into smaller ones.",
                          mb=format(limit / (1024 * 1024), ".0f"))
    code = _HTTP_ANSWERS.get(status, ("http_error", None))[0]
    if isinstance(err, CSRFError):
        # Mostly a form kept open past its session (or a second tab signed out meanwhile). The
        # code is what the scan station reads to take a fresh token and send again.
        code, message = "csrf_failed", gettext("This form has expired; reload the page and send it again.")
    if status == 401 and not wants_json():
        return redirect(url_for("accounts.login", next=request.full_path))
    return error_response(status, code, message, errors)


def handle_unexpected(err: Exception):
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500, "internal_error", gettext("Something went wrong on our side; it has been logged."))


# PostgreSQL SQLSTATEs for "two transactions collided; retrying will work".
_RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03"}
# PostgreSQL SQLSTATEs of a server going away: connection exceptions (08...), shutdown
# or termination (57P01-57P03), a database not accepting connections (55000 at connect).
_UNREACHABLE_SQLSTATE_PREFIXES = ("08", "57P")
# SQLite's words for a database file it cannot reach.
_SQLITE_UNREACHABLE = ("unable to open database file", "disk i/o error")


def database_unreachable(err) -> bool:
    """Whether ``err`` (a SQLAlchemy error) means the database cannot be reached at all,
    as opposed to a statement the database refused."""
    if isinstance(err, (PoolTimeout, InterfaceError)):
        return True
    if not isinstance(err, DBAPIError):
        return False
    if err.connection_invalidated:
        return True
    orig = err.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate and sqlstate.startswith(_UNREACHABLE_SQLSTATE_PREFIXES):
        return True
    text = str(orig).lower()
    if any(words in text for words in _SQLITE_UNREACHABLE):
        return True
    # psycopg reports a failed connection attempt (refused, not accepting, gone) with no SQLSTATE.
    return sqlstate is None and type(orig).__module__.startswith("psycopg") and (
        "connection" in text or "server closed" in text or "terminat" in text)


def _rollback_quietly() -> None:
    """Roll the session back; with the database gone that may fail too, which changes nothing."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        db.session.remove()


# PostgreSQL's SQLSTATE for a unique (or primary key) constraint refusing a row.
_UNIQUE_SQLSTATE = "23505"
# SQLite's words for the same (a primary key refusal reads the same way).
_SQLITE_UNIQUE = ("unique constraint failed",)


def unique_violation(err) -> bool:
    """Whether ``err`` is an IntegrityError from a unique or primary key constraint."""
    if not isinstance(err, IntegrityError):
        return False
    orig = getattr(err, "orig", None)
    if getattr(orig, "sqlstate", None) == _UNIQUE_SQLSTATE:
        return True
    text = str(orig).lower()
    return any(words in text for words in _SQLITE_UNIQUE)


def handle_database_error(err):
    """Collisions and out-of-range values are the client's to retry or fix, not a 500;
    an unreachable database is a 503."""
    if database_unreachable(err):
        log.warning("database unreachable on %s %s: %s", request.method, request.path, err.__class__.__name__)
        return unavailable_response()
    _rollback_quietly()
    if isinstance(err, DataError):
        return error_response(422, "out_of_range", gettext("A value is out of range for this field."))
    sqlstate = getattr(getattr(err, "orig", None), "sqlstate", None)
    if unique_violation(err):
        # Two requests created the same record at once (at flush or at commit): the one
        # that lost is told so, and nothing of it was kept.
        return collision_response()
    if sqlstate in _RETRYABLE_SQLSTATES or "database is locked" in str(getattr(err, "orig", "")):
        return collision_response()
    return handle_unexpected(err)


def collision_response():
    """409: another request saved a change to the same records first; nothing of this one was kept."""
    return error_response(409, "conflict", gettext(
        "The change conflicts with a record saved at the same time; reload and try again."))


def handle_overflow(err: OverflowError):
    db.session.rollback()
    return error_response(422, "out_of_range", gettext("A number is too large."))


def register_errorhandlers(app) -> None:
    """Install the handlers; registered after the API so ours win."""
    app.register_error_handler(DataError, handle_database_error)
    app.register_error_handler(IntegrityError, handle_database_error)
    app.register_error_handler(OperationalError, handle_database_error)
    app.register_error_handler(InterfaceError, handle_database_error)
    app.register_error_handler(PoolTimeout, handle_database_error)
    app.register_error_handler(OverflowError, handle_overflow)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
