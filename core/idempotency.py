"""``Idempotency-Key``: a retried API request returns the first result and changes nothing.

A scanner on a flaky Wi-Fi link does not know whether its request arrived. It
sends the same request again with the same ``Idempotency-Key`` header, and the
second (third, ...) answer is the first one, word for word, while the database
changes only once.

How a package applies it
------------------------
Put ``@idempotent`` on an API view method that changes data, *inside* the role
check and *outside* flask-smorest's ``arguments``/``response`` decorators (it
needs the finished response)::

    from core.idempotency import idempotent

    @blp.route("/scans")
    class Scans(MethodView):
        @roles_required(Role.CLERK)
        @idempotent
        @blp.arguments(ScanArgs)
        @blp.response(201, ScanSchema)
        def post(self, args):
            return service.scan(actor(), args["code"])

Nothing else is needed: the header is optional (requests without it behave as
before) and is added to the operation's OpenAPI parameters.

Page views take the same decorator; their form carries the key in a hidden field
``idempotency_key`` filled with ``{{ new_form_key() }}`` (a template global), so
a form submitted twice (a double click, a second tab) is applied once, and the
second submit gets the first one's answer (its redirect) replayed.

What it does
------------
- The key is scoped to the signed-in user. Its record (user, key, method,
  path, hash of the request body) is inserted *before* the view runs, in the
  request's own transaction (``core.uow``), and the view's status and body are
  written into it afterwards. The record therefore commits together with the
  change or rolls back with it: only successful (<400) results are kept, and a
  failed request may be retried with the same key.
- A retry with the same key and the same request returns the stored status and
  body (with ``Idempotent-Replayed: true``) and does not call the view.
- The same key with another body, method or path: 422 ``idempotency_key_reused``.
- Concurrent duplicates: the unique constraint on (user, key) makes the second
  insert wait for the first transaction; once that commits, the second request
  answers with the stored result (or 409 if there is none to give). The
  duplicate never runs the view, so it can never apply the change twice.
- Records older than :data:`RETENTION` can be removed with
  ``flask depot purge-idempotency`` (or :func:`purge`).
"""
from __future__ import annotations

import functools
import hashlib
import json
import uuid
from copy import deepcopy
from datetime import datetime, timedelta

import click
from flask import Response, current_app, request
from flask_babel import lazy_gettext as _
from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from core.accounts.auth import actor
from core.cli import depot_cli
from core.errors import Conflict, ValidationFailed
from core.extensions import db
from core.types import UTCDateTime, utcnow
from core.uow import unit_of_work

HEADER = "Idempotency-Key"
FORM_FIELD = "idempotency_key"  # the same key, sent by a page form (see new_form_key)
REPLAY_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 200
RETENTION = timedelta(days=7)

# The header as documented in the OpenAPI spec of every decorated operation.
HEADER_PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "description": (
        "Any unique string (e.g. a UUID) chosen by the client. A retry with the same key "
        "and body returns the first result and changes nothing more."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
}


class IdempotencyRecord(db.Model):
    """One idempotent request and the response it got (stored with the change itself)."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column()
    content_type: Mapped[str | None] = mapped_column(String(100))
    location: Mapped[str | None] = mapped_column(String(500))
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


def request_fingerprint() -> str:
    """Hash of method, path, query string and body (JSON bodies in canonical form)."""
    raw = request.get_data(cache=True)
    body = raw
    if not raw and request.form:
        # A form already parsed (the CSRF check reads it first): its fields stand for the body.
        body = json.dumps(sorted((k, request.form.getlist(k)) for k in request.form if k != "csrf_token"),
                          ensure_ascii=False).encode()
    if raw and request.is_json:
        try:
            body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":"),
                              ensure_ascii=False).encode()
        except ValueError:
            body = raw  # not JSON after all: the view will say so
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), request.query_string, body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def new_form_key() -> str:
    """A fresh key for a page form's hidden :data:`FORM_FIELD` (a template global)."""
    return uuid.uuid4().hex


def _read_key() -> str | None:
    key = request.headers.get(HEADER)
    if key is None and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        # A page form carries its key in a hidden field: a double submit of the same form
        # (two clicks, or two tabs) is the same request and is applied once.
        key = request.form.get(FORM_FIELD)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed(
            str(_("The %(header)s header must be 1 to %(n)s printable characters.", header=HEADER, n=MAX_KEY_LENGTH)),
            errors={HEADER: [str(_("Invalid."))]},
        )
    return key


def _find(user_id: int, key: str) -> IdempotencyRecord | None:
    return db.session.scalar(
        select(IdempotencyRecord).where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key)
    )


def _replay(record: IdempotencyRecord, fingerprint: str, secret: bool = False) -> Response:
    if record.request_hash != fingerprint:
        raise ValidationFailed(
            str(_("This %(header)s was already used for a different request; use a new key.", header=HEADER)),
            code="idempotency_key_reused",
            errors={HEADER: [str(_("Already used for a different request."))]},
        )
    if record.status_code is None:
        raise Conflict(str(_("The first request with this key is still being processed; retry shortly.")))
    if secret:
        # The first answer held a secret shown once (a new token); it was not kept.
        raise Conflict(str(_("This request was already applied; its answer is shown only once.")),
                       code="already_applied")
    response = Response(record.response_body or b"", status=record.status_code,
                        content_type=record.content_type or "application/json")
    if record.location:
        response.headers["Location"] = record.location
    response.headers[REPLAY_HEADER] = "true"
    return response


def _to_response(result) -> Response:
    return result if isinstance(result, Response) else current_app.make_response(result)


def idempotent(view=None, *, secret: bool = False):
    """Decorate an API view method so an ``Idempotency-Key`` makes retries safe (see module doc).

    ``@idempotent(secret=True)``: the answer holds a secret shown only once (a new API
    token), so it is not stored; a retry with the same key changes nothing and gets 409.
    """
    if view is None:
        return functools.partial(idempotent, secret=secret)

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        key = _read_key()
        user = actor()
        if key is None or user is None:
            return view(*args, **kwargs)
        user_id = user.id
        fingerprint = request_fingerprint()
        existing = _find(user_id, key)
        if existing is not None:
            return _replay(existing, fingerprint, secret)

        # Claim the key first. A concurrent duplicate blocks here on the unique
        # constraint until this transaction ends, and then sees our result.
        record = IdempotencyRecord(user_id=user_id, key=key, method=request.method,
                                   path=request.path[:500], request_hash=fingerprint)
        db.session.add(record)
        try:
            db.session.flush()
        except IntegrityError:
            # Nothing of this request was written yet: start afresh and answer
            # with what the request that won the race stored.
            db.session.rollback()
            winner = _find(user_id, key)
            if winner is None:
                raise Conflict(str(_("A request with this key was being processed at the same time; retry."))) from None
            return _replay(winner, fingerprint, secret)

        response = _to_response(view(*args, **kwargs))
        if response.status_code < 400 and not response.is_streamed:
            record.status_code = response.status_code
            record.content_type = response.content_type
            record.location = response.headers.get("Location")
            record.response_body = None if secret else response.get_data()
            db.session.flush()
        # An error response rolls the whole unit of work back, the record too.
        return response

    wrapped._apidoc = deepcopy(getattr(view, "_apidoc", {}))
    params = wrapped._apidoc.setdefault("arguments", {}).setdefault("parameters", [])
    if all(p.get("name") != HEADER for p in params if isinstance(p, dict)):
        params.append(dict(HEADER_PARAMETER))
    wrapped._depot_idempotent = True
    return wrapped


def purge(older_than: timedelta = RETENTION) -> int:
    """Delete records older than ``older_than``; returns how many (flush only)."""
    cutoff = utcnow() - older_than
    result = db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff))
    return result.rowcount or 0


def _register_cli() -> None:
    if "purge-idempotency" in depot_cli.commands:
        return

    @depot_cli.command("purge-idempotency")
    @click.option("--days", default=RETENTION.days, show_default=True, help="Keep records this many days.")
    @unit_of_work
    def purge_command(days):
        """Forget Idempotency-Key records older than --days."""
        click.echo(f"removed {purge(timedelta(days=days))} idempotency records")


_register_cli()
