"""Finding DOA cases: by number, the lists, the status look-up, what a dealer sees, open cases.

Functions other packages call: :func:`find_doa` (status lookup) and, through
registries, :func:`lookup_views`, :func:`open_case_rows` and :func:`open_case_on`.
"""
from __future__ import annotations

import hmac
import re
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import exists, literal_column, null, or_, select

from core import authz
from core.calendar import local_day, local_today
from core.directory.models import Dealer
from core.errors import NotFound, ValidationFailed
from core.extensions import db
from core.pagination import Key, KeysetPage, keyset
from core.queries import inline_states, starts_with
from doa import states as st
from doa.models import DoaApplication, DoaEvent, DoaUnit
from doa.overdue import _overdue_clause
from doa.service import NUMBER_RE, ensure_access, visible_office
from shipments.models import Shipment


def application_by_number(number: str) -> DoaApplication:
    """The application with this DOA number (case-insensitive); NotFound otherwise."""
    number = (number or "").strip().upper()
    app = db.session.scalar(select(DoaApplication).where(DoaApplication.number == number)) if number else None
    if app is None:
        raise NotFound(_("No DOA application numbered %(n)s.", n=number or "—"))
    return app


def get_application(actor, number: str) -> DoaApplication:
    """The application ``number`` if ``actor`` may see it."""
    app = application_by_number(number)
    ensure_access(actor, app.office_id)
    return app


# Newest first: the id alone is the order users saw with page numbers, total and never NULL.
# doa_application's indexes (state, id), (office_id, id) and (office_id, state, id) make a page
# of the state filter and of an office's own list one range read.
APPLICATION_KEYS = (Key(DoaApplication.id, "int", desc=True),)
APPLICATIONS_PER_PAGE = 50


def applications_page(actor, *, state: str | None = None, q: str | None = None, overdue: bool = False,
                      after=None, per_page=APPLICATIONS_PER_PAGE) -> KeysetPage:
    """One page of :func:`applications` (newest first) after the cursor ``after`` (a forged one is a 422)."""
    return keyset(applications(actor, state=state, q=q, overdue=overdue), APPLICATION_KEYS, after, per_page,
                  default_per_page=APPLICATIONS_PER_PAGE)


def applications(actor, *, state: str | None = None, q: str | None = None, overdue: bool = False,
                 today: date | None = None):
    """Select statement of applications ``actor`` may see, newest first."""
    stmt = select(DoaApplication).order_by(DoaApplication.id.desc())
    limit = visible_office(actor)
    if limit is not None:
        stmt = stmt.where(DoaApplication.office_id == limit)
    if state:
        if state not in st.STATES:
            raise ValidationFailed(_("Unknown state."), errors={"state": [_("One of: %(s)s.", s=", ".join(st.STATES))]})
        stmt = stmt.where(DoaApplication.state == state)
    if overdue:
        stmt = stmt.where(_overdue_clause(today or local_today()))
    q = (q or "").strip()
    if q:
        if len(q) > 100:
            raise ValidationFailed(_("The search text is too long."), errors={"q": [_("At most 100 characters.")]})
        ids = [a.id for a in find_doa(q, actor=actor)]
        stmt = stmt.where(DoaApplication.id.in_(ids or [-1]))
    return stmt


def find_doa(query: str, actor, *, limit: int = 50) -> list[DoaApplication]:
    """Applications matching a DOA number, a unit or replacement serial, a waybill, or a dealer.

    For the status lookup ("where is my unit?"). Every branch is an equality
    or prefix match on an indexed column. Office scoping applies (SYSTEM sees all).
    """
    authz.visible_office_id(actor, approvers_see_all=True)  # refuses nobody before anything is looked up
    q = (query or "").strip()
    if not q or len(q) > 100:
        return []
    upper = q.upper()
    ids: set[int] = set()
    ids.update(db.session.scalars(select(DoaApplication.id).where(DoaApplication.number == upper)))
    ids.update(db.session.scalars(select(DoaUnit.application_id).where(
        or_(DoaUnit.serial == upper, DoaUnit.replacement_serial == upper)).limit(limit)))
    ids.update(db.session.scalars(select(DoaApplication.id).where(DoaApplication.credit_number == q).limit(limit)))
    if not ids:
        shipment_ids = list(db.session.scalars(select(Shipment.id).where(Shipment.waybill == upper).limit(limit)))
        if shipment_ids:
            ids.update(db.session.scalars(select(DoaApplication.id).where(or_(
                DoaApplication.inbound_shipment_id.in_(shipment_ids),
                DoaApplication.replacement_shipment_id.in_(shipment_ids)))))
    if not ids:
        dealer_ids = list(db.session.scalars(select(Dealer.id).where(or_(
            Dealer.code == q, Dealer.code == upper, Dealer.name == q, starts_with(Dealer.name, q),
            Dealer.phone == q)).limit(20)))
        if dealer_ids:
            ids.update(db.session.scalars(select(DoaApplication.id).where(DoaApplication.dealer_id.in_(dealer_ids))
                                          .order_by(DoaApplication.id.desc()).limit(limit)))
    if not ids:
        return []
    stmt = select(DoaApplication).where(DoaApplication.id.in_(ids)).order_by(DoaApplication.id.desc()).limit(limit)
    stmt = authz.scope_to_office(stmt, actor, DoaApplication.office_id, approvers_see_all=True)
    return list(db.session.scalars(stmt))


def timeline(app: DoaApplication) -> list[DoaEvent]:
    """The application's whole history, oldest first."""
    return list(db.session.scalars(select(DoaEvent).where(DoaEvent.application_id == app.id).order_by(DoaEvent.id)))


def public_status(number: str, phone_last4: str) -> DoaApplication | None:
    """The application if its number and the dealer phone's last four digits match; else None."""
    number = (number or "").strip().upper()
    last4 = (phone_last4 or "").strip()
    if not NUMBER_RE.match(number) or not re.fullmatch(r"\d{4}", last4):
        return None
    app = db.session.scalar(select(DoaApplication).where(DoaApplication.number == number))
    if app is None or app.dealer is None or len(app.dealer.phone_last4) != 4:
        return None
    if not hmac.compare_digest(app.dealer.phone_last4, last4):
        return None
    return app


def dealer_summary(app: DoaApplication) -> dict:
    """What a dealer may see: number, state, units and their replacements. No internals."""
    shipment = app.replacement_shipment
    return {
        "number": app.number, "state": app.state, "state_label": st.state_label(app.state),
        "request": app.request, "created_at": app.created_at, "replacement_due": app.replacement_due,
        "units": [{"serial": u.serial, "model": u.model, "replacement_serial": u.replacement_serial}
                  for u in app.declared_units],
        # The finished-goods store's separate shipment of the replacement (B.4), once reported.
        "replacement_waybill": shipment.waybill if shipment else None,
        "replacement_carrier": shipment.carrier if shipment else None,
        "replacement_shipped_on": replacement_shipped_on(app),
        "refund_amount": app.refund_amount if app.credit_at else None,
        "refund_currency": app.refund_currency if app.credit_at else None,
    }


def replacement_shipped_on(app: DoaApplication) -> date | None:
    """The local day the replacement shipped (None before)."""
    when = app.replacement_shipped_at or (app.replacement_shipment.shipped_at if app.replacement_shipment else None)
    return local_day(when) if when else None


def application_view(app: DoaApplication) -> dict:
    """The application as the scan station and the lookup show it."""
    today = local_today()
    due = app.next_due
    return {"id": app.id, "number": app.number, "state": app.state, "state_label": st.state_label(app.state),
            "request": app.request, "dealer": app.dealer.name if app.dealer else "",
            "next_due": due.isoformat() if due else None, "overdue": app.is_overdue(today),
            "declared": len(app.declared_units),
            "arrived": sum(1 for u in app.units if u.arrived_at is not None),
            "units": [{"serial": u.serial, "model": u.model, "arrived": u.arrived_at is not None,
                       "replacement_serial": u.replacement_serial} for u in app.units]}


def open_case_rows(serial_is):
    """DOA cases not finished holding a serial, as the repairs "open elsewhere" check reads them
    (``kind, serial, state, unit_id, number, newest``; registered with :mod:`core.open_records`)."""
    du, da = DoaUnit.__table__, DoaApplication.__table__
    return (select(literal_column("'doa'").label("kind"), du.c.serial, da.c.state, null().label("unit_id"), da.c.number,
                   da.c.id)
            .select_from(du.join(da, da.c.id == du.c.application_id))
            .where(serial_is(du.c.serial), da.c.state.not_in(inline_states(st.FINISHED))))


def open_case_on(serial_column):
    """True when a DOA case not finished holds the serial in ``serial_column`` (an EXISTS)."""
    du, da = DoaUnit.__table__, DoaApplication.__table__
    return exists().where(du.c.serial == serial_column, da.c.id == du.c.application_id,
                          da.c.state.not_in(inline_states(st.FINISHED)))


def open_case_message(found: dict) -> str:
    """The clerk's sentence for a serial still open on a DOA case."""
    return _("%(s)s is still open on DOA case %(n)s (%(state)s).", s=found["serial"], n=found["rma_number"],
             state=found["state_label"])


def lookup_views(q: str, *, actor) -> list[dict]:
    """DOA cases for the repairs status look-up, as :func:`application_view` dicts."""
    return [application_view(a) for a in find_doa(q, actor=actor)]
