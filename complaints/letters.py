"""The dealer's written complaint letter (代理商客诉反馈函, 6.2) kept on file.

Accepted only if its content is a PDF, JPEG or PNG (first bytes checked; name and
client content type ignored), not empty and not above ``COMPLAINT_MAX_ATTACHMENT_BYTES``
(default 5 MiB). Stored under ``UPLOAD_FOLDER/complaints/`` with a generated name,
through :func:`core.stored_files.write_file` (removed again if the request rolls back),
and served only through :func:`get_attachment`, which checks the reader.
"""
from __future__ import annotations

from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import func, select

from complaints.models import Complaint, ComplaintAttachment
from complaints.service import DESK, event, may_see, row_by_id
from core import authz
from core.errors import Conflict, NotFound, ValidationFailed
from core.extensions import db
from core.locking import lock_row
from core.stored_files import archive_upload, archived_path, sha256_of
from core.types import utcnow
from core.uploads import plain_filename, read_upload, size_limit
from core.workflow import who

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_PER_COMPLAINT = 10


def _max_bytes() -> int:
    return size_limit("COMPLAINT_MAX_ATTACHMENT_BYTES", DEFAULT_MAX_BYTES)


FOLDER = "complaints"


def attach_letter(actor, complaint: Complaint, stream, filename: str = "") -> ComplaintAttachment:
    """Keep the dealer's letter on file; 422 (missing, empty), 413 (too large), 415 (type), 409 (same file)."""
    authz.require(actor, *DESK, message=_("Your role does not allow this step."))
    if not may_see(actor, complaint):
        raise NotFound(_("No such complaint."))
    if stream is None:
        raise ValidationFailed(_("Choose the dealer's complaint letter file."), errors={"file": [_("Required.")]})
    data, content_type, ext = read_upload(stream, _max_bytes())
    # One upload at a time per complaint: the same file sent twice at once is stored once.
    lock_row(Complaint, complaint.id)
    digest = sha256_of(data)
    same = db.session.scalar(select(ComplaintAttachment).where(ComplaintAttachment.complaint_id == complaint.id,
                                                               ComplaintAttachment.sha256 == digest).limit(1))
    if same is not None:
        raise Conflict(_("This file is already attached (%(name)s).", name=same.original_name or same.stored_name),
                       errors={"file": [_("Already attached.")]})
    count = db.session.scalar(select(func.count(ComplaintAttachment.id))
                              .where(ComplaintAttachment.complaint_id == complaint.id))
    if count >= MAX_PER_COMPLAINT:
        raise ValidationFailed(_("A complaint keeps at most %(n)s files.", n=MAX_PER_COMPLAINT),
                               errors={"file": [_("Too many files.")]})
    stored = archive_upload(db.session(), FOLDER, data, ext)
    original = plain_filename(filename)
    now = utcnow()
    row = ComplaintAttachment(complaint_id=complaint.id, stored_name=stored, original_name=original,
                              content_type=content_type, size=len(data), sha256=digest, uploaded_at=now,
                              uploaded_by=who(actor)[1])
    db.session.add(row)
    db.session.flush()
    event(actor, complaint, "attach", note=original, at=now, data={"attachment": row.id, "size": len(data)})
    return row


def attachments(complaint: Complaint) -> list[ComplaintAttachment]:
    """The complaint's letters on file, oldest first (the caller checked the reader)."""
    return list(db.session.scalars(select(ComplaintAttachment)
                                   .where(ComplaintAttachment.complaint_id == complaint.id)
                                   .order_by(ComplaintAttachment.id)))


def get_attachment(actor, attachment_id: int) -> tuple[ComplaintAttachment, Path, str]:
    """The attachment, its file and a download name, if ``actor`` may read its complaint."""
    row = row_by_id(ComplaintAttachment, attachment_id)
    complaint = db.session.get(Complaint, row.complaint_id) if row is not None else None
    if complaint is None or not may_see(actor, complaint):
        raise NotFound(_("No such attachment."))
    return row, archived_path(FOLDER, row.stored_name), f"{complaint.number}-letter-{row.id}.{row.extension}"
