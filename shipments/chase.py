"""What the shipments package chases (core.chase): factory shipments whose waybill report is overdue.

The factory reports a shipment's details and waybill no later than the next
working day (DOMAIN.md D.4). A factory-leg shipment still without its report
after that day is chased to the factory's shipping department (the
``FACTORY_SHIPPING_EMAIL`` mailbox) and the supervisor, every day until it
comes in. Shipments that were reported late are history (the late-reports
page), not something to chase.
"""
from __future__ import annotations

from datetime import date, datetime, time

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core import chase
from core.authz import scope_to_office
from core.calendar import SHANGHAI, last_working_day_before, local_day
from core.pagination import Key
from shipments.models import FACTORY_LEGS, Shipment
from shipments.service import report_due_for
from shipments.views import LEG_LABELS

KIND = "factory_report"
OWNER_KEY = "factory_shipping"
OWNER_TITLE = "工厂发货部 / Factory shipping department"
# Most overdue first: packed earliest (a report is due the next working day after packing).
KEYS = (Key(Shipment.created_at, "datetime"), Key(Shipment.id, "int"))


def _words(number: str, leg: str, packed_on: date) -> str:
    return _("No waybill report for %(number)s (%(leg)s), packed %(day)s: the factory reports by the next "
             "working day", number=number, leg=LEG_LABELS.get(leg, leg), day=packed_on.isoformat())


def overdue_report_query(today: date, actor) -> chase.ChaseQuery:
    """Factory-leg shipments packed and still not reported after their reporting day.

    Packed on day D, a report is due the next working day after D, which is before today
    exactly when D is before the last working day before today: one bound on the packing
    time, so the database pages and counts them (the late-reports page lists the history).
    """
    packed_before = datetime.combine(last_working_day_before(today), time(0), tzinfo=SHANGHAI)
    # Only packed ones can lack a report: shipping always records the waybill.
    stmt = select(Shipment).where(Shipment.leg.in_(FACTORY_LEGS), Shipment.status == "packed",
                                  Shipment.reported_at.is_(None), Shipment.created_at < packed_before)
    return chase.ChaseQuery(scope_to_office(stmt, actor, Shipment.office_id), KEYS, _items)


def _items(shipments, today: date):
    owner = chase.owner(OWNER_KEY, OWNER_TITLE, current_app.config.get("FACTORY_SHIPPING_EMAIL"))
    for shipment in shipments:
        packed_on = local_day(shipment.created_at)
        due = report_due_for(packed_on)
        yield chase.ChaseItem(
            kind=KIND, item_id=shipment.id, owner=owner, reference=shipment.number,
            description=chase.Words(_words, shipment.number, shipment.leg, packed_on),
            due=due, late=chase.calendar_days_late(due, today), link=f"/shipments/{shipment.number}",
            late_unit=chase.CALENDAR,
        )


chase.register_chase(KIND, query=overdue_report_query, title=_l("Factory shipments not reported in time"), order=30,
                     link="/shipments/late-reports")
