"""What the hand-off letters chase (core.chase): work not done by its committed day.

A late letter is the receiving department's lateness (its owner), on the overdue page,
in ``/api/v1/overdue`` and in the daily sweep, until the department reports it done or returns it.
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import chase
from core.tasks import service as task_service
from core.tasks.models import Task
from handoff import states as st
from handoff.tasks import letter_of

KIND = "handoff_letter"


def _words(number: str, source: str, target: str, subject: str) -> str:
    return _("Hand-off letter %(number)s from %(source)s not done by %(target)s: %(subject)s",
             number=number, source=source or "—", target=target or "—", subject=subject)


def overdue_query(today: date, actor) -> chase.ChaseQuery | None:
    """Letters still waiting after their committed day, each owned by the receiving department."""
    if not actor.has_role(*st.DESK):
        return None
    return chase.ChaseQuery(task_service.overdue(today, actor, process=st.PROCESS),
                            chase.due_keys(Task.due_on, Task.id), _items)


def _items(tasks, today: date):
    for task in tasks:
        letter = letter_of(task)
        if letter is None:
            continue
        dept = letter.to_department
        owner = chase.owner(f"dept:{dept.code}", dept.name, dept.email)
        yield chase.ChaseItem(
            kind=KIND, item_id=letter.id, owner=owner, reference=letter.number,
            description=chase.Words(_words, letter.number, letter.from_department.name, dept.name,
                                    letter.subject[:80]),
            due=task.due_on, late=chase.working_days_late(task.due_on, today), link=f"/handoff/{letter.id}")


chase.register_chase(KIND, query=overdue_query, title=_l("Hand-off letters not done by the committed day"), order=48,
                     link="/handoff")
