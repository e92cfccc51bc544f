"""Signed documents of the spare cycle (备品签字版文件, manual 3.5): scans kept on a record.

Offices and HQ keep the signed paper of a spare request, a year-end return or a stock
count as a scan on that record. A file goes through :mod:`core.uploads` (PDF, JPEG or
PNG by content, not empty, at most ``INVENTORY_MAX_DOCUMENT_BYTES``, default 5 MiB)
and is archived under ``UPLOAD_FOLDER/spares/`` through :mod:`core.stored_files`
(removed again if the request rolls back).

Who may: whoever may read the record reads its documents (the record's own guard:
:func:`spares.get_request`, :func:`spares.get_return`, :func:`counts.get_count`). Who
may take a step on the record attaches to it: for requests and returns an office user
for their own office or HQ staff (``spares._office_actor_may``, as the office steps),
for counts the office counted, whoever counted it, or the supervisor (as withdrawing).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from flask_babel import gettext as _
from sqlalchemy import func, select

from core.accounts.roles import Role
from core.authz import require
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.locking import lock_row
from core.stored_files import archive_upload, archived_path, sha256_of
from core.types import utcnow
from core.uploads import plain_filename, read_upload, size_limit
from core.workflow import who
from inventory import counts as count_svc
from inventory import service, spares
from inventory.models import OfficeReturn, SignedDocument, SpareRequest, StockCount

FOLDER = "spares"
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_PER_RECORD = 20


def max_bytes() -> int:
    """The size limit of one signed document (never above the request limit)."""
    return size_limit("INVENTORY_MAX_DOCUMENT_BYTES", DEFAULT_MAX_BYTES)


def _may_attach_office_record(actor, record) -> None:
    spares._office_actor_may(actor, record.office_id)


def _may_attach_count(actor, count: StockCount) -> None:
    if not count_svc.is_count_party(actor, count):
        raise Forbidden(_("Only the office that counted, the person who counted or the supervisor "
                          "can attach signed documents to a count."))


@dataclass(frozen=True)
class RecordKind:
    """One kind of record that keeps signed documents: how to read it and who may attach."""

    column: str
    model: type
    read: Callable  # (actor, id) -> record, the record's own guard (404/403)
    may_attach: Callable  # (actor, record) -> None or raises Forbidden
    roles: tuple  # the roles that take steps on it (the routes' role check)


# Roles as the records' workflows allow: the steps of requests and returns are the office's,
# the clerk's and the supervisor's; counts are recorded by the staff and channel staff.
OFFICE_RECORD_ROLES = (Role.OFFICE, Role.CLERK, Role.SUPERVISOR)
COUNT_ROLES = (Role.CLERK, Role.SERVICE, Role.SUPERVISOR, Role.OFFICE, Role.CHANNEL)

KINDS = {
    "request": RecordKind("request_id", SpareRequest, spares.get_request, _may_attach_office_record,
                          OFFICE_RECORD_ROLES),
    "return": RecordKind("return_id", OfficeReturn, spares.get_return, _may_attach_office_record,
                         OFFICE_RECORD_ROLES),
    "count": RecordKind("count_id", StockCount, count_svc.get_count, _may_attach_count, COUNT_ROLES),
}
READERS = tuple(dict.fromkeys(COUNT_ROLES))


def kind_of(record) -> str:
    """The kind (``request``, ``return``, ``count``) of a record."""
    for name, kind in KINDS.items():
        if isinstance(record, kind.model):
            return name
    raise TypeError(type(record))


def may_attach(actor, record) -> bool:
    """Whether ``actor`` may attach signed documents to ``record`` (the page's upload form)."""
    kind = KINDS[kind_of(record)]
    if actor is None or not actor.has_role(*kind.roles):
        return False
    try:
        kind.may_attach(actor, record)
    except Forbidden:
        return False
    return True


def attach(actor, record, stream, filename: str = "") -> SignedDocument:
    """Keep a signed scan on ``record``; 403 (who), 422 (missing, empty, too many), 413 (size), 415 (type),
    409 (the same file is already on the record). Nothing is stored when refused."""
    kind = KINDS[kind_of(record)]
    require(actor, *kind.roles, message=_("Your role does not allow this step."))
    kind.may_attach(actor, record)
    if stream is None:
        raise ValidationFailed(_("Choose the signed document's file."), errors={"file": [_("Required.")]})
    data, content_type, ext = read_upload(stream, max_bytes())
    # One upload at a time per record: the same file sent twice at once is stored once.
    lock_row(kind.model, record.id)
    column = getattr(SignedDocument, kind.column)
    digest = sha256_of(data)
    same = db.session.scalar(select(SignedDocument).where(column == record.id, SignedDocument.sha256 == digest)
                             .limit(1))
    if same is not None:
        raise Conflict(_("This file is already attached (%(name)s).", name=same.original_name or same.stored_name),
                       errors={"file": [_("Already attached.")]})
    if db.session.scalar(select(func.count(SignedDocument.id)).where(column == record.id)) >= MAX_PER_RECORD:
        raise ValidationFailed(_("A record keeps at most %(n)s signed documents.", n=MAX_PER_RECORD),
                               errors={"file": [_("Too many files.")]})
    stored = archive_upload(db.session(), FOLDER, data, ext)
    row = SignedDocument(stored_name=stored, original_name=plain_filename(filename), content_type=content_type,
                         size=len(data), sha256=digest, uploaded_at=utcnow(), uploaded_by=who(actor)[1])
    setattr(row, kind.column, record.id)
    db.session.add(row)
    db.session.flush()
    return row


def documents(record) -> list[SignedDocument]:
    """The record's signed documents, oldest first (the caller read the record through its guard)."""
    column = getattr(SignedDocument, KINDS[kind_of(record)].column)
    return list(db.session.scalars(select(SignedDocument).where(column == record.id).order_by(SignedDocument.id)))


def get_document(actor, document_id) -> tuple[SignedDocument, Path, str]:
    """The document, its file and a download name, if ``actor`` may read its record (404/403 otherwise)."""
    row = service.by_id(SignedDocument, document_id)
    if row is None:
        raise NotFound(_("No such attachment."))
    for kind in KINDS.values():
        record_id = getattr(row, kind.column)
        if record_id is not None:
            record = kind.read(actor, record_id)
            break
    else:  # the check constraint makes this impossible
        raise NotFound(_("No such attachment."))
    return row, archived_path(FOLDER, row.stored_name), f"{record.number}-signed-{row.id}.{row.extension}"
