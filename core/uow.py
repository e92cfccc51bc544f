"""One commit per request or command.

Services only ``flush``. The request that called them commits once, after the
view returned a successful response; any error response or exception rolls the
whole unit of work back. CLI commands use :func:`unit_of_work`.
"""
from __future__ import annotations

import functools
import logging

from flask import g, make_response
from sqlalchemy.exc import IntegrityError, OperationalError

from core.errors import collision_response, database_unreachable, unavailable_response
from core.extensions import db

log = logging.getLogger(__name__)


def commit_request(response):
    """``after_request`` hook: commit on success, roll back otherwise."""
    if g.get("uow_rollback_only") or response.status_code >= 400:
        db.session.rollback()
        return response
    try:
        db.session.commit()
    except (IntegrityError, OperationalError) as exc:
        if database_unreachable(exc):
            return unavailable_response()
        db.session.rollback()
        log.warning("commit refused: %s", exc.__class__.__name__)

        resp, status = collision_response()
        if isinstance(resp, str):
            return make_response(resp, status)
        resp.status_code = status
        return resp
    return response


def rollback_on_teardown(exc):
    if exc is not None:
        db.session.rollback()


def unit_of_work(fn):
    """Wrap a CLI command: commit once at the end, roll back on any error."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            result = fn(*args, **kwargs)
            db.session.commit()
            return result
        except BaseException:
            db.session.rollback()
            raise

    return wrapper


def init_app(app) -> None:
    app.after_request(commit_request)
    app.teardown_request(rollback_on_teardown)
