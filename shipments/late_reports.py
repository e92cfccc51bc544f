"""The factory's reporting deadline (DOMAIN.md D.4): factory legs must be reported, i.e. the waybill
entered, no later than the next working day after the factory shipped; :func:`late_reports` lists those
that were not."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from core.authz import scope_to_office
from core.calendar import local_day, local_today
from core.extensions import db
from shipments.models import FACTORY_LEGS, Shipment
from shipments.service import report_due_for


@dataclass(frozen=True)
class LateReport:
    """A factory shipment reported after its deadline, or not reported by it yet."""

    shipment: Shipment
    due: date
    reported_on: date | None  # None: not reported yet

    @property
    def pending(self) -> bool:
        return self.reported_on is None

    # Shortcuts for pages that list late reports next to other overdue work.
    @property
    def number(self) -> str:
        return self.shipment.number

    @property
    def waybill(self) -> str | None:
        return self.shipment.waybill

    @property
    def leg(self) -> str:
        return self.shipment.leg

    def __str__(self) -> str:
        return self.shipment.number

    def days_late(self, today: date | None = None) -> int:
        """Calendar days past the due day (until the report, or until today)."""
        end = self.reported_on or today or local_today()
        return (end - self.due).days


def late_reports(actor, *, today: date | None = None, include_pending: bool = True) -> list[LateReport]:
    """Factory-leg shipments whose waybill report missed the next-working-day deadline.

    Reported late: shipped on day S, reported after the next working day after S.
    Pending (``include_pending``): packed on a factory leg and still without a
    report after the next working day after packing. Oldest due first. With
    ``actor``, limited to what that user may see.
    """
    today = today or local_today()
    stmt = select(Shipment).where(Shipment.leg.in_(FACTORY_LEGS))
    stmt = scope_to_office(stmt, actor, Shipment.office_id)
    results: list[LateReport] = []
    reported = stmt.where(Shipment.report_due.is_not(None), Shipment.reported_at.is_not(None))
    for shipment in db.session.scalars(reported):
        reported_on = local_day(shipment.reported_at)
        if reported_on > shipment.report_due:
            results.append(LateReport(shipment, shipment.report_due, reported_on))
    if include_pending:
        # Only packed ones can lack a report: shipping always records the waybill.
        pending = stmt.where(Shipment.status == "packed", Shipment.reported_at.is_(None))
        for shipment in db.session.scalars(pending):
            due = report_due_for(local_day(shipment.created_at))
            if today > due:
                results.append(LateReport(shipment, due, None))
    results.sort(key=lambda r: (r.due, r.shipment.number))
    return results
