"""What every complaint rule shares: who reads which complaint, the one way a complaint moves, look-ups.

Every state change goes through :data:`WORKFLOW` (``core.workflow``): the role, the
table of :mod:`complaints.states`, the guard below (the handling report signed off
before the dealer is answered, the GM assistant's approval of a very serious one, the
dealer's letter on file before the internal letter goes out), then a guarded UPDATE
and the event row. Services only flush.

The rules live beside this module: :mod:`complaints.registering`, :mod:`complaints.handling`,
:mod:`complaints.letters`, :mod:`complaints.mediation`, :mod:`complaints.tasks`,
:mod:`complaints.overdue`.
"""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import false, func, or_, select

from complaints import states as st
from complaints.models import Complaint, ComplaintAttachment, ComplaintEvent
from core import authz
from core.accounts.roles import Role
from core.calendar import add_working_days, local_today
from core.errors import NotFound
from core.extensions import db
from core.ids import is_id

ORDINARY_DAYS = 2   # 6.6: an ordinary complaint is answered within 2 working days
SERIOUS_DAYS = 7    # 6.6: a serious one within 7 working days
DEPARTMENT_DAYS = 1  # 6.3: the department answers the internal letter within 1 working day
# The return visit after the fix: within a week for a serious complaint, two weeks for an ordinary one.
VISIT_DAYS = {st.Tier.ORDINARY: 14, st.Tier.SERIOUS: 7, st.Tier.VERY_SERIOUS: 7}

# Who reads complaints: CS, the GM's assistant, offices (their own dealers'); admins pass.
READER_ROLES = (Role.SERVICE, Role.SUPERVISOR, Role.GM_ASSISTANT, Role.OFFICE)
DESK = st.CS
PROCESS = "complaints"
CASE = "complaint"


# --------------------------------------------------------------------------- who sees what

def visible_office(actor) -> int | None:
    """The office ``actor`` is limited to (None: every office). The GM's assistant sees all."""
    authz.signed_in(actor)
    if actor.has_role(Role.GM_ASSISTANT):
        return None
    return authz.visible_office_id(actor)


def sees_staff_complaints(actor) -> bool:
    """Complaints about CS staff themselves go to the supervisor alone (manual ch. 1, 1.7)."""
    return actor is not None and actor.has_role(Role.SUPERVISOR)


def may_see(actor, complaint: Complaint) -> bool:
    """Whether ``actor`` may read ``complaint``: a reader role, its office, and staff complaints."""
    if actor is None or not actor.has_role(*READER_ROLES):
        return False
    if complaint.about_staff and not sees_staff_complaints(actor):
        return False
    limit = visible_office(actor)
    return limit is None or limit == complaint.office_id


def scoped(stmt, actor):
    """``stmt`` limited to the complaints ``actor`` may read."""
    authz.require(actor, *READER_ROLES)
    limit = visible_office(actor)
    if limit is not None:
        stmt = stmt.where(Complaint.office_id == limit)
    if not sees_staff_complaints(actor):
        stmt = stmt.where(Complaint.about_staff == false())
    return stmt


def get_complaint(actor, number: str) -> Complaint:
    """The complaint with CS number ``number`` if ``actor`` may read it.

    One that is not the actor's to see is "not found", as one that does not exist: a
    complaint about staff is not even admitted to exist to anyone but the supervisor.
    """
    authz.require(actor, *READER_ROLES)
    complaint = db.session.scalar(select(Complaint).where(Complaint.number == (number or "").strip().upper()))
    if complaint is None or not may_see(actor, complaint):
        raise NotFound(_("No such complaint."))
    return complaint


def complaints(actor, *, state: str | None = None, tier: str | None = None, q: str | None = None,
               overdue: bool = False, today: date | None = None):
    """Select statement of the complaints ``actor`` may read, newest first."""
    stmt = select(Complaint).order_by(Complaint.id.desc())
    if state:
        stmt = stmt.where(Complaint.state == state)
    if tier:
        stmt = stmt.where(Complaint.tier == tier)
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(Complaint.number.ilike(like), Complaint.subject.ilike(like)))
    if overdue:
        stmt = stmt.where(overdue_clause(today or local_today()))
    return scoped(stmt, actor)


def overdue_clause(today: date):
    """The complaints whose running deadline (answer or return visit) is past ``today``."""
    return or_(
        (Complaint.state.in_(sorted(st.ANSWER_CLOCK))) & (Complaint.answer_due < today),
        (Complaint.state.in_(sorted(st.VISIT_CLOCK))) & (Complaint.visit_due < today),
    )


def row_by_id(model, row_id):
    """``db.session.get`` for an id from a URL; ids no column can hold find nothing."""
    return db.session.get(model, row_id) if is_id(row_id) else None


# --------------------------------------------------------------------------- deadlines

def answer_due(tier: str, received_on: date) -> date | None:
    """The day the dealer must have the answer by; None for a very serious one (the supervisor sets it)."""
    if tier == st.Tier.ORDINARY:
        return add_working_days(received_on, ORDINARY_DAYS)
    if tier == st.Tier.SERIOUS:
        return add_working_days(received_on, SERIOUS_DAYS)
    return None


# --------------------------------------------------------------------------- the guarded workflow

def has_dealer_letter(complaint: Complaint) -> bool:
    """Whether the dealer's written complaint letter is on file."""
    return bool(complaint.id and db.session.scalar(
        select(func.count(ComplaintAttachment.id)).where(ComplaintAttachment.complaint_id == complaint.id)))


def _guard(complaint: Complaint, action: str):
    """Why a table-allowed ``action`` may not happen now (None: it may)."""
    if action == "answer" and complaint.tier != st.Tier.ORDINARY:
        if complaint.signed_at is None:
            return _("%(n)s: the handling report must be signed off by the department head before the dealer "
                     "is answered.", n=complaint.number), {"missing": ["sign_off"]}
        if complaint.tier == st.Tier.VERY_SERIOUS and complaint.gm_approved_at is None:
            return _("%(n)s: a complaint with compensation is answered only after the general manager's "
                     "assistant approved the handling report.", n=complaint.number), {"missing": ["gm_approve"]}
    if action == "refer" and not has_dealer_letter(complaint):
        return _("%(n)s: attach the dealer's written complaint letter before sending the internal letter.",
                 n=complaint.number), {"missing": ["dealer_letter"]}
    if action == "sign_off" and not (complaint.report or "").strip():
        return _("%(n)s: write the handling report before it is signed off.", n=complaint.number), \
            {"missing": ["report"]}
    return None


WORKFLOW = st.WORKFLOW.guarded(_guard)


def transition(actor, complaint: Complaint, action: str, *, note: str = "", data: dict | None = None,
               at: datetime | None = None, **values) -> Complaint:
    """Apply ``action`` to ``complaint`` exactly once (role, reader access, table, guard), or raise."""
    WORKFLOW.check_role(actor, action)
    if not may_see(actor, complaint):
        raise NotFound(_("No such complaint."))
    return WORKFLOW.apply(actor, complaint, action, note=note, data=data, at=at, **values)


def event(actor, complaint: Complaint, action: str, *, note: str = "", data: dict | None = None,
          at: datetime | None = None) -> None:
    """A history row that is no transition (a report written, an interim update...)."""
    WORKFLOW.event(actor, action, complaint.state, complaint.state, note=note, data=data, at=at,
                   complaint_id=complaint.id)


def allowed_for(actor, complaint: Complaint) -> list[str]:
    """What ``actor`` may do to ``complaint`` now (for the buttons)."""
    return WORKFLOW.allowed_actions(complaint, actor)


def history(complaint: Complaint) -> list[ComplaintEvent]:
    """The complaint's history rows, oldest first."""
    return list(db.session.scalars(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id)
                                   .order_by(ComplaintEvent.id)))
