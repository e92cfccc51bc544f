"""Files written with a database change: kept if the change commits, removed if it rolls back.

An upload is written to disk before its row is flushed, and the request may still
fail afterwards (a later check, a refused commit). The file then belongs to
nothing; so each file written through :func:`write_file` is remembered on the
session and deleted when the session rolls back.
"""
from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.errors import NotFound
from core.types import UTCDateTime, utcnow

_KEY = "depot_files_written"


def write_file(session: Session, path: Path, data: bytes, mode: int = 0o640) -> Path:
    """Write ``data`` to ``path`` (whole or not at all) as part of ``session``'s transaction."""
    partial = path.with_name(path.name + ".part")
    with open(partial, "wb") as fh:
        fh.write(data)
    os.chmod(partial, mode)
    # Renamed into place, so a reader never sees half a file.
    os.replace(partial, path)
    session.info.setdefault(_KEY, []).append(path)
    return path


def _keep(session: Session) -> None:
    session.info.pop(_KEY, None)


def _remove(session: Session) -> None:
    for path in session.info.pop(_KEY, []):
        path.unlink(missing_ok=True)


def install() -> None:
    """Listen on every ORM session (idempotent)."""
    if not event.contains(Session, "after_commit", _keep):
        event.listen(Session, "after_commit", _keep)
        event.listen(Session, "after_rollback", _remove)


class StoredFileColumns:
    """The columns of an uploaded file kept on a record (DOA, complaints, spares' signed documents).

    The model adds the column that points at its record and its indexes.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    original_name: Mapped[str] = mapped_column(String(200), default="")
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by: Mapped[str] = mapped_column(String(64), default="")

    @property
    def extension(self) -> str:
        """The real extension (from the content, as stored)."""
        return self.stored_name.rsplit(".", 1)[-1]


# --- the archive of uploaded scans ------------------------------------------------------------
# DOA's signed applications, complaint letters and the spares' signed documents all keep
# their files the same way: a folder per package under UPLOAD_FOLDER (outside the web root),
# a generated name (never the client's), and a path checked again before it is served.

def archive_folder(name: str) -> Path:
    """``UPLOAD_FOLDER/<name>``, created on first use."""
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def archive_upload(session: Session, folder_name: str, data: bytes, ext: str) -> str:
    """Write an accepted upload under a generated name in ``folder_name``; the stored name.

    Written through :func:`write_file`, so it is removed again if ``session`` rolls back.
    """
    stored = f"{secrets.token_hex(16)}.{ext}"
    write_file(session, archive_folder(folder_name) / stored, data)
    return stored


def archived_path(folder_name: str, stored_name: str) -> Path:
    """The file kept as ``stored_name``; NotFound if it is missing or the name leaves the folder."""
    folder = archive_folder(folder_name).resolve()
    path = (folder / stored_name).resolve()
    if path.parent != folder or not path.is_file():
        raise NotFound(_("The file of this attachment is missing from the archive."))
    return path


def sha256_of(data: bytes) -> str:
    """The hex SHA-256 an attachment row keeps (the same file twice on one record is refused)."""
    return hashlib.sha256(data).hexdigest()
