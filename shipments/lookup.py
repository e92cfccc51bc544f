"""Finding shipments: by number, waybill or a scanned code, with the reader's office scope, and the list."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from core.authz import require_office, scope_to_office
from core.calendar import SHANGHAI
from core.codes import normalise_code
from core.errors import NotFound, ValidationFailed
from core.extensions import db
from core.pagination import Key, KeysetPage, keyset
from core.queries import contains
from shipments.models import LEGS, PAYING_ACCOUNTS, STATUSES, Shipment, ShipmentLine


def shipment_by_number(number) -> Shipment:
    """The shipment numbered ``number`` (as scanned: case and spaces ignored); NotFound if none."""
    code = normalise_code(number)
    shipment = db.session.scalar(select(Shipment).where(Shipment.number == code)) if code else None
    if shipment is None:
        raise NotFound(_("No shipment numbered %(n)s.", n=code or "-"))
    return shipment


def shipment_by_waybill(waybill) -> Shipment:
    """The shipment carrying ``waybill``; NotFound if none."""
    code = normalise_code(waybill)
    shipment = db.session.scalar(select(Shipment).where(Shipment.waybill == code)) if code else None
    if shipment is None:
        raise NotFound(_("No shipment with waybill %(w)s.", w=code or "-"))
    return shipment


def find_shipment(code) -> Shipment:
    """A scanned shipment label or waybill: tries the number first, then the waybill."""
    code = normalise_code(code)
    if not code:
        raise NotFound(_("Scan a shipment label or waybill."))
    shipment = db.session.scalar(
        select(Shipment).where(or_(Shipment.number == code, Shipment.waybill == code)).order_by(Shipment.id).limit(1)
    )
    if shipment is None:
        raise NotFound(_("No shipment with number or waybill %(c)s.", c=code))
    return shipment


def ensure_shipment_access(actor, shipment: Shipment) -> None:
    """Raise Forbidden unless ``actor`` may see ``shipment`` (offices: only their own)."""
    require_office(actor, shipment.office_id)


def get_shipment(actor, key) -> Shipment:
    """A shipment by id or number that ``actor`` may see (NotFound / Forbidden)."""
    if isinstance(key, int) and not isinstance(key, bool):
        shipment = db.session.get(Shipment, key)
        if shipment is None:
            raise NotFound(_("No such shipment."))
    else:
        shipment = shipment_by_number(key)
    ensure_shipment_access(actor, shipment)
    return shipment


LIST_KEYS = (Key(Shipment.created_at, "datetime", desc=True), Key(Shipment.id, "int", desc=True))
LIST_PER_PAGE = 50


def shipments_page(actor, *, after=None, per_page=LIST_PER_PAGE, **filters) -> KeysetPage:
    """One page of :func:`shipments_query` (newest first) after the cursor ``after``, with each shipment's lines
    (the list counts units and parts) loaded in one statement."""
    stmt = shipments_query(actor, **filters).options(selectinload(Shipment.lines))
    return keyset(stmt, LIST_KEYS, after, per_page, default_per_page=LIST_PER_PAGE)


def shipments_query(actor, *, q=None, leg=None, status=None, paying_account=None, office_id=None, dealer_id=None,
                    shipped_from: date | None = None, shipped_to: date | None = None):
    """A SELECT of the shipments ``actor`` may see, newest first, filtered.

    ``q`` matches the number, waybill, carrier or a line's serial.
    """
    errors: dict = {}
    if leg and leg not in LEGS:
        errors["leg"] = [_("Unknown leg.")]
    if status and status not in STATUSES:
        errors["status"] = [_("Unknown status.")]
    if paying_account and paying_account not in PAYING_ACCOUNTS:
        errors["paying_account"] = [_("Must be cs or sales.")]
    if errors:
        raise ValidationFailed(_("The filter has invalid fields."), errors=errors)
    stmt = scope_to_office(select(Shipment), actor, Shipment.office_id)
    if office_id:
        stmt = stmt.where(Shipment.office_id == office_id)
    if dealer_id:
        stmt = stmt.where(Shipment.dealer_id == dealer_id)
    if leg:
        stmt = stmt.where(Shipment.leg == leg)
    if status:
        stmt = stmt.where(Shipment.status == status)
    if paying_account:
        stmt = stmt.where(Shipment.paying_account == paying_account)
    if shipped_from:
        stmt = stmt.where(Shipment.shipped_at >= datetime.combine(shipped_from, time(0), tzinfo=SHANGHAI))
    if shipped_to:
        stmt = stmt.where(Shipment.shipped_at < datetime.combine(shipped_to + timedelta(days=1), time(0), tzinfo=SHANGHAI))
    text = (q or "").strip()
    if text:
        code = normalise_code(text)
        serial_hit = select(ShipmentLine.shipment_id).where(ShipmentLine.serial == code)
        stmt = stmt.where(or_(
            contains(Shipment.number, code), contains(Shipment.waybill, code),
            contains(func.upper(Shipment.carrier), text.upper()), Shipment.id.in_(serial_hit),
        ))
    return stmt.order_by(Shipment.created_at.desc(), Shipment.id.desc())
