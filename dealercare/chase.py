"""What dealer care chases (core.chase): call-backs after a low survey score not made in time.

The call-back is customer service's to make (a disputed one waits for the supervisor);
it is chased once its working day has passed, like every other task.
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import chase
from core.tasks import service as task_service
from core.tasks.models import Task
from dealercare.onboarding import PROCESS
from dealercare.survey import FOLLOW_UP
from dealercare.tasks import KIND_LABELS

TASK_KIND = "dealercare_follow_up"


def _words(kind: str, dealer: str, detail: str) -> str:
    text = _("%(what)s: %(dealer)s", what=str(KIND_LABELS.get(kind, kind)), dealer=dealer or "—")
    detail = str(detail or "")
    return f"{text} · {detail}" if detail else text


def overdue_task_query(today: date, actor) -> chase.ChaseQuery:
    """Survey call-backs still waiting after their day, for customer service."""
    stmt = task_service.overdue(today, actor, process=PROCESS).where(Task.kind == FOLLOW_UP)
    return chase.ChaseQuery(stmt, chase.due_keys(Task.due_on, Task.id), _items)


def _items(tasks, today: date):
    owner = chase.customer_service()
    for task in tasks:
        dealer = task.dealer
        yield chase.ChaseItem(
            kind=TASK_KIND, item_id=task.id, owner=owner, reference=dealer.code if dealer else f"#{task.id}",
            description=chase.Words(_words, task.kind, f"{dealer.code} {dealer.name}" if dealer else "",
                                    chase.Words(task_service.detail_words, task.detail_key, task.detail_params,
                                                task.detail)),
            due=task.due_on, late=chase.working_days_late(task.due_on, today),
            link=f"/tasks?process={PROCESS}",
        )


chase.register_chase(TASK_KIND, query=overdue_task_query, title=_l("Survey call-backs not made in time"), order=47,
                     link=f"/tasks?process={PROCESS}")
