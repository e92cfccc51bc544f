"""Handling a complaint, step by step (manual ch. 3 part 6, forms 附件6-9).

- ``refer``: the internal complaint letter (内部客诉反馈函) goes to the responsible
  department, which answers in writing within 1 working day: a task to the
  department on the shared task model (:mod:`core.tasks`).
- ``department_answer``: the department's written answer, recorded on its task
  (:mod:`complaints.tasks` moves the complaint on).
- ``report``: the handling report (客诉处理报告) and, with compensation, the amount.
- ``sign_off``: the department head signs the report (who and when).
- ``gm_approve``: a very serious complaint's report approved by the GM's assistant.
- ``gm_return``: or sent back by the GM's assistant, with the reason: it is rewritten and signed off again.
- ``set_due``: the supervisor sets a very serious complaint's due day.
- ``update``: an interim update on the record.
- ``answer``, ``fix``, ``visit``, ``close``: the dealer answered, the fix, the return visit (回访), closing.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from complaints import states as st
from complaints.models import Complaint
from complaints.service import (
    CASE,
    DEPARTMENT_DAYS,
    PROCESS,
    VISIT_DAYS,
    event,
    may_see,
    transition,
)
from core import authz
from core.accounts.roles import Role
from core.calendar import add_working_days, local_day
from core.directory.models import Department
from core.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from core.extensions import db
from core.i18n import N_, message
from core.ids import is_id
from core.locking import hold_in_state
from core.tasks import service as task_service
from core.tasks.models import Task
from core.types import utcnow
from core.workflow import who

STEPS = ("refer", "department_answer", "report", "sign_off", "gm_approve", "gm_return", "set_due", "update", "answer",
         "fix", "visit", "close")


def _required(value, field: str) -> str:
    text = (value or "").strip() if isinstance(value, str) else value
    if not text:
        raise ValidationFailed(_("Some fields need correcting."), errors={field: [_("Required.")]})
    return text


def _department(department_id) -> Department:
    department = db.session.get(Department, department_id) if is_id(department_id) else None
    if department is None:
        raise ValidationFailed(_("Choose the responsible department."),
                               errors={"department_id": [_("Unknown department.")]})
    return department


def _claim(complaint: Complaint, action: str) -> None:
    """Hold the complaint in the state read (a guarded no-op UPDATE) before a step that is no transition."""
    if not hold_in_state(complaint, complaint.state, column="state"):
        db.session.refresh(complaint)
        raise st.WORKFLOW.invalid(complaint, action) if action in st.ACTION_ROLES else InvalidTransition(
            _("%(n)s changed meanwhile: it is now %(s)s.", n=complaint.number, s=st.state_label(complaint.state)),
            current=complaint.state, allowed=st.WORKFLOW.possible(complaint))


def open_letter_task(complaint: Complaint) -> Task | None:
    """The department's open task for the internal letter, if any."""
    return db.session.scalar(select(Task).where(Task.process == PROCESS, Task.case_type == CASE,
                                                Task.case_id == complaint.id, Task.kind == "internal_letter",
                                                Task.status == "open").order_by(Task.id.desc()).limit(1))


def refer(actor, complaint: Complaint, *, department_id: int, letter: str, at: datetime | None = None) -> Complaint:
    """Send the internal complaint letter to the department: its written answer is due in 1 working day."""
    department = _department(department_id)
    letter = _required(letter, "letter")
    now = at or utcnow()
    transition(actor, complaint, "refer", at=now, note=department.name, data={"department": department.code},
               department_id=department.id, internal_letter=letter, referred_at=now)
    task_service.open_task(PROCESS, "internal_letter",
                           message(N_("%(n)s: answer the internal complaint letter in writing"), n=complaint.number),
                           case=(CASE, complaint.id), office_id=complaint.office_id, department_id=department.id,
                           due_on=add_working_days(local_day(now), DEPARTMENT_DAYS), at=now)
    return complaint


def department_answer(actor, complaint: Complaint, *, text: str, at: datetime | None = None) -> Complaint:
    """Record the department's written answer to the internal letter (answers its task)."""
    text = _required(text, "text")
    if not may_see(actor, complaint):
        raise NotFound(_("No such complaint."))
    task = open_letter_task(complaint)
    if task is None:
        raise st.WORKFLOW.invalid(complaint, "department_answered")
    task_service.answer(actor, task, "answered", text, at=at)
    return complaint


def record_department_answer(actor, complaint: Complaint, text: str, now: datetime, task_id: int) -> None:
    """The task's effect: the complaint moves on to its handling report (run once the task is claimed)."""
    transition(actor, complaint, "department_answered", at=now, data={"task": task_id},
               department_answer=text, department_answered_at=now)


def write_report(actor, complaint: Complaint, *, text: str, compensation: Decimal | None = None,
                 at: datetime | None = None) -> Complaint:
    """Write (or rewrite) the handling report before it is signed off; a compensation only when very serious."""
    authz.require(actor, *st.CS, message=_("Your role does not allow this step."))
    if not may_see(actor, complaint):
        raise NotFound(_("No such complaint."))
    text = _required(text, "text")
    if complaint.state != st.REPORTING:
        raise Conflict(_("%(n)s is %(s)s: the handling report is written after the department's answer and "
                         "before it is signed off.", n=complaint.number, s=st.state_label(complaint.state)),
                       current_state=complaint.state)
    if compensation is not None and complaint.tier != st.Tier.VERY_SERIOUS:
        raise ValidationFailed(_("Only a very serious complaint carries a compensation."),
                               errors={"compensation": [_("Not for this tier.")]})
    _claim(complaint, "report")
    now = at or utcnow()
    complaint.report, complaint.report_by, complaint.report_at = text, who(actor)[1], now
    if compensation is not None:
        complaint.compensation = compensation
    complaint.updated_at = now
    db.session.flush()
    event(actor, complaint, "report", at=now,
          data={"compensation": str(compensation)} if compensation is not None else None)
    return complaint


def sign_off(actor, complaint: Complaint, *, note: str = "", at: datetime | None = None) -> Complaint:
    """The department head signs the handling report: who and when are recorded."""
    now = at or utcnow()
    return transition(actor, complaint, "sign_off", note=note, at=now, signed_by=who(actor)[1], signed_at=now)


def gm_approve(actor, complaint: Complaint, *, note: str = "", at: datetime | None = None) -> Complaint:
    """The general manager's assistant approves a very serious complaint's handling report."""
    now = at or utcnow()
    return transition(actor, complaint, "gm_approve", note=note, at=now, gm_approved_by=who(actor)[1],
                      gm_approved_at=now)


def gm_return(actor, complaint: Complaint, *, reason: str, at: datetime | None = None) -> Complaint:
    """The GM's assistant sends a very serious complaint's report back: the sign-off is void, the report is
    rewritten (the reason says what to change) and signed off again before it comes back for approval."""
    reason = _required(reason, "text")
    now = at or utcnow()
    return transition(actor, complaint, "gm_return", note=reason, at=now, signed_by=None, signed_at=None)


def set_due(actor, complaint: Complaint, *, due_on: date, note: str = "", at: datetime | None = None) -> Complaint:
    """The supervisor sets (or moves) a very serious complaint's due day (视情况再回复)."""
    authz.require(actor, Role.SUPERVISOR, message=_("Only the supervisor sets the due day of a very serious "
                                                    "complaint."))
    if not may_see(actor, complaint):
        raise NotFound(_("No such complaint."))
    if due_on is None:
        raise ValidationFailed(_("Some fields need correcting."), errors={"due_on": [_("Required.")]})
    if complaint.tier != st.Tier.VERY_SERIOUS:
        raise Conflict(_("%(n)s: only a very serious complaint's due day is set by the supervisor; the others "
                         "follow their tier.", n=complaint.number))
    if complaint.state not in st.ANSWER_CLOCK:
        raise Conflict(_("%(n)s has been answered: there is no due day to set.", n=complaint.number),
                       current_state=complaint.state)
    now = at or utcnow()
    if due_on < local_day(now):
        raise ValidationFailed(_("The due day cannot be in the past."), errors={"due_on": [_("Before today.")]})
    _claim(complaint, "set_due")
    complaint.answer_due, complaint.due_set_by, complaint.updated_at = due_on, who(actor)[1], now
    db.session.flush()
    event(actor, complaint, "set_due", note=note, at=now, data={"due_on": due_on.isoformat()})
    return complaint


def interim_update(actor, complaint: Complaint, *, text: str, at: datetime | None = None) -> Complaint:
    """Record an interim update (what was done, what the dealer was told meanwhile)."""
    authz.require(actor, *st.CS, message=_("Your role does not allow this step."))
    if not may_see(actor, complaint):
        raise NotFound(_("No such complaint."))
    text = _required(text, "text")
    if complaint.state == st.CLOSED:
        raise Conflict(_("%(n)s is closed.", n=complaint.number), current_state=complaint.state)
    event(actor, complaint, "update", note=text, at=at)
    return complaint


def answer(actor, complaint: Complaint, *, text: str, at: datetime | None = None) -> Complaint:
    """Answer the dealer (refused with a 409 before the sign-off, and the approval where one is needed)."""
    text = _required(text, "text")
    now = at or utcnow()
    return transition(actor, complaint, "answer", at=now, dealer_answer=text, answered_by=who(actor)[1],
                      answered_at=now)


def record_fix(actor, complaint: Complaint, *, text: str, at: datetime | None = None) -> Complaint:
    """The fix is done: the return visit is due a week (serious) or two weeks (ordinary) later."""
    text = _required(text, "text")
    now = at or utcnow()
    due = local_day(now) + timedelta(days=VISIT_DAYS[st.Tier(complaint.tier)])
    return transition(actor, complaint, "fix", at=now, fix=text, fixed_at=now, visit_due=due)


def record_visit(actor, complaint: Complaint, *, text: str, satisfied: bool | None,
                 at: datetime | None = None) -> Complaint:
    """The return visit's outcome: what the customer said and whether satisfied."""
    text = _required(text, "text")
    if satisfied is None:
        raise ValidationFailed(_("Say whether the customer is satisfied."), errors={"satisfied": [_("Required.")]})
    now = at or utcnow()
    return transition(actor, complaint, "visit", at=now, data={"satisfied": bool(satisfied)},
                      visit_outcome=text, visit_satisfied=bool(satisfied), visited_by=who(actor)[1], visited_at=now)


def close(actor, complaint: Complaint, *, note: str = "", at: datetime | None = None) -> Complaint:
    """Close the complaint after its return visit."""
    now = at or utcnow()
    return transition(actor, complaint, "close", note=note, at=now, closed_by=who(actor)[1], closed_at=now)


def step(actor, complaint: Complaint, name: str, args: dict, *, at: datetime | None = None) -> Complaint:
    """Run step ``name`` with the fields it reads from ``args`` (the API and the page share it)."""
    text = args.get("text") or ""
    note = args.get("note") or ""
    if name == "refer":
        return refer(actor, complaint, department_id=args.get("department_id"), letter=text, at=at)
    if name == "department_answer":
        return department_answer(actor, complaint, text=text, at=at)
    if name == "report":
        return write_report(actor, complaint, text=text, compensation=args.get("compensation"), at=at)
    if name == "sign_off":
        return sign_off(actor, complaint, note=note, at=at)
    if name == "gm_approve":
        return gm_approve(actor, complaint, note=note, at=at)
    if name == "gm_return":
        return gm_return(actor, complaint, reason=text, at=at)
    if name == "set_due":
        return set_due(actor, complaint, due_on=args.get("due_on"), note=note, at=at)
    if name == "update":
        return interim_update(actor, complaint, text=text, at=at)
    if name == "answer":
        return answer(actor, complaint, text=text, at=at)
    if name == "fix":
        return record_fix(actor, complaint, text=text, at=at)
    if name == "visit":
        return record_visit(actor, complaint, text=text, satisfied=args.get("satisfied"), at=at)
    if name == "close":
        return close(actor, complaint, note=note, at=at)
    raise NotFound(_("No such step."))
