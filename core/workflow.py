"""The workflow core: a process's states, its transition table, and the one way to move along it.

A process (repairs, DOA, and every later one) declares

* its states as a :class:`LabelledEnum` (a ``StrEnum``: members equal the strings stored in
  the database, and each carries its words, ``.label``, translated en / zh-CN), and
* one :class:`Workflow`: the table ``{state: {action: next_state}}``, the action labels,
  an optional role guard per action, an optional guard on the record (papers missing...),
  and the event model each transition appends a row to.

:meth:`Workflow.apply` is the only writer of the state column: it checks the role, the
table and the guard, then runs a guarded UPDATE (``... WHERE id = :id AND state =
:expected``, as :func:`core.locking.guarded_transition` does for status columns) and
appends the event in the same transaction. Of two requests acting at once exactly one
matches the row; the other is refused with :class:`core.errors.InvalidTransition` (409)
naming the state the record is really in. Services only flush; the request commits.

:meth:`Workflow.allowed_actions` answers what an actor may do now, so the page's buttons
and the services share one rule.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import JSON, String, bindparam, insert, update
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.orm.attributes import set_committed_value

from core import authz
from core.direct import DirectStatement
from core.errors import Conflict, Forbidden, InvalidTransition
from core.extensions import db
from core.types import UTCDateTime, utcnow


class LabelledEnum(StrEnum):
    """A ``StrEnum`` whose members carry their translated words: ``NAME = "value", _l("words")``.

    Members compare equal (and hash equal) to their stored string, so rows read from the
    database and code written against the old string constants keep working.
    """

    def __new__(cls, value: str, label: Any = None):
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label
        return member

    @property
    def label(self) -> str:
        """The member's words in the current language."""
        return str(self._label) if self._label is not None else self.value

    @classmethod
    def labels(cls) -> dict[str, Any]:
        """``{member: lazy label}`` (what the old ``*_LABELS`` dicts held)."""
        return {m: m._label if m._label is not None else m.value for m in cls}

    @classmethod
    def label_of(cls, value: str | None) -> str:
        """Words for a stored value; a value the enum does not know is shown as it is."""
        try:
            return cls(value).label
        except ValueError:
            return "" if value is None else str(value)


class EventColumns:
    """The columns of a process's event row, the ones :meth:`Workflow.event` writes.

    A process's event model adds the columns that point at its subject (``unit_id``,
    ``application_id``...) and its indexes. ``state_length`` and ``note_length`` are the
    widths of the state and note columns; a process whose tables were created with other
    widths sets them on its model, so the schema (and its migrations) stays as it is.
    """

    state_length = 24
    note_length = 500

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column()
    actor_name: Mapped[str] = mapped_column(String(64), default="system")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    @declared_attr
    def from_state(cls) -> Mapped[str | None]:
        return mapped_column(String(cls.state_length))

    @declared_attr
    def to_state(cls) -> Mapped[str | None]:
        return mapped_column(String(cls.state_length))

    @declared_attr
    def note(cls) -> Mapped[str]:
        return mapped_column(String(cls.note_length), default="")


def who(actor) -> tuple[int | None, str]:
    """The id and name an event records for ``actor`` (SYSTEM: work no person started)."""
    authz.signed_in(actor)
    return actor.id, actor.username


def _resolve(path: str):
    module, _sep, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True, eq=False)
class Workflow:
    """One process's life cycle: states, transition table, labels, guards and event model.

    ``event_model`` is ``"module:Class"`` (resolved on first use, so a states module need
    not import its models); ``event_values(subject)`` gives the event row's columns that
    point at the subject. ``roles`` maps an action to the roles that perform it (absent:
    anyone the view lets in). ``guard(subject, action)`` says why a table-allowed action
    may not happen now: None, a message, or ``(message, extra)`` for the 409 body.
    ``available(subject)`` narrows the table's actions for this record (e.g. the dealer
    asked for a refund, so replacement steps are out). ``name_attr`` is the record's
    attribute that names it in messages (serial, number).

    A record without an event table (print jobs, vendor batches...) leaves ``event_model``
    None: its audited flush is its history, so :meth:`apply` sets the new state on the
    record as a change the flush records. ``stamp`` is the column written with the state
    (None: the record has none). ``derived(state, values, source)`` gives columns that follow
    from the new state and the values written, ``source`` being the record as read (a
    stored sort key kept with every transition); None: nothing derived.
    """

    states: type[LabelledEnum]
    transitions: Mapping[str, Mapping[str, str]]
    action_labels: Mapping[str, Any]
    event_model: str | None = None
    event_values: Callable[[Any], dict] | None = None
    name_attr: str = "id"
    column: str = "state"
    roles: Mapping[str, tuple] = field(default_factory=dict)
    guard: Callable[[Any, str], Any] | None = None
    available: Callable[[Any], set[str]] | None = None
    stamp: str | None = "updated_at"
    derived: Callable[[str, dict, Any], dict] | None = None

    def guarded(self, guard: Callable[[Any, str], Any]) -> Workflow:
        """This workflow with ``guard`` attached (a guard that reads the database lives in the service)."""
        return replace(self, guard=guard)

    # ------------------------------------------------------------------ the table

    def next_state(self, state: str, action: str) -> str | None:
        """The state ``action`` leads to from ``state``, or None if the table does not allow it."""
        return self.transitions.get(state, {}).get(action)

    def table_actions(self, state: str) -> list[str]:
        """Every action the table allows from ``state``, sorted."""
        return sorted(self.transitions.get(state, {}))

    def action_label(self, action: str) -> str:
        return str(self.action_labels.get(action, action))

    # ------------------------------------------------------------------ who may do what now

    def may(self, actor, action: str) -> bool:
        """Whether ``actor``'s roles allow ``action`` (actions without a role guard: anyone signed in)."""
        if actor is None:
            return False
        roles = self.roles.get(action)
        return not roles or actor.has_role(*roles)

    def check_role(self, actor, action: str) -> None:
        """Raise Forbidden unless ``actor`` may perform ``action`` (nobody acting, None, never may)."""
        authz.signed_in(actor)
        if self.may(actor, action):
            return
        if actor is None:
            raise Forbidden(_("Sign in first."))
        raise Forbidden(_("Your role does not allow this step."))

    def _problem(self, subject, action: str):
        return None if self.guard is None else self.guard(subject, action)

    def possible(self, subject) -> list[str]:
        """Actions the table allows from ``subject``'s state whose guard passes now (any actor)."""
        actions = self.table_actions(getattr(subject, self.column))
        if self.available is not None:
            allowed = self.available(subject)
            actions = [a for a in actions if a in allowed]
        return [a for a in actions if self._problem(subject, a) is None]

    def allowed_actions(self, subject, actor) -> list[str]:
        """What ``actor`` may do to ``subject`` now: table, guard and role (for the buttons)."""
        return [a for a in self.possible(subject) if self.may(actor, a)]

    def can(self, actor, subject, action: str) -> bool:
        """Whether ``actor`` may apply ``action`` to ``subject`` now."""
        return action in self.allowed_actions(subject, actor)

    def invalid(self, subject, action: str) -> InvalidTransition:
        """The 409 for ``action`` not allowed from ``subject``'s state, in words."""
        state = getattr(subject, self.column)
        allowed = self.possible(subject)
        name = getattr(subject, self.name_attr)
        # The action labels are verb phrases ("accept at inspection"): quoted as the step's name.
        return InvalidTransition(
            _("%(serial)s is %(state)s: the step “%(action)s” cannot be done now. Allowed next: %(allowed)s.",
              serial=name, state=self.states.label_of(state), action=self.action_label(action),
              allowed=", ".join(f"“{self.action_label(a)}”" for a in allowed) or _("nothing (finished)")),
            current=state, allowed=allowed, **{self.name_attr: name})

    def require(self, subject, action: str) -> None:
        """Refuse ``action`` on ``subject`` unless its state allows it now, as :meth:`apply` would.

        InvalidTransition (409, in words, naming the allowed steps) when the table (or
        ``available``) does not allow it from the state; Conflict (409) when the guard
        refuses. For a service that must refuse before it reads or checks its input (a
        finished record is finished, whatever the lines say); ``apply`` checks again at
        the write, where a concurrent request may have moved the record.
        """
        current = getattr(subject, self.column)
        actions = self.table_actions(current)
        if self.available is not None:
            actions = [a for a in actions if a in self.available(subject)]
        if action not in actions:
            raise self.invalid(subject, action)
        problem = self._problem(subject, action)
        if problem is not None:
            message, extra = problem if isinstance(problem, tuple) else (problem, {})
            raise Conflict(message, current_state=current, allowed=self.possible(subject), **extra)

    # ------------------------------------------------------------------ writing

    @cached_property
    def _event_table(self):
        return _resolve(self.event_model).__table__

    @cached_property
    def _note_length(self) -> int:
        return self._event_table.c.note.type.length or 500

    @cached_property
    def _insert_event(self):
        # Built once and run on the DBAPI cursor: the scan path runs it many times a minute (bench/README.md).
        return DirectStatement(insert(self._event_table))

    def _guarded_update(self, table):
        cache = self.__dict__.setdefault("_updates", {})
        stmt = cache.get(table.name)
        if stmt is None:
            stmt = cache[table.name] = DirectStatement(update(table).where(
                table.c.id == bindparam("guard_id"), table.c[self.column] == bindparam("guard_state")))
        return stmt

    def event(self, actor, action: str, from_state=None, to_state=None, *, note: str = "",
              data: dict | None = None, at: datetime | None = None, **columns) -> None:
        """Append one event row (``columns`` name the subject: ``unit_id=``, ``application_id=``...)."""
        actor_id, actor_name = who(actor)
        self._insert_event.execute(db.session.connection(), {
            **columns, "action": action, "from_state": from_state, "to_state": to_state,
            "actor_id": actor_id, "actor_name": actor_name, "at": at or utcnow(),
            "note": (note or "")[:self._note_length], "data": data or {},
        })

    def write(self, actor, model, subject_id: int, current: str, action: str, event_columns: dict, *,
              note: str = "", data: dict | None = None, at: datetime | None = None, source=None,
              **values) -> dict | None:
        """The guarded UPDATE of row ``subject_id`` read in state ``current``, plus its event.

        No checks but the guard on the state: for callers that read the row without the ORM
        and checked the table themselves (``source``: the row as read, for ``derived``). None
        when another request moved the row first (nothing written); else the values written.
        """
        target = self.next_state(current, action)
        now = at or utcnow()
        values = {self.column: target, **({self.stamp: now} if self.stamp else {}), **values}
        if self.derived is not None:
            values.update(self.derived(target, values, source))
        result = self._guarded_update(model.__table__).execute(
            db.session.connection(), {"guard_id": subject_id, "guard_state": current, **values})
        if result.rowcount != 1:
            return None
        if self.event_model is None:
            return values
        self.event(actor, action, current, target, note=note, data=data, at=now, **event_columns)
        return values

    def apply(self, actor, subject, action: str, *, note: str = "", data: dict | None = None,
              at: datetime | None = None, **values):
        """Apply ``action`` to ``subject`` exactly once, or raise.

        Forbidden when ``actor``'s roles do not allow the action; InvalidTransition (409)
        when the table does not allow it from the state, or another request moved the
        record first (reloaded, so the message names its real state); Conflict (409) when
        the guard refuses. ``values`` are written with the state; the event row carries
        ``note`` and ``data``.
        """
        self.check_role(actor, action)
        db.session.flush()
        self.require(subject, action)
        current = getattr(subject, self.column)
        columns = self.event_values(subject) if self.event_values is not None else {}
        written = self.write(actor, type(subject), subject.id, current, action, columns,
                             note=note, data=data, at=at, source=subject, **values)
        if written is None:
            db.session.refresh(subject)
            raise self.invalid(subject, action)
        for key, value in written.items():
            if self.event_model is None:
                # No event row: the audited flush records the change (the same values again).
                setattr(subject, key, value)
            else:
                set_committed_value(subject, key, value)
        return subject
