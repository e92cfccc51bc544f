"""What the shipments package chases (core.chase): factory shipments whose waybill report is overdue.

The factory reports a shipment's details and waybill no later than the next
working day (DOMAIN.md D.4). A factory-leg shipment still without its report
after that day is chased to the factory's shipping department (the
``FACTORY_SHIPPING_EMAIL`` mailbox) and the supervisor, every day until it
comes in. Shipments that were reported late are history (the late-reports
page), not something to chase.
"""
from __future__ import annotations

from datetime import date

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import chase
from core.calendar import local_day
from shipments.late_reports import late_reports
from shipments.views import LEG_LABELS

KIND = "factory_report"
OWNER_KEY = "factory_shipping"
OWNER_TITLE = "工厂发货部 / Factory shipping department"


def _words(number: str, leg: str, packed_on: date) -> str:
    return _("No waybill report for %(number)s (%(leg)s), packed %(day)s: the factory reports by the next "
             "working day", number=number, leg=LEG_LABELS.get(leg, leg), day=packed_on.isoformat())


def overdue_report_items(today: date, actor):
    """Factory-leg shipments still not reported after their reporting day."""
    owner = chase.owner(OWNER_KEY, OWNER_TITLE, current_app.config.get("FACTORY_SHIPPING_EMAIL"))
    for late in late_reports(actor, today=today, include_pending=True):
        if not late.pending:
            continue
        shipment = late.shipment
        yield chase.ChaseItem(
            kind=KIND, item_id=shipment.id, owner=owner, reference=shipment.number,
            description=chase.Words(_words, shipment.number, shipment.leg, local_day(shipment.created_at)),
            due=late.due, late=chase.calendar_days_late(late.due, today), link=f"/shipments/{shipment.number}",
            late_unit=chase.CALENDAR,
        )


chase.register_chase(KIND, overdue_report_items, title=_l("Factory shipments not reported in time"), order=30)
