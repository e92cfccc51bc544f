"""Office scope at the ledger's door: who may move stock in or out of which location.

An office user works only with its own office's locations (``Location.office_id``,
never the location's or the office's code) and its own region's dealers. HQ staff
(clerk, service, supervisor, admin) may move stock anywhere; department approvers
move none. Every service that posts a movement, a shipment leg, a swap or a
receipt asks here, so a page and the API obey the same rule.

``SYSTEM`` (:mod:`core.authz`) is the principal of work no person starts (demo
loading, migrations, internal postings): it passes every check.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.accounts.roles import Role
from core.authz import SYSTEM, SystemPrincipal, is_system, signed_in  # noqa: F401 (the ledger's callers import them here)
from core.directory.models import Dealer, Office
from core.errors import Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.ids import is_id
from inventory.models import DEALER, OFFICE, TRANSIT, Location

# Places outside any office that an office's own stock passes through: a parcel
# in transit to or from it, a dealer it swaps with.
OFFICE_NEUTRAL_KINDS = frozenset({TRANSIT, DEALER})


def is_hq_actor(actor) -> bool:
    """True for HQ staff (clerk, service, supervisor, admin) and the system principal."""
    if actor is None:
        return False
    return is_system(actor) or bool(actor.is_hq)


def office_of_actor(actor) -> int | None:
    """The office an office user is bound to; None for everyone else."""
    if actor is None or is_hq_actor(actor):
        return None
    if Role.OFFICE in actor.roles:
        return actor.office_id
    return None


_signed_in = signed_in


def ensure_location_writable(actor, location: Location) -> None:
    """Raise Forbidden unless ``actor`` may move stock into or out of ``location``.

    HQ staff: any location. An office user: only locations whose ``office_id``
    is its own office. Department approvers and anyone else: none.
    """
    _signed_in(actor)
    if is_hq_actor(actor):
        return
    office_id = office_of_actor(actor)
    if office_id is None:
        raise Forbidden(_("Your role does not allow moving stock."))
    if location.office_id != office_id:
        raise Forbidden(_("%(code)s belongs to another office or to HQ; you may move only your office's stock.",
                          code=location.code))


def ensure_hq_departure(actor, location: Location) -> None:
    """Raise Forbidden unless ``actor`` may send stock away from ``location``.

    Stock held outside the offices (HQ store, factory, vendor, transit) leaves only
    by HQ staff; an office's own location by that office (or HQ staff).
    """
    _signed_in(actor)
    if location.office_id is None:
        if not is_hq_actor(actor):
            raise Forbidden(_("Only HQ staff may send stock from %(code)s.", code=location.code))
        return
    ensure_location_writable(actor, location)


def ensure_movement_allowed(actor, from_location: Location, to_location: Location) -> None:
    """The ledger's own check on every movement.

    HQ staff and the system may post any movement. An office user may post only
    between its own office's locations and the places its stock passes through
    (in transit, at a dealer), with at least one side its own: never another
    office's stock, never HQ's.
    """
    _signed_in(actor)
    if is_hq_actor(actor):
        return
    office_id = office_of_actor(actor)
    if office_id is None:
        raise Forbidden(_("Your role does not allow moving stock."))
    own = [loc.office_id == office_id for loc in (from_location, to_location)]
    if not any(own):
        raise Forbidden(_("You may move only your office's stock."))
    for loc, mine in zip((from_location, to_location), own):
        if not mine and (loc.office_id is not None or loc.kind not in OFFICE_NEUTRAL_KINDS):
            raise Forbidden(_("%(code)s belongs to another office or to HQ; you may move only your office's stock.",
                              code=loc.code))


def _office(office) -> Office:
    if isinstance(office, Office):
        return office
    found = db.session.get(Office, office) if is_id(office) else None
    if found is None:
        raise NotFound(_("No regional office %(id)s.", id=office))
    return found


def dealer_in_office(dealer: Dealer, office: Office) -> bool:
    """A dealer belongs to an office when it is assigned to it, or (unassigned) lies in its region."""
    if dealer.office_id is not None:
        return dealer.office_id == office.id
    region = (dealer.region or "").strip().casefold()
    return bool(region) and region == (office.region or "").strip().casefold()


def ensure_dealer_in_office(actor, dealer, office) -> Dealer:
    """The dealer (an id or a :class:`Dealer`) must exist, be active and belong to the office's region.

    Returns the dealer; raises ValidationFailed (422) otherwise, Forbidden when an
    office user names another office.
    """
    office = _office(office)
    _signed_in(actor)
    own = office_of_actor(actor)
    if not is_hq_actor(actor) and own != office.id:
        raise Forbidden(_("This record belongs to another office."))
    if isinstance(dealer, Dealer):
        found = dealer
    elif is_id(dealer):
        found = db.session.get(Dealer, dealer)
    else:
        found = None
    if found is None:
        raise ValidationFailed(_("No such dealer."), errors={"dealer_id": [_("No such dealer.")]},
                               code="unknown_dealer")
    if not found.active:
        raise ValidationFailed(_("Dealer %(code)s is no longer active.", code=found.code),
                               errors={"dealer_id": [_("Inactive dealer.")]})
    if not dealer_in_office(found, office):
        raise ValidationFailed(_("Dealer %(code)s is not in the region of office %(office)s.",
                                 code=found.code, office=office.name),
                               errors={"dealer_id": [_("Another region's dealer.")]}, code="dealer_outside_region")
    return found


def _find_office_location(office_id: int) -> Location | None:
    return db.session.scalar(
        select(Location).where(Location.office_id == office_id, Location.kind == OFFICE,
                               Location.parent_id.is_(None)).order_by(Location.id).limit(1))


def _free_code(base: str) -> str:
    code, n = base, 1
    while db.session.scalar(select(Location.id).where(Location.code == code)) is not None:
        n += 1
        code = f"{base}-{n}"
    return code


def office_location(office_id: int) -> Location:
    """The main spare stock location of a regional office (by the office's id), created on first use.

    Its code is only a label for scanning: renaming the office keeps the same
    location and so the same stock.
    """
    office = _office(office_id)
    loc = _find_office_location(office.id)
    if loc is not None:
        return loc
    try:
        with db.session.begin_nested():
            loc = Location(code=_free_code(f"OFF-{office.code}"[:36]), name=office.name, kind=OFFICE,
                           office_id=office.id)
            db.session.add(loc)
        return loc
    except IntegrityError:
        # Another transaction created it (or took the code) first.
        loc = _find_office_location(office.id)
        if loc is None:
            raise
        return loc


def office_location_ids(office_id: int) -> list[int]:
    """Every location that belongs to the office (its main location and its bins), by office id."""
    return list(db.session.scalars(select(Location.id).where(Location.office_id == office_id).order_by(Location.id)))
