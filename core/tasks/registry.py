"""What each process tells core about its tasks: kinds, answers, subjects and effects."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _

from core.errors import NotFound


@dataclass(frozen=True)
class TaskKind:
    """One kind of task: its words, the answers it allows and the supervisor's settlements."""

    label: object
    answers: tuple[str, ...]
    settlements: tuple[str, ...]


@dataclass(frozen=True)
class Subject:
    """What a task is about, as the page shows it: words and where to read more."""

    label: str
    url: str | None = None


@dataclass(frozen=True)
class Choices:
    """The answers a form offers now (value, words) and the extra term fields that go with them."""

    options: list[tuple[str, str]]
    terms: tuple[str, ...] = ()


# decide(actor, task, decision, note, settling, terms) checks the answer against the
# process's records and returns what it does to them, run once the task is claimed.
Effect = Callable[[datetime], None]
Decide = Callable[..., Effect | None]


@dataclass(frozen=True)
class TaskProcess:
    """A process that opens tasks (repairs, doa, later complaints).

    ``decide`` raises the process's 422s (a decision its record does not allow now)
    and returns the effect on its records (or None); ``choices(task, settling)``
    offers the same decisions on the page; ``describe(task)`` names the subject.
    """

    name: str
    label: object
    kinds: dict[str, TaskKind]
    resolution_labels: dict[str, object]
    decide: Decide
    choices: Callable[..., Choices]
    describe: Callable[..., Subject]
    term_labels: dict[str, object] = field(default_factory=dict)
    # The models of the records a task names by (type, id) as its case or subject, so a page of
    # tasks loads each kind of record in one statement (core.tasks.service.preload) instead of
    # one per task when ``describe`` and ``choices`` look them up.
    records: dict[str, type] = field(default_factory=dict)

    @property
    def answers(self) -> tuple[str, ...]:
        """Every answer some kind allows."""
        return tuple(dict.fromkeys(a for k in self.kinds.values() for a in k.answers))

    @property
    def settlements(self) -> tuple[str, ...]:
        """Every settlement some kind allows."""
        return tuple(dict.fromkeys(a for k in self.kinds.values() for a in k.settlements))


_PROCESSES: dict[str, TaskProcess] = {}


def register_process(process: TaskProcess) -> None:
    """Make ``process`` known; a package calls this when it is imported (registering twice replaces)."""
    _PROCESSES[process.name] = process


def process(name: str) -> TaskProcess:
    """The registered process ``name``; NotFound for a task of a process this app does not run."""
    found = _PROCESSES.get(name)
    if found is None:
        raise NotFound(_("No such process."))
    return found


def processes() -> list[TaskProcess]:
    """Every registered process, in the order they registered."""
    return list(_PROCESSES.values())


class _ProcessLabels(Mapping):
    """Every registered process's words for one field of a task (kind or resolution), as one mapping."""

    def __init__(self, pick: Callable[[TaskProcess], dict]):
        self._pick = pick

    def _merged(self) -> dict:
        merged: dict = {}
        for proc in _PROCESSES.values():
            merged.update(self._pick(proc))
        return merged

    def __getitem__(self, code):
        return self._merged()[code]

    def __iter__(self):
        return iter(self._merged())

    def __len__(self) -> int:
        return len(self._merged())


# The audit trail shows a task's kind and resolution in words, whichever process opened it.
KIND_LABELS = _ProcessLabels(lambda proc: {code: kind.label for code, kind in proc.kinds.items()})
RESOLUTION_LABELS = _ProcessLabels(lambda proc: proc.resolution_labels)
