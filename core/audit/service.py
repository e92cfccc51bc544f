"""Record every create and change of audited models (``__audited__ = True``).

The listener runs after each flush and writes plain rows with the same
connection, so the audit entries commit or roll back with the change itself.
The actor is put on the session by the request or command boundary
(:func:`set_actor`), never read from request globals here.
"""
from __future__ import annotations

import datetime as dt
import decimal
import enum

from sqlalchemy import event, inspect, insert, select
from sqlalchemy.orm import Session

from core.audit.models import AuditEntry
from core.extensions import db
from core.types import utcnow

_ACTOR_KEY = "depot_actor"


def set_actor(session, user) -> None:
    """Attribute the session's coming changes to ``user`` (None: the system)."""
    session.info[_ACTOR_KEY] = (user.id, user.username) if user is not None else None


def _plain(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _changes(obj, created: bool) -> dict:
    state = inspect(obj)
    exclude = set(getattr(obj, "__audit_exclude__", ()))
    changes = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in exclude or key in {"id", "created_at"}:
            continue
        hist = state.attrs[key].history
        if created:
            value = getattr(obj, key)
            if value is not None:
                changes[key] = [None, _plain(value)]
        elif hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if old != new:
                changes[key] = [_plain(old), _plain(new)]
    return changes


def _record(session: Session, flush_context) -> None:
    rows = []
    actor = session.info.get(_ACTOR_KEY)
    now = utcnow()
    for obj, action in [(o, "create") for o in session.new] + [(o, "update") for o in session.dirty]:
        if not getattr(obj, "__audited__", False):
            continue
        changes = _changes(obj, action == "create")
        if action == "update" and not changes:
            continue
        # identity is not yet set on new rows in after_flush; the primary key values are.
        ident = inspect(obj).mapper.primary_key_from_instance(obj)
        rows.append(
            {
                "at": now,
                "actor_id": actor[0] if actor else None,
                "actor_name": actor[1] if actor else "system",
                "entity": obj.__tablename__,
                "entity_id": ":".join(str(i) for i in ident) if ident else "?",
                "action": action,
                "changes": changes,
            }
        )
    if rows:
        session.connection().execute(insert(AuditEntry.__table__), rows)


def install() -> None:
    """Listen on every ORM session (idempotent)."""
    if not event.contains(Session, "after_flush", _record):
        event.listen(Session, "after_flush", _record)


def trail(entity: str, entity_id) -> list[AuditEntry]:
    """The audit entries of one record, newest first."""
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == entity, AuditEntry.entity_id == str(entity_id))
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        )
    )
