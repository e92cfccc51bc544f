"""What goes on each kind of label: records (units, parcels, shipments, shelves, parts) to LabelSpecs.

Every function takes the acting user, looks the record up through its own
package's service (NotFound when there is none) and applies the access rules:

- unit and RMA labels: HQ staff (clerk, service, supervisor; admins pass);
- shipment labels and packing slips: HQ staff, and office users for their own
  office's shipments (the HQ <-> office legs they pack);
- shelf / bin labels: HQ staff, and office users for their own office's
  locations only (403 otherwise);
- part labels: HQ staff and office users (a SKU label shows no office's stock).

A unit still on its way to repair carries the data-wipe notice (DOMAIN.md A.7), the
same notice the dealer's pages and the receipt show (repairs/notices.py).
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.accounts.roles import Role
from core.accounts.scope import ensure_office_access
from core.authz import require
from core.calendar import local_day
from core.directory.models import Office
from core.errors import NotFound, ValidationFailed
from core.extensions import db
from doa.label_data import label_data
from inventory.models import Location
from inventory.service import ensure_location_access, location_by_code, part_by_sku
from labels.render import LabelSpec
from repairs import states as st
from repairs.notices import DATA_WIPE
from repairs.service import parcel_by_rma, unit_by_serial
from shipments.lookup import ensure_shipment_access, shipment_by_number
from shipments.views import LEG_LABELS

HQ = (Role.CLERK, Role.SERVICE, Role.SUPERVISOR)
STAFF = HQ + (Role.OFFICE,)
KINDS = ("unit", "rma", "doa", "shipment", "shelf", "part")
HQ_KINDS = ("unit", "rma", "doa")
KIND_LABELS = {
    "unit": _l("Repair units (by serial)"),
    "rma": _l("RMA parcels (parcel and its units)"),
    "doa": _l("DOA applications (application and its units)"),
    "shipment": _l("Shipments (one label per piece)"),
    "shelf": _l("Shelves and bins (by location code)"),
    "part": _l("Parts (by SKU)"),
}
MAX_BATCH_CODES = 500
MAX_LABELS = 2000   # one request's labels: about 2 s to render and 85 A4 sheets
MAX_PIECES = 99

# The one data-wipe notice (repairs/notices.py), in its label-size form.
DATA_WIPE_NOTICE = DATA_WIPE.label


def _require(actor, *roles) -> None:
    require(actor, *roles, message=_("Your role does not allow printing these labels."))


def _day(moment) -> str:
    return local_day(moment).isoformat() if moment else ""


def _name(party) -> str:
    if party is None:
        return ""
    code = getattr(party, "code", "")
    return f"{party.name} ({code})" if code else party.name


# --- repair units and parcels ---------------------------------------------------------------

def _going_to_repair(unit) -> bool:
    # Until the factory has it back, the unit is still to be repaired (and wiped).
    return unit.state in {st.DECLARED, st.RECEIVED, st.AWAITING_DEALER, st.DISPUTED, st.INSPECTED, st.AT_FACTORY}


def unit_spec(unit) -> LabelSpec:
    """The label of one repair unit: serial barcode, model, parcel, dealer, fault, day received, notice.

    A label stays stuck on the unit for weeks: it prints only what stays true
    (never the unit's current state or route, which change after printing).
    """
    parcel = unit.parcel
    lines = [
        _("%(rma)s · line %(line)d", rma=parcel.rma_number, line=unit.line_no or 0),
        _name(parcel.dealer),
    ]
    # The fault matters to the factory more than the day it arrived: it comes first.
    if unit.fault:
        lines.append(_("Fault: %(fault)s", fault=unit.fault))
    if unit.received_at:
        lines.append(_("Received %(day)s", day=_day(unit.received_at)))
    return LabelSpec(
        code=unit.serial,
        title=unit.model or _("Repair unit"),
        lines=lines,
        notice=str(DATA_WIPE_NOTICE) if _going_to_repair(unit) else None,
    )


def parcel_spec(parcel) -> LabelSpec:
    """The label of an RMA parcel: RMA number barcode, dealer, units declared, inbound waybill, arrival.

    The count is of the units the dealer declared, which stays true; how many
    were found (or went missing) changes after the label is stuck on the parcel.
    """
    lines = [_name(parcel.dealer), _("%(count)d units declared", count=len(parcel.units))]
    if parcel.inbound_waybill:
        lines.append(_("Inbound waybill %(waybill)s %(carrier)s", waybill=parcel.inbound_waybill,
                       carrier=parcel.inbound_carrier or "").strip())
    if parcel.arrived_at:
        lines.append(_("Arrived %(day)s", day=_day(parcel.arrived_at)))
    units = [u for u in parcel.units if u.state != "missing"]
    return LabelSpec(
        code=parcel.rma_number,
        title=_("RMA parcel"),
        lines=lines,
        notice=str(DATA_WIPE_NOTICE) if any(_going_to_repair(u) for u in units) else None,
    )


def unit_specs(actor, serial: str) -> list[LabelSpec]:
    """The label of the repair unit with ``serial`` (its current one if it came back before)."""
    _require(actor, *HQ)
    unit = unit_by_serial(serial)
    ensure_office_access(actor, unit.parcel.office_id)
    return [unit_spec(unit)]


def rma_specs(actor, rma_number: str) -> list[LabelSpec]:
    """The parcel label, then one label per unit of the parcel (units found missing are left out)."""
    _require(actor, *HQ)
    parcel = parcel_by_rma(rma_number)
    ensure_office_access(actor, parcel.office_id)
    return [parcel_spec(parcel)] + [unit_spec(u) for u in parcel.units if u.state != "missing"]


# --- shipments --------------------------------------------------------------------------------

def shipment_for(actor, number: str):
    """The shipment numbered ``number`` that ``actor`` may print (NotFound / Forbidden)."""
    _require(actor, *STAFF)
    shipment = shipment_by_number(number)
    ensure_shipment_access(actor, shipment)
    return shipment


def _location(location_id):
    if location_id is None:
        return None

    return db.session.get(Location, location_id)


def _destination(shipment) -> str:
    # Legs are named "<from>_<to>"; the receiving party is the shipment's dealer,
    # office or vendor, or else its destination location (HQ store, factory).
    dest = shipment.leg.rsplit("_", 1)[-1]
    party = {"dealer": shipment.dealer, "office": shipment.office,
             "vendor": getattr(shipment, "vendor", None)}.get(dest)
    if party is not None:
        return _name(party)
    loc = _location(getattr(shipment, "to_location_id", None))
    if loc is not None:
        return _name(loc)
    return {"hq": _("HQ customer service"), "factory": _("Factory")}.get(dest, "")


def shipment_spec_list(shipment) -> list[LabelSpec]:
    """One label per piece of the shipment ("piece 2 of 3"), each with the shipment number barcode."""
    lines = []
    destination = _destination(shipment)
    if destination:
        lines.append(_("To: %(party)s", party=destination))
    carrier = " ".join(x for x in (shipment.carrier, shipment.waybill) if x)
    if carrier:
        lines.append(_("Carrier: %(carrier)s", carrier=carrier))
    lines.append(_("Contents: %(units)d units, %(parts)d parts", units=shipment.unit_count,
                   parts=shipment.part_quantity))
    pieces = min(max(int(shipment.pieces or 1), 1), MAX_PIECES)
    title = f"{_('Shipment')} · {LEG_LABELS.get(shipment.leg, shipment.leg)}"
    return [
        LabelSpec(code=shipment.number, title=title,
                  lines=[*lines, _("Piece %(piece)d of %(pieces)d", piece=i, pieces=pieces)])
        for i in range(1, pieces + 1)
    ]


def shipment_specs(actor, number: str) -> list[LabelSpec]:
    """The labels of a shipment: one per piece."""
    return shipment_spec_list(shipment_for(actor, number))


# --- shelves and parts ------------------------------------------------------------------------

def location_spec(location) -> LabelSpec:
    """A shelf or bin label: its scannable code in large, its name and where it is."""
    lines = []
    parent = getattr(location, "parent", None)
    if parent is not None:
        lines.append(_("In %(parent)s", parent=_name(parent)))
    office = None
    if location.office_id is not None:
        office = db.session.get(Office, location.office_id)
    if office is not None:
        lines.append(_("Office: %(office)s", office=_name(office)))
    return LabelSpec(code=location.code, title=location.name, lines=lines)


def shelf_specs(actor, code: str) -> list[LabelSpec]:
    """The label of the location (shelf, bin, store) with ``code``; offices: their own only."""
    _require(actor, *STAFF)
    location = location_by_code(code)
    ensure_location_access(actor, location)
    return [location_spec(location)]


def part_spec(part) -> LabelSpec:
    """A part (SKU) label: SKU barcode, model, family and how the part is managed."""
    lines = []
    if part.family:
        lines.append(_("Family: %(family)s", family=part.family))
    flags = []
    if part.serialized:
        flags.append(_("tracked by serial"))
    if part.vendor_managed:
        flags.append(_("vendor-managed spare"))
    if flags:
        lines.append(", ".join(flags))
    return LabelSpec(code=part.sku, title=part.model or part.sku, lines=lines)


def part_specs(actor, sku: str) -> list[LabelSpec]:
    """The label of the part with ``sku``."""
    _require(actor, *STAFF)
    return [part_spec(part_by_sku(sku))]


# --- by kind, and batches ---------------------------------------------------------------------

def doa_specs(actor, number: str) -> list[LabelSpec]:
    """The DOA application's label, then one label per declared unit (HQ staff)."""
    _require(actor, *HQ)
    return [LabelSpec(code=d["code"], title=d["title"], lines=[line for line in d["lines"] if line],
                      notice=d.get("notice")) for d in label_data(actor, number)]


_BY_KIND = {
    "unit": unit_specs,
    "rma": rma_specs,
    "doa": doa_specs,
    "shipment": shipment_specs,
    "shelf": shelf_specs,
    "part": part_specs,
}


def _check_kind(kind) -> str:
    if kind not in _BY_KIND:
        msg = _("Unknown kind of label; use one of: %(kinds)s.", kinds=", ".join(KINDS))
        raise ValidationFailed(msg, errors={"kind": [msg]})
    return kind


def specs_for(actor, kind: str, code: str) -> list[LabelSpec]:
    """The labels of one record of ``kind`` ("unit", "rma", "shipment", "shelf", "part")."""
    return _BY_KIND[_check_kind(kind)](actor, code)


def split_codes(raw) -> list[str]:
    """Codes from a list, or from text with one code per line (a scanner's output) or commas.

    Blank entries are dropped and repeats printed once, in the order given.
    """
    if raw is None:
        return []
    if isinstance(raw, str):
        raw = raw.replace(",", "\n").replace(";", "\n").splitlines()
    seen, out = set(), []
    for item in raw:
        code = str(item).strip()
        if code and code not in seen:
            seen.add(code)
            out.append(code)
    return out


def batch_specs(actor, kind: str, codes) -> list[LabelSpec]:
    """The labels of many records of one kind, in the order given.

    Every code is looked up before anything is printed: unknown codes are
    listed together in one ValidationFailed; a record the user may not see
    makes the whole batch Forbidden.
    """
    _check_kind(kind)
    _require(actor, *(HQ if kind in HQ_KINDS else STAFF))
    codes = split_codes(codes)
    if not codes:
        msg = _("Give at least one code.")
        raise ValidationFailed(msg, errors={"codes": [msg]})
    if len(codes) > MAX_BATCH_CODES:
        msg = _("At most %(max)d codes at a time.", max=MAX_BATCH_CODES)
        raise ValidationFailed(msg, errors={"codes": [msg]})
    specs, unknown = [], []
    for code in codes:
        try:
            specs.extend(specs_for(actor, kind, code))
        except NotFound as err:
            unknown.append(err.message)
    if unknown:
        msg = unknown[0] if len(unknown) == 1 else _(
            "%(count)d of the codes were not found; nothing was printed.", count=len(unknown))
        raise ValidationFailed(msg, errors={"codes": unknown})
    if len(specs) > MAX_LABELS:
        msg = _("These codes make %(count)d labels; print at most %(max)d at a time.", count=len(specs),
                max=MAX_LABELS)
        raise ValidationFailed(msg, errors={"codes": [msg]})
    return specs
