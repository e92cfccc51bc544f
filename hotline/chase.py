"""What the hotline desk chases (core.chase): questions without their standard answer after one working day.

A question still with its department is the department's lateness (its task is due the
entry's day); one waiting for CS is customer service's. Both appear on the overdue page,
in ``/api/v1/overdue`` and in the daily sweep.
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core import chase
from hotline import service
from hotline import states as st
from hotline.models import HotlineEntry

KIND = "hotline_question"


def _words(number: str, brand: str, category: str, asker: str, question: str, department: str | None) -> str:
    text = _("Question %(number)s (%(brand)s, %(category)s) from %(asker)s has no standard answer yet: %(question)s",
             number=number, brand=brand or "—", category=st.Category.label_of(category),
             asker=asker or "—", question=question)
    if department:
        text += " · " + _("with %(department)s", department=department)
    return text


def overdue_query(today: date, actor) -> chase.ChaseQuery | None:
    """Logged questions still waiting for their answer after their day."""
    if not actor.has_role(*service.READERS):
        return None
    stmt = select(HotlineEntry).where(HotlineEntry.state.in_(st.WAITING), HotlineEntry.due_on < today)
    return chase.ChaseQuery(stmt, chase.due_keys(HotlineEntry.due_on, HotlineEntry.id), _items)


def _items(entries, today: date):
    for entry in entries:
        dept = entry.department if entry.state == st.REFERRED else None
        owner = (chase.owner(f"dept:{dept.code}", dept.name, dept.email) if dept is not None
                 else chase.customer_service())
        yield chase.ChaseItem(
            kind=KIND, item_id=entry.id, owner=owner, reference=entry.number,
            description=chase.Words(_words, entry.number, entry.brand.name if entry.brand else "", entry.category,
                                    entry.asker_name or entry.contact, entry.question[:80],
                                    dept.name if dept is not None else None),
            due=entry.due_on, late=chase.working_days_late(entry.due_on, today), link=f"/hotline/{entry.number}")


chase.register_chase(KIND, query=overdue_query, title=_l("Hotline and e-mail questions not answered in time"),
                     order=50, link="/hotline")
