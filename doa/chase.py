"""What the DOA package chases (core.chase): late approvals and replacements, and unanswered DOA tasks.

An application waiting for the internal approval past its working day is
chased to each department that has not decided yet; a replacement past its
7 working days to purchasing while the unit waits to be repaired or swapped,
and to customer service once it is ready to ship. A DOA dealer task past its
day is customer service's (open) or the supervisor's (disputed).
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import select

from core import chase
from core.directory.models import Department
from core.extensions import db
from core.tasks import service as task_service
from core.tasks.models import Task
from doa import overdue, service
from doa import states as st
from doa.models import DoaApplication
from doa.states import TASK_KIND_LABELS

APPROVAL_KIND = "doa_approval"      # one item per department still to decide: doa_approval:<department>
REPLACEMENT_KIND = "doa_replacement"
TASK_KIND = "doa_task"

# Department codes (core.directory Department.code) owning each late step.
APPROVING_DEPARTMENTS = ("channel", "product")
REPAIRING_DEPARTMENT = "purchasing"
WAITING_TASK_STATUSES = ("open", "disputed")

CLOCK_LABELS = {
    "approval": lazy_ngettext("internal approval (%(num)s working day)", "internal approval (%(num)s working days)",
                              service.APPROVAL_DAYS),
    "replacement": lazy_ngettext("replacement shipped (%(num)s working day)",
                                 "replacement shipped (%(num)s working days)", service.REPLACEMENT_DAYS),
}
DEPARTMENT_LABELS = {"channel": _l("channel department"), "product": _l("product department"),
                     "purchasing": _l("purchasing department")}


def _department_owner(code: str, departments: dict[str, Department]) -> chase.Owner:
    dept = departments.get(code)
    title = dept.name if dept is not None else str(DEPARTMENT_LABELS.get(code, code))
    return chase.owner(f"dept:{code}", title, dept.email if dept is not None else None)


def _application_words(clock: str, number: str, dealer: str, state: str, who: str | None) -> str:
    text = _("%(clock)s: %(number)s of %(dealer)s, %(state)s",
             clock=CLOCK_LABELS[clock], number=number, dealer=dealer or "—", state=st.state_label(state))
    if who:
        text += " · " + _("waiting for %(who)s", who=DEPARTMENT_LABELS.get(who, who))
    return text


def _undecided(app: DoaApplication) -> list[str]:
    decided = {"channel": app.channel_decision, "product": app.product_decision}
    return [code for code in APPROVING_DEPARTMENTS if decided[code] is None]


def overdue_doa_query(today: date, actor) -> chase.ChaseQuery:
    """Late approvals (per undecided department) and late replacements: a row per application, an
    item per department still to decide."""
    return chase.ChaseQuery(overdue.overdue_statement(actor, today), overdue.KEYS, _doa_items)


def _doa_items(apps, today: date):
    if not apps:
        return
    departments = {d.code: d for d in db.session.scalars(select(Department))}
    for app in apps:
        dealer = app.dealer.name if app.dealer else ""
        common = {"reference": app.number, "due": app.next_due, "late": chase.working_days_late(app.next_due, today),
                  "link": f"/doa/{app.number}"}
        if app.state in st.APPROVAL_CLOCK:
            for code in _undecided(app):
                yield chase.ChaseItem(
                    kind=f"{APPROVAL_KIND}:{code}", item_id=app.id, owner=_department_owner(code, departments),
                    description=chase.Words(_application_words, "approval", app.number, dealer, app.state, code),
                    **common)
        else:
            waiting = REPAIRING_DEPARTMENT if app.state == st.RECEIVED else None
            owner = _department_owner(waiting, departments) if waiting else chase.customer_service()
            yield chase.ChaseItem(
                kind=REPLACEMENT_KIND, item_id=app.id, owner=owner,
                description=chase.Words(_application_words, "replacement", app.number, dealer, app.state, waiting),
                **common)


def _task_words(kind: str, status: str, number: str | None, serial: str | None, dealer: str, detail: str) -> str:
    what = str(TASK_KIND_LABELS.get(kind, kind))
    about = number or serial or "—"
    if status == "disputed":
        text = _("Dealer disputes “%(what)s”: the supervisor decides (%(about)s, %(dealer)s)",
                 what=what, about=about, dealer=dealer or "—")
    else:
        text = _("Contact the dealer about “%(what)s” (%(about)s, %(dealer)s)", what=what, about=about,
                 dealer=dealer or "—")
    detail = str(detail or "")  # the task's words, made now in the reader's language
    return f"{text} · {detail}" if detail else text


def overdue_doa_task_query(today: date, actor) -> chase.ChaseQuery:
    """DOA dealer tasks still waiting after their day."""
    return chase.ChaseQuery(task_service.overdue(today, actor, process=service.PROCESS),
                            chase.due_keys(Task.due_on, Task.id), _doa_task_items)


def overdue_doa_task_items(today: date, actor) -> list[chase.ChaseItem]:
    """Every overdue DOA dealer task (read in chunks)."""
    return chase.all_items(TASK_KIND, today, actor)


def _doa_task_items(tasks, today: date):
    owner = chase.customer_service()
    for task in tasks:
        app, hold = service.task_application(task), service.task_hold(task)
        number = app.number if app is not None else None
        serial = hold.serial if hold is not None else None
        yield chase.ChaseItem(
            kind=TASK_KIND, item_id=task.id, owner=owner, reference=number or serial or f"#{task.id}",
            description=chase.Words(_task_words, task.kind, task.status, number, serial,
                                    task.dealer.name if task.dealer else "",
                                    chase.Words(task_service.detail_words, task.detail_key, task.detail_params,
                                                task.detail)),
            due=task.due_on, late=chase.working_days_late(task.due_on, today), link="/tasks?process=doa",
        )


chase.register_chase("doa", query=overdue_doa_query, title=_l("Overdue DOA cases"), order=20, link="/doa/overdue")
chase.register_chase(TASK_KIND, query=overdue_doa_task_query, title=_l("DOA dealer tasks not answered in time"),
                     order=45, link=f"/tasks?process={service.PROCESS}")
