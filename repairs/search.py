"""Finding units and parcels: scanned serial lists, the search box, a unit's shipments, the parcel list."""
from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from core import authz
from core.codes import normalise_code, normalise_serial
from core.directory.models import Dealer
from core.errors import ValidationFailed
from core.extensions import db
from core.pagination import Key, KeysetPage, keyset
from core.queries import starts_with
from repairs.factory import LEG_LABELS
from repairs.models import RepairUnit, ReturnParcel
from repairs.service import find_unit_by_serial
from shipments.models import Shipment, ShipmentLine


def units_by_serials(actor, serials) -> list[RepairUnit]:
    """Resolve a list of scanned serials; unknown ones are a 422 naming them."""
    units, unknown = [], []
    for serial in serials:
        unit = find_unit_by_serial(serial)
        if unit is None:
            unknown.append(serial)
        else:
            units.append(unit)
    if unknown:
        raise ValidationFailed(_("Unknown serials: %(s)s.", s=", ".join(unknown)), errors={"serials": unknown})
    return units


# --------------------------------------------------------------------------- status lookup

def _scoped_units(actor):
    stmt = select(RepairUnit).join(ReturnParcel, RepairUnit.parcel_id == ReturnParcel.id)
    return authz.scope_to_office(stmt, actor, ReturnParcel.office_id)


def search(actor, query: str, *, limit: int = 25) -> list[RepairUnit]:
    """Units matching a serial, replacement serial, RMA number, waybill, dealer name or phone.

    Every branch is an equality or prefix match on an indexed column so the
    lookup stays fast at a million units.
    """
    q = (query or "").strip()
    if not q:
        return []
    if len(q) > 100:
        raise ValidationFailed(_("The search text is too long."), errors={"q": [_("At most 100 characters.")]})
    base = (_scoped_units(actor).options(selectinload(RepairUnit.parcel), selectinload(RepairUnit.route))
            .order_by(RepairUnit.id.desc()).limit(limit))
    code = normalise_serial(q)
    found = list(db.session.scalars(base.where(or_(RepairUnit.serial == code, RepairUnit.replacement_serial == code))))
    if found:
        return found
    upper = q.upper()
    parcel_ids = list(db.session.scalars(
        select(ReturnParcel.id).where(or_(ReturnParcel.rma_number == upper, ReturnParcel.inbound_waybill == q)).limit(limit)
    ))
    if not parcel_ids:
        # An outbound waybill or a shipment number: the units that travel (or are packed) on it.
        shipped = _units_on_shipment(base, normalise_code(q), limit)
        if shipped:
            return shipped
        digits = re.sub(r"\D", "", q)
        dealer_q = select(Dealer.id)
        if digits and len(digits) >= 7 and len(digits) == len(re.sub(r"[\s\-+()]", "", q)):
            dealer_q = dealer_q.where(Dealer.phone == q)
        else:
            dealer_q = dealer_q.where(or_(Dealer.name == q, starts_with(Dealer.name, q), Dealer.code == q))
        dealer_ids = list(db.session.scalars(dealer_q.limit(20)))
        if not dealer_ids:
            return []
        parcel_ids = list(db.session.scalars(
            select(ReturnParcel.id).where(ReturnParcel.dealer_id.in_(dealer_ids))
            .order_by(ReturnParcel.id.desc()).limit(limit)
        ))
    if not parcel_ids:
        return []
    return list(db.session.scalars(base.where(RepairUnit.parcel_id.in_(parcel_ids))))


def _units_on_shipment(base, code: str, limit: int) -> list[RepairUnit]:
    """Units on the shipments numbered ``code`` or carrying waybill ``code`` (indexed columns only)."""
    if not code:
        return []
    shipment_ids = list(db.session.scalars(
        select(Shipment.id).where(or_(Shipment.number == code, Shipment.waybill == code)).limit(limit)))
    if not shipment_ids:
        return []
    unit_ids = (select(ShipmentLine.ref_id)
                .where(ShipmentLine.shipment_id.in_(shipment_ids), ShipmentLine.ref_type == "repair_unit"))
    return list(db.session.scalars(base.where(RepairUnit.id.in_(unit_ids))))


def unit_shipments(unit: RepairUnit) -> list[dict]:
    """The unit's legs with their shipment: to the factory, back to the dealer (number, state, waybill,
    carrier, ship date); a shipment still packed is an open box or waits for its waybill."""
    out = []
    for leg, shipment_id in (("hq_factory", unit.factory_shipment_id), ("factory_dealer", unit.return_shipment_id)):
        shipment = db.session.get(Shipment, shipment_id) if shipment_id is not None else None
        if shipment is not None:
            out.append({"leg": leg, "leg_label": LEG_LABELS[leg], "shipment": shipment,
                        "open_box": shipment.box_key is not None})
    return out


PARCEL_KEYS = (Key(ReturnParcel.id, "int", desc=True),)
PARCELS_PER_PAGE = 30


def parcels(actor, *, q: str | None = None):
    """Select statement of parcels the actor may see, newest first."""
    stmt = select(ReturnParcel).options(selectinload(ReturnParcel.units)).order_by(ReturnParcel.id.desc())
    stmt = authz.scope_to_office(stmt, actor, ReturnParcel.office_id)
    if q:
        q = q.strip()
        stmt = stmt.where(or_(ReturnParcel.rma_number == q.upper(), ReturnParcel.inbound_waybill == q))
    return stmt


def parcels_page(actor, *, q: str | None = None, after=None, per_page=PARCELS_PER_PAGE) -> KeysetPage:
    """One page of :func:`parcels`, newest first, after the cursor ``after`` (request arguments, checked)."""
    return keyset(parcels(actor, q=q), PARCEL_KEYS, after, per_page, default_per_page=PARCELS_PER_PAGE)
