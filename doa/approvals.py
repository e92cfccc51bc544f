"""The departments' approval of a DOA application (B.1, B.2), and reopening a disputed refusal."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from core.calendar import add_working_days, local_day
from core.errors import Conflict, ValidationFailed
from core.i18n import N_, message
from core.tasks import service as task_service
from core.tasks.models import Task
from core.types import utcnow
from doa import states as st
from doa.applications import _open_application_with
from doa.models import DoaApplication
from doa.service import (
    APPROVAL_DAYS,
    _guard_problem,
    _invalid,
    _open_task,
    _transition,
    _who,
    allowed_now,
    disputed_refusal,
    ensure_access,
    require_role,
)

DEPARTMENT_STEPS = {"channel": ("channel_approve", "channel_refuse"), "product": ("product_approve", "product_refuse")}


def decide(actor, app: DoaApplication, department: str, decision: str, reason: str = "",
           at: datetime | None = None) -> DoaApplication:
    """Channel or product approves or refuses the application (a refusal needs a reason).

    Both must approve before the dealer ships. A refusal ends the application
    and opens a same-day task: tell the dealer not to send the unit.
    """
    if department not in DEPARTMENT_STEPS:
        raise ValidationFailed(_("Unknown department."), errors={"department": [_("Channel or product.")]})
    if decision not in ("approve", "refuse"):
        raise ValidationFailed(_("Approve or refuse."), errors={"decision": [_("Approve or refuse.")]})
    action = DEPARTMENT_STEPS[department][0 if decision == "approve" else 1]
    require_role(actor, *st.ACTION_ROLES[action])
    reason = (reason or "").strip()
    if decision == "refuse" and not reason:
        raise ValidationFailed(_("Give the reason for the refusal."), errors={"reason": [_("Required to refuse.")]})
    if len(reason) > 500:
        raise ValidationFailed(_("The reason is too long."), errors={"reason": [_("At most 500 characters.")]})
    now = at or utcnow()
    values = {f"{department}_decision": "approved" if decision == "approve" else "refused",
              f"{department}_by": _who(actor)[1], f"{department}_at": now, f"{department}_reason": reason}
    target = st.next_state(app.state, action)
    if target == st.APPROVED:
        values["approved_at"] = now
    if target == st.REFUSED:
        values["closed_reason"] = reason
    _transition(actor, app, action, note=reason, at=now, **values)
    if app.state == st.REFUSED:
        department_words = N_("channel") if department == "channel" else N_("product")
        _open_task(app, "refused", message(N_("%(n)s was refused by %(d)s: %(r)s. Tell the dealer not to send the unit."),
                                           n=app.number, d=message(department_words), r=reason), at=now)
    return app


def reopen(actor, app: DoaApplication, note: str = "", at: datetime | None = None) -> DoaApplication:
    """The supervisor settles the dealer's dispute of a refusal in the dealer's favour: approval starts again.

    Both departments decide again (their earlier decisions stay in the history);
    the one-working-day approval clock runs from now. The dispute task is resolved.
    """
    require_role(actor, *st.ACTION_ROLES["reopen"])
    ensure_access(actor, app.office_id)
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(_("Say why the refusal is set aside."), errors={"note": [_("Required.")]})
    task = disputed_refusal(app)
    if task is None:
        problem = _guard_problem(app, "reopen") if app.state == st.REFUSED else None
        if problem:
            raise Conflict(problem, current_state=app.state, allowed=allowed_now(app))
        raise _invalid(app, "reopen")
    task_service.settle(actor, task, "reopen", note, at=at)
    return app


def _reopen(actor, app: DoaApplication, task: Task, note: str, now: datetime) -> None:
    # The dealer may have applied again for the same unit meanwhile: one open application per unit.
    busy = {s: n for s, n in _open_application_with([u.serial for u in app.declared_units]).items() if n != app.number}
    if busy:
        serial = sorted(busy)[0]
        raise Conflict(_("Unit %(s)s is already on DOA application %(n)s.", s=serial, n=busy[serial]),
                       errors={"units": [_("%(s)s is on %(n)s.", s=s, n=n) for s, n in sorted(busy.items())]})
    _transition(actor, app, "reopen", note=note[:500], at=now, data={"task": task.id},
                channel_decision=None, channel_by=None, channel_at=None, channel_reason="",
                product_decision=None, product_by=None, product_at=None, product_reason="", closed_reason="",
                approval_due=add_working_days(local_day(now), APPROVAL_DAYS))
