"""Stock locations: the system locations, each office's, bins, look-ups, and who may see which."""
from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.accounts.roles import Role
from core.authz import require, require_office, scope_to_office
from core.errors import Conflict, NotFound, ValidationFailed
from core.extensions import db
from inventory import access
from inventory.models import (
    BIN,
    COUNT_LOSS,
    DEALER,
    FACTORY_SHIPPING,
    FINISHED_GOODS,
    HQ_STORE,
    PHYSICAL_KINDS,
    SCRAPPED,
    TRANSIT,
    VENDOR,
    Location,
)
from inventory.parts import _insert_once, by_id


# The one location of each singleton kind: code and name.
SYSTEM_LOCATIONS = {
    HQ_STORE: ("HQ", "HQ CS store"),
    FACTORY_SHIPPING: ("FAC-SHIP", "Factory shipping dept"),
    FINISHED_GOODS: ("FAC-FG", "Factory finished-goods store"),
    VENDOR: ("VENDOR", "Vendor"),
    TRANSIT: ("TRANSIT", "In transit"),
    DEALER: ("DEALER", "At dealers"),
    SCRAPPED: ("SCRAP", "Scrapped"),
    COUNT_LOSS: ("COUNT-LOSS", "Count loss / gain"),
}
HQ_STAFF = (Role.CLERK, Role.SERVICE, Role.SUPERVISOR)
# A movement may be dated a little in the future (clock skew between a scanner and the server).
CLOCK_SKEW = timedelta(minutes=5)


def _get_or_create_location(code: str, **values) -> Location:
    loc = db.session.scalar(select(Location).where(Location.code == code))
    if loc is not None:
        return loc
    try:
        with db.session.begin_nested():
            loc = Location(code=code, **values)
            db.session.add(loc)
        return loc
    except IntegrityError:
        # Another transaction created it first.
        return db.session.scalar(select(Location).where(Location.code == code))


def system_location(kind: str) -> Location:
    """The one location of a singleton kind (HQ store, transit, dealer, count loss...), created on first use."""
    if kind not in SYSTEM_LOCATIONS:
        raise ValueError(f"{kind!r} is not a singleton location kind")
    code, name = SYSTEM_LOCATIONS[kind]
    return _get_or_create_location(code, name=name, kind=kind)


def office_location(office_id: int) -> Location:
    """The spare stock location of a regional office, found by the office's id (see ``inventory.access``)."""
    return access.office_location(office_id)


def defective_location(parent: Location) -> Location:
    """The bin under ``parent`` holding defective units (a dealer's swapped unit, vendor defectives)."""
    return _get_or_create_location(f"{parent.code}-DEF", name=f"{parent.name} · defective", kind=BIN,
                                   office_id=parent.office_id, parent_id=parent.id)


def location_by_code(code: str) -> Location:
    """The location with this (scannable) code; NotFound otherwise."""
    loc = db.session.scalar(select(Location).where(Location.code == (code or "").strip().upper()))
    if loc is None:
        raise NotFound(_("No location with code %(code)s.", code=code))
    return loc


def get_location(location_id: int) -> Location:
    loc = by_id(Location, location_id)
    if loc is None:
        raise NotFound(_("No location %(id)s.", id=location_id))
    return loc


def create_bin(actor, *, parent: Location, code: str, name: str) -> Location:
    """A shelf or bin under a physical location, with its own scannable code."""
    require(actor, Role.SUPERVISOR, Role.CLERK)
    code = (code or "").strip().upper()
    if not code or len(code) > 40 or any(ch.isspace() for ch in code):
        raise ValidationFailed(_("The bin is not valid."), errors={"code": [_("A code is 1-40 characters without spaces.")]})
    if parent.kind not in PHYSICAL_KINDS or parent.kind == TRANSIT:
        raise ValidationFailed(_("Bins go only under a store or an office."), errors={"parent": [parent.code]})
    if db.session.scalar(select(Location.id).where(Location.code == code)):
        raise Conflict(_("Location code %(code)s is taken.", code=code))
    loc = Location(code=code, name=name.strip() or code, kind=BIN, office_id=parent.office_id, parent_id=parent.id)
    _insert_once(loc, _("Location code %(code)s is taken.", code=code))
    return loc


def visible_locations(actor) -> list[Location]:
    """The locations this user may see: an office user only their office's."""
    stmt = select(Location).where(Location.active.is_(True)).order_by(Location.kind, Location.code)
    stmt = scope_to_office(stmt, actor, Location.office_id)
    return list(db.session.scalars(stmt))


def ensure_location_access(actor, location: Location) -> None:
    """Office users may touch only their own office's locations (403 otherwise)."""
    require_office(actor, location.office_id, message=_("This stock belongs to another office."))
