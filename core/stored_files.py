"""Files written with a database change: kept if the change commits, removed if it rolls back.

An upload is written to disk before its row is flushed, and the request may still
fail afterwards (a later check, a refused commit). The file then belongs to
nothing; so each file written through :func:`write_file` is remembered on the
session and deleted when the session rolls back.
"""
from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session

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
