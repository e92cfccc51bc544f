"""Closing a DOA case (B.3, B.7): the sales sign-off, the supervisor's waiver of missing papers, close."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import update

from core.accounts.roles import Role
from core.errors import Conflict, InvalidTransition, ValidationFailed
from core.extensions import db
from core.types import utcnow
from doa import states as st
from doa.models import DoaApplication
from doa.service import (
    _event,
    _invalid,
    _transition,
    _who,
    closing_papers_missing,
    ensure_access,
    require_role,
)


def sales_signoff(actor, app: DoaApplication, note: str = "", at: datetime | None = None) -> DoaApplication:
    """The sales head signs for the receipt: the freight is the sales department's cost (B.3)."""
    require_role(actor, Role.SALES)
    ensure_access(actor, app.office_id)
    if app.received_at is None:
        raise InvalidTransition(_("%(n)s has not been received yet; the sales head signs for a receipt.", n=app.number),
                                current=app.state, allowed=st.allowed_actions(app.state, app.request))
    if app.sales_signed_at is not None:
        raise Conflict(_("The sales head already signed for %(n)s (%(w)s).", n=app.number, w=app.sales_signed_by),
                       current_state=app.state)
    now = at or utcnow()
    table = DoaApplication.__table__
    result = db.session.execute(update(table).where(table.c.id == app.id, table.c.sales_signed_at.is_(None))
                                .values(sales_signed_by=_who(actor)[1], sales_signed_at=now, updated_at=now))
    if result.rowcount != 1:
        db.session.refresh(app)
        raise Conflict(_("The sales head already signed for %(n)s.", n=app.number), current_state=app.state)
    db.session.refresh(app)
    _event(actor, app.id, "sales_signoff", note=note, at=now)
    return app


def waive_closing_papers(actor, app: DoaApplication, reason: str, at: datetime | None = None) -> DoaApplication:
    """The supervisor lets the case close without the papers still missing, with a reason (recorded, shown)."""
    require_role(actor, Role.SUPERVISOR)
    ensure_access(actor, app.office_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say why the missing papers are waived."), errors={"reason": [_("Required.")]})
    if len(reason) > 500:
        raise ValidationFailed(_("The reason is too long."), errors={"reason": [_("At most 500 characters.")]})
    missing = closing_papers_missing(app)
    if not missing:
        raise Conflict(_("%(n)s has its papers complete: nothing to waive.", n=app.number), current_state=app.state)
    if app.closing_waived_at is not None:
        raise Conflict(_("The missing papers of %(n)s were already waived by %(w)s.", n=app.number,
                         w=app.closing_waived_by), current_state=app.state)
    if app.state in st.TERMINAL:
        raise _invalid(app, "close")
    now = at or utcnow()
    table = DoaApplication.__table__
    result = db.session.execute(update(table).where(table.c.id == app.id, table.c.closing_waived_at.is_(None))
                                .values(closing_waived_by=_who(actor)[1], closing_waived_at=now,
                                        closing_waiver_reason=reason, updated_at=now))
    if result.rowcount != 1:
        db.session.refresh(app)
        raise Conflict(_("The missing papers of %(n)s were already waived.", n=app.number), current_state=app.state)
    db.session.refresh(app)
    _event(actor, app.id, "closing_waiver", note=reason, at=now, data={"missing": missing})
    return app


def close_case(actor, app: DoaApplication, note: str = "", at: datetime | None = None) -> DoaApplication:
    """CS closes a case whose replacement shipped or refund was credited, once the papers are complete or waived."""
    now = at or utcnow()
    return _transition(actor, app, "close", note=(note or "").strip()[:500], at=now, closed_by=_who(actor)[1],
                       closed_at=now, data={"waived": app.closing_waived_at is not None})
