"""The scanned, signed DOA application (B.7: 扫描将电子文件 … 存档保留).

A file is accepted only if its content is a PDF, JPEG or PNG (the first bytes
are checked; the file name and the client's content type are ignored), it is
not empty and not larger than ``DOA_MAX_ATTACHMENT_BYTES`` (default 5 MiB;
the request as a whole is capped by ``MAX_CONTENT_LENGTH``). It is stored
under ``UPLOAD_FOLDER/doa/`` (outside the web root) with a generated name and
served only through :func:`open_for_download`, which checks the reader's role.
"""
from __future__ import annotations

from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import func, select

from core.accounts.roles import DEPARTMENT_ROLES, Role
from core.errors import Conflict, NotFound, ValidationFailed
from core.extensions import db
from core.locking import lock_row
from core.stored_files import archive_upload, archived_path, sha256_of
from core.types import utcnow
from core.uploads import plain_filename, read_upload, size_limit
from doa.models import DoaApplication, DoaAttachment
from doa.service import _event, _who, ensure_access, require_role, row_by_id

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
# Who may upload the signed application, and who may read it: CS and the
# departments that sign it; office users for their own office's dealers.
UPLOADERS = (Role.SERVICE, Role.SUPERVISOR)
READERS = tuple({Role.SERVICE, Role.SUPERVISOR, Role.OFFICE} | DEPARTMENT_ROLES)
MAX_PER_APPLICATION = 20


def max_bytes() -> int:
    """The size limit of one attachment (never above the request limit)."""
    return size_limit("DOA_MAX_ATTACHMENT_BYTES", DEFAULT_MAX_BYTES)


FOLDER = "doa"


def add_attachment(actor, app: DoaApplication, stream, filename: str = "") -> DoaAttachment:
    """Check and store the signed application; raises 422 (empty/missing), 413 (too large), 415 (type)."""
    require_role(actor, *UPLOADERS)
    ensure_access(actor, app.office_id)
    if stream is None:
        raise ValidationFailed(_("Choose the scanned application file."), errors={"file": [_("Required.")]})
    data, content_type, ext = read_upload(stream, max_bytes())
    # One upload at a time per application (the same file sent twice at once is stored once).
    lock_row(DoaApplication, app.id)
    digest = sha256_of(data)
    same = db.session.scalar(select(DoaAttachment).where(DoaAttachment.application_id == app.id,
                                                         DoaAttachment.sha256 == digest).limit(1))
    if same is not None:
        raise Conflict(_("This file is already attached (%(name)s).", name=same.original_name or same.stored_name),
                       errors={"file": [_("Already attached.")]})
    count = db.session.scalar(select(func.count(DoaAttachment.id)).where(DoaAttachment.application_id == app.id))
    if count >= MAX_PER_APPLICATION:
        raise ValidationFailed(_("An application keeps at most %(n)s files.", n=MAX_PER_APPLICATION),
                               errors={"file": [_("Too many files.")]})
    # Removed again if this request's change rolls back, at any later point.
    stored = archive_upload(db.session(), FOLDER, data, ext)
    original = plain_filename(filename)
    now = utcnow()
    row = DoaAttachment(application_id=app.id, stored_name=stored, original_name=original,
                        content_type=content_type, size=len(data), sha256=digest,
                        uploaded_at=now, uploaded_by=_who(actor)[1])
    db.session.add(row)
    db.session.flush()
    _event(actor, app.id, "attach", note=original, at=now, data={"attachment": row.id, "size": len(data)})
    return row


def attachments(app: DoaApplication) -> list[DoaAttachment]:
    """The application's attachments, oldest first (the caller checked the reader)."""
    return list(db.session.scalars(select(DoaAttachment).where(DoaAttachment.application_id == app.id)
                                   .order_by(DoaAttachment.id)))


def get_attachment(actor, attachment_id: int) -> tuple[DoaAttachment, Path]:
    """The attachment and its file path if ``actor``'s role may read it (403 otherwise)."""
    require_role(actor, *READERS)
    row = row_by_id(DoaAttachment, attachment_id)
    if row is None:
        raise NotFound(_("No such attachment."))
    app = db.session.get(DoaApplication, row.application_id)
    ensure_access(actor, app.office_id)
    return row, archived_path(FOLDER, row.stored_name)


def download_name(row: DoaAttachment) -> str:
    """A safe file name for the download: DOA number, attachment id, the real extension."""
    app = db.session.get(DoaApplication, row.application_id)
    return f"{app.number}-signed-{row.id}.{row.extension}"
