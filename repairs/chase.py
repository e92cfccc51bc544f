"""What the repairs package chases (core.chase): overdue repair units, overdue dealer tasks, and
purchasing's vendor-pool top-ups not ordered by their day.

A unit is chased for the clock that ran out (:func:`repairs.clocks.late_clock`):
the factory (or a promise-free repairer) only for its own clock, the time the
unit spent with it; customer service for its dispatch clock and the dealer's
promise. A dealer task ("contact the dealer today") is chased once its day has
passed: an open one is CS's to answer, a disputed one the supervisor's. A top-up of the
vendor pool is purchasing's (its department); one purchasing disputed waits for customer service.
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from sqlalchemy.orm import selectinload

from core import chase
from core.tasks import service as task_service
from core.tasks.models import Task
from repairs import clocks, dealer_tasks, overdue, swap
from repairs import states as st
from repairs.models import RepairUnit

UNIT_KIND = "repair_unit"
TASK_KIND = "dealer_task"
TOPUP_KIND = "pool_topup"

# A dealer task still waiting for someone: the dealer's answer (open) or the supervisor's (disputed).
WAITING_TASK_STATUSES = ("open", "disputed")

TASK_KIND_LABELS = dealer_tasks.TASK_KIND_LABELS


def _unit_words(model: str, dealer: str, rma: str, state: str, clock: str) -> str:
    return _("%(clock)s ran out: %(model)s of %(dealer)s, parcel %(rma)s, %(state)s",
             clock=clock, model=model or "—", dealer=dealer or "—", rma=rma, state=st.state_label(state))


def _unit_owner(unit: RepairUnit, late: clocks.LateClock) -> chase.Owner:
    factory = unit.route.factory if unit.route is not None else None
    if late.owner in (clocks.FACTORY, clocks.REPAIRER) and factory is not None:
        # The factory (or Taiwan) owes the repair: tell its contact, and the supervisor.
        return chase.owner(f"factory:{factory.id}", factory.name, factory.email)
    return chase.customer_service()


def _unit_items(units, today: date):
    for unit in units:
        late = clocks.late_clock(unit, today)
        if late is None:
            continue
        parcel = unit.parcel
        clock = chase.Words(clocks.kind_label, late.kind, late.days)
        yield chase.ChaseItem(
            kind=UNIT_KIND, item_id=unit.id, owner=_unit_owner(unit, late), reference=unit.serial,
            description=chase.Words(_unit_words, unit.model, parcel.dealer.name if parcel.dealer else "",
                                    parcel.rma_number, unit.state, clock),
            due=late.due, late=late.days_late, link=f"/repairs/units/{unit.id}",
            late_unit=chase.WORKING if late.working_days else chase.CALENDAR,
        )


def overdue_repair_query(today: date, actor) -> chase.ChaseQuery:
    """Units with a clock run out, each owned by whose clock it is (the overdue list's index order)."""
    return chase.ChaseQuery(overdue.overdue_statement(actor, today), overdue.overdue_keys(today), _unit_items,
                            (selectinload(RepairUnit.parcel), selectinload(RepairUnit.route)))


def _task_query(today: date, actor, process: str, items) -> chase.ChaseQuery:
    return chase.ChaseQuery(task_service.overdue(today, actor, process=process), chase.due_keys(Task.due_on, Task.id),
                            items)


def _task_words(kind: str, status: str, rma: str, dealer: str, serial: str | None, detail: str) -> str:
    what = str(TASK_KIND_LABELS.get(kind, kind))
    if status == "disputed":
        text = _("Dealer disputes “%(what)s”: the supervisor decides (parcel %(rma)s, %(dealer)s)",
                 what=what, rma=rma, dealer=dealer or "—")
    else:
        text = _("Contact the dealer about “%(what)s” (parcel %(rma)s, %(dealer)s)",
                 what=what, rma=rma, dealer=dealer or "—")
    detail = str(detail or "")  # the task's words, made now in the reader's language
    if serial and serial not in detail:
        text += f" · {serial}"
    if detail:
        text += f" · {detail}"
    return text


def overdue_task_query(today: date, actor) -> chase.ChaseQuery:
    """Repairs tasks still waiting after their day: CS (open) or the supervisor (disputed) answers."""
    return _task_query(today, actor, dealer_tasks.PROCESS, _task_items)


def overdue_task_items(today: date, actor) -> list[chase.ChaseItem]:
    """Every overdue repairs task (read in chunks)."""
    return chase.all_items(TASK_KIND, today, actor)


def _task_items(tasks, today: date):
    owner = chase.customer_service()
    for task in tasks:
        parcel = dealer_tasks.task_parcel(task)
        unit = dealer_tasks.task_unit(task)
        yield chase.ChaseItem(
            kind=TASK_KIND, item_id=task.id, owner=owner, reference=parcel.rma_number,
            description=chase.Words(_task_words, task.kind, task.status, parcel.rma_number,
                                    parcel.dealer.name if parcel.dealer else "",
                                    unit.serial if unit is not None else None,
                                    chase.Words(task_service.detail_words, task.detail_key, task.detail_params,
                                                task.detail)),
            due=task.due_on, late=chase.working_days_late(task.due_on, today),
            link=f"/repairs/parcels/{parcel.rma_number}",
        )


chase.register_chase(UNIT_KIND, query=overdue_repair_query, title=_l("Overdue repairs"), order=10,
                     link="/repairs/overdue")
chase.register_chase(TASK_KIND, query=overdue_task_query, title=_l("Dealer tasks not answered in time"), order=40,
                     link=f"/tasks?process={dealer_tasks.PROCESS}")


def _topup_words(detail: str) -> str:
    return _("Vendor pool top-up not ordered in time: %(detail)s", detail=detail)


def overdue_topup_query(today: date, actor) -> chase.ChaseQuery:
    """Purchasing's vendor-pool top-ups still waiting after their day (a working day after the swap)."""
    return _task_query(today, actor, swap.PROCESS, _topup_items)


def _topup_items(tasks, today: date):
    for task in tasks:
        dept = task.department
        owner = (chase.owner(f"dept:{dept.code}", dept.name, dept.email)
                 if dept is not None and task.status == "open" else chase.customer_service())
        yield chase.ChaseItem(
            kind=TOPUP_KIND, item_id=task.id, owner=owner, reference=f"#{task.id}",
            description=chase.Words(_topup_words, chase.Words(task_service.detail_words, task.detail_key,
                                                              task.detail_params, task.detail)),
            due=task.due_on, late=chase.working_days_late(task.due_on, today),
            link=f"/tasks?process={swap.PROCESS}",
        )


chase.register_chase(TOPUP_KIND, query=overdue_topup_query, title=_l("Vendor pool top-ups not ordered in time"),
                     order=42, link=f"/tasks?process={swap.PROCESS}")
