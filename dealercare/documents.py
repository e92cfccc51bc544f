"""The policy documents (service policy, warranty terms) every new dealer's welcome pack carries.

The supervisor uploads them (PDF only, checked by content) and retires an old version;
the files live under ``UPLOAD_FOLDER/dealer-documents/`` with generated names.
"""
from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from core import authz
from core.accounts.roles import Role
from core.errors import Conflict, NotFound, ValidationFailed
from core.extensions import db
from core.ids import is_id
from core.input_limits import single_line_problem
from core.stored_files import write_file
from core.types import utcnow
from core.uploads import PDF_ONLY, plain_filename, read_upload, size_limit
from core.workflow import who
from dealercare.models import PolicyDocument

EDITORS = (Role.SUPERVISOR,)
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


def _folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "dealer-documents"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def document_path(doc: PolicyDocument) -> Path:
    """Where ``doc``'s file is kept."""
    return _folder() / doc.stored_name


def active_documents() -> list[PolicyDocument]:
    """The policy documents a welcome pack carries, oldest first."""
    return list(db.session.scalars(select(PolicyDocument).where(PolicyDocument.active.is_(True))
                                   .order_by(PolicyDocument.id)))


def add_document(actor, stream, filename: str, title: str) -> PolicyDocument:
    """Keep an uploaded policy document (a PDF) for the welcome packs from now on."""
    authz.require(actor, *EDITORS, message=_("Only the supervisor changes the policy documents."))
    title = (title or "").strip()
    problem = _("Required.") if not title else (
        single_line_problem(title) or (_("At most %(n)s characters.", n=120) if len(title) > 120 else None))
    if problem:
        raise ValidationFailed(_("Give the document a title."), errors={"title": [str(problem)]})
    data, _type, ext = read_upload(stream, size_limit("DEALER_DOCUMENT_MAX_BYTES", DEFAULT_MAX_BYTES), PDF_ONLY)
    digest = hashlib.sha256(data).hexdigest()
    _refuse_known(digest)
    stored = f"{secrets.token_hex(16)}.{ext}"
    write_file(db.session(), _folder() / stored, data)
    doc = PolicyDocument(title=title, filename=plain_filename(filename) or f"{title}.pdf", stored_name=stored,
                         size=len(data), sha256=digest, active=True, uploaded_at=utcnow(),
                         uploaded_by=who(actor)[1])
    try:
        # In a savepoint: the same file uploaded at the same moment is a 409, not a 500.
        with db.session.begin_nested():
            db.session.add(doc)
    except IntegrityError:
        _refuse_known(digest)
        raise
    return doc


def _refuse_known(digest: str) -> None:
    same = db.session.scalar(select(PolicyDocument).where(PolicyDocument.sha256 == digest))
    if same is not None:
        raise Conflict(_("This file is already on record as %(t)s.", t=same.title),
                       errors={"file": [_("Already on record.")]})


def retire_document(actor, document_id) -> PolicyDocument:
    """Stop sending a policy document (kept on record); retiring it twice is a 409."""
    authz.require(actor, *EDITORS, message=_("Only the supervisor changes the policy documents."))
    doc = db.session.get(PolicyDocument, document_id) if is_id(document_id) else None
    if doc is None:
        raise NotFound(_("No such document."))
    done = db.session.execute(update(PolicyDocument).where(PolicyDocument.id == doc.id,
                                                           PolicyDocument.active.is_(True))
                              .values(active=False).execution_options(synchronize_session=False)).rowcount
    if not done:
        raise Conflict(_("This document is already retired."))
    db.session.refresh(doc)
    return doc


def get_document(actor, document_id) -> tuple[PolicyDocument, Path]:
    """A document and its file, for CS to read."""
    authz.require(actor, Role.SERVICE, Role.SUPERVISOR, message=_("Dealer care is for customer service."))
    doc = db.session.get(PolicyDocument, document_id) if is_id(document_id) else None
    if doc is None:
        raise NotFound(_("No such document."))
    return doc, document_path(doc)
