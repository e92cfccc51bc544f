"""What the complaints package chases (core.chase): late answers and return visits, and late department letters.

A complaint about CS staff is chased to the supervisor alone and described without
its subject; the others to customer service. A department's internal letter not
answered within its working day is chased to that department.
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from complaints import overdue, service
from complaints import states as st
from complaints.tasks import task_complaint
from core import chase
from core.authz import SYSTEM
from core.extensions import db
from core.tasks import service as task_service

KIND = "complaint"
TASK_KIND = "complaint_task"
SUPERVISOR_TITLE = "客服主管 / CS supervisor"


def _words(clock: str, number: str, dealer: str, tier: str, state: str, subject: str) -> str:
    what = _("answer to the dealer") if clock == "answer" else _("return visit")
    text = _("%(what)s: complaint %(number)s of %(dealer)s (%(tier)s), %(state)s", what=what, number=number,
             dealer=dealer or "—", tier=st.Tier.label_of(tier), state=st.state_label(state))
    return f"{text} · {subject}" if subject else text


def overdue_query(today: date, actor) -> chase.ChaseQuery | None:
    """Complaints past their answer or return-visit day, each to its owner."""
    stmt = overdue.overdue_statement(actor, today)
    return None if stmt is None else chase.ChaseQuery(stmt, overdue.KEYS, _items)


def _items(complaints, today: date):
    for complaint in complaints:
        staff = complaint.about_staff
        owner = chase.owner("supervisor", SUPERVISOR_TITLE) if staff else chase.customer_service()
        yield chase.ChaseItem(
            kind=KIND, item_id=complaint.id, owner=owner, reference=complaint.number,
            description=chase.Words(_words, overdue.clock(complaint), complaint.number,
                                    complaint.dealer.name if complaint.dealer else "", complaint.tier,
                                    complaint.state, "" if staff else complaint.subject),
            due=complaint.next_due, late=chase.working_days_late(complaint.next_due, today),
            link=f"/complaints/{complaint.number}",
        )


def _task_words(number: str, department: str) -> str:
    return _("Internal complaint letter of %(number)s not answered in writing by %(department)s",
             number=number, department=department or "—")


def overdue_task_items(today: date, actor):
    """Internal complaint letters the department has not answered within its working day."""
    for task in db.session.scalars(task_service.overdue(today, actor, process=service.PROCESS)):
        complaint = task_complaint(task)
        if complaint is None or not (actor is SYSTEM or service.may_see(actor, complaint)):
            continue
        dept = task.department
        owner = chase.owner(f"dept:{dept.code}", dept.name, dept.email) if dept else chase.customer_service()
        yield chase.ChaseItem(
            kind=TASK_KIND, item_id=task.id, owner=owner, reference=complaint.number,
            description=chase.Words(_task_words, complaint.number, dept.name if dept else ""),
            due=task.due_on, late=chase.working_days_late(task.due_on, today), link=f"/complaints/{complaint.number}",
        )


chase.register_chase(KIND, query=overdue_query, title=_l("Overdue complaints"), order=30, link="/complaints/")
chase.register_chase(TASK_KIND, overdue_task_items, title=_l("Internal complaint letters not answered in time"),
                     order=46)
