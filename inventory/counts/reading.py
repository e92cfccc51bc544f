"""Who may count and see what: the count kinds and locations open to a user, one count, the list, and
what a count's page warns about (later and same-week counts)."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from core.accounts.roles import Role
from core.accounts.scope import visible_office_id
from core.calendar import SHANGHAI, local_day
from core.errors import Forbidden, NotFound
from core.extensions import db
from core.pagination import Key, KeysetPage, keyset
from inventory import service
from inventory.models import (
    COUNT_KINDS, OFFICE, TRANSIT, Location, StockCount,
)
from inventory.counts.states import ACCEPTED, PENDING, SPOT, SPOT_CHECK_ROLES, WITHDRAWN, kind_label
from inventory.counts.reconciliation import Reconciliation, reconcile


def is_channel_visitor(actor) -> bool:
    """Channel staff (neither HQ staff nor bound to an office): they spot-check the offices' spares on visits.

    They record spot checks of an office's stock only, and see only the counts they recorded.
    """
    if actor is None or getattr(actor, "is_hq", False):
        return False
    return Role.CHANNEL in actor.roles and Role.OFFICE not in actor.roles


def ensure_channel_location(location: Location) -> None:
    """Channel staff spot-check only the regional offices' stock (Forbidden otherwise)."""
    if location.office_id is None:
        raise Forbidden(_("Channel staff spot-check the regional offices' spares; %(code)s is not an office's stock.",
                          code=location.code))


def count_kinds(actor) -> list[str]:
    """The kinds of count ``actor`` may record: offices weekly and monthly, channel staff spot checks, HQ all."""
    if is_channel_visitor(actor):
        return [SPOT]
    if visible_office_id(actor) is not None or not actor.has_role(*SPOT_CHECK_ROLES):
        return [k for k in COUNT_KINDS if k != SPOT]
    return list(COUNT_KINDS)


def countable_locations(actor) -> list[Location]:
    """Where ``actor`` may count: what they see (offices: their own), for channel staff every office's stock."""
    if is_channel_visitor(actor):
        locations = list(db.session.scalars(
            select(Location).where(Location.active.is_(True), Location.office_id.is_not(None))
            .order_by(Location.kind, Location.code)))
    else:
        locations = service.visible_locations(actor)
    return [loc for loc in locations if loc.physical and loc.kind != TRANSIT]


def may_see_expected(actor, count: StockCount) -> bool:
    """Blind counts show the ledger's figures to supervisors only until accepted."""
    if count.blind and count.status != ACCEPTED:
        return actor.has_role(Role.SUPERVISOR)
    return True


def get_count(actor, count_id: int) -> StockCount:
    """The count, if this user may see it (404 / 403 otherwise)."""
    count = service.by_id(StockCount, count_id)
    if count is None:
        raise NotFound(_("No count %(id)s.", id=count_id))
    if is_channel_visitor(actor):
        if count.counted_by_id != actor.id:
            raise Forbidden(_("Channel staff see the spot checks they recorded."))
        return count
    service.ensure_location_access(actor, count.location)
    if count.blind and visible_office_id(actor) is not None:
        raise Forbidden(_("Spot checks are HQ's."))
    return count


def reconciliation_for(actor, count: StockCount) -> Reconciliation:
    """The reconciliation, if this user may see the ledger's figures."""
    if not may_see_expected(actor, count):
        raise Forbidden(_("This is a blind count: the ledger's figures are for the supervisor."))
    return reconcile(count)


def counts_query(actor, *, location_id: int | None = None, status: str | None = None):
    """A select of the counts this user may see, newest first."""
    stmt = select(StockCount).join(Location, Location.id == StockCount.location_id).order_by(StockCount.id.desc())
    limit = visible_office_id(actor)
    if is_channel_visitor(actor):
        stmt = stmt.where(StockCount.counted_by_id == actor.id)
    elif limit is not None:
        stmt = stmt.where(Location.office_id == limit, StockCount.blind.is_(False))
    if location_id:
        stmt = stmt.where(StockCount.location_id == location_id)
    if status:
        stmt = stmt.where(StockCount.status == status)
    return stmt


COUNT_KEYS = (Key(StockCount.id, "int", desc=True),)
COUNTS_PER_PAGE = 50


def counts_page(actor, *, location_id: int | None = None, status: str | None = None, after=None,
                per_page=COUNTS_PER_PAGE, with_lines: bool = False) -> KeysetPage:
    """One page of :func:`counts_query` (newest first) after the cursor ``after`` (raw arguments; checked).

    ``with_lines``: each count's lines, serials and successor come with the page (the API shows them),
    one statement each for the whole page.
    """
    stmt = counts_query(actor, location_id=location_id, status=status)
    if with_lines:
        stmt = stmt.options(selectinload(StockCount.lines), selectinload(StockCount.serials),
                            selectinload(StockCount.superseded_by))
    return keyset(stmt, COUNT_KEYS, after, per_page, default_per_page=COUNTS_PER_PAGE)


def default_count_location(actor, locations: list[Location]) -> Location | None:
    """Where a new count most likely is: the office's main spare location, or HQ's store; never a bin."""
    limit = visible_office_id(actor)
    for loc in locations:
        if limit is not None and loc.kind == OFFICE and loc.office_id == limit:
            return loc
    for loc in locations:
        if limit is None and loc.code == service.SYSTEM_LOCATIONS["hq_store"][0]:
            return loc
    return next((loc for loc in locations if loc.parent_id is None), locations[0] if locations else None)


def after_count(count: StockCount):
    """The condition "after this count" for counts of its location (by time, then by number)."""
    return or_(StockCount.counted_at > count.counted_at,
               and_(StockCount.counted_at == count.counted_at, StockCount.id > count.id))


def later_counts(count: StockCount, *, include_blind: bool = True) -> list[StockCount]:
    """Later counts of the same location that still matter (waiting or accepted)."""
    stmt = select(StockCount).where(StockCount.location_id == count.location_id, StockCount.id != count.id,
                                    StockCount.status.in_(PENDING + (ACCEPTED,)), after_count(count))
    if not include_blind:
        stmt = stmt.where(StockCount.blind.is_(False))
    return list(db.session.scalars(stmt.order_by(StockCount.counted_at, StockCount.id)))


def _week_bounds(moment: datetime) -> tuple[datetime, datetime, datetime]:
    monday = local_day(moment) - timedelta(days=local_day(moment).weekday())
    start = datetime.combine(monday, time(0), tzinfo=SHANGHAI).astimezone(timezone.utc)
    return monday, start, start + timedelta(days=7)


def _recount_chain(count: StockCount) -> set[int]:
    """The count, the counts it repeats and the recounts of it."""
    chain, node = {count.id}, count
    while node is not None and node.recount_of_id and node.recount_of_id not in chain:
        chain.add(node.recount_of_id)
        node = db.session.get(StockCount, node.recount_of_id)
    frontier = {count.id}
    while frontier:
        frontier = set(db.session.scalars(select(StockCount.id).where(StockCount.recount_of_id.in_(frontier)))) - chain
        chain |= frontier
    return chain


def same_week_counts(count: StockCount) -> list[StockCount]:
    """Other counts of the same kind of the same location in the same Monday-to-Sunday week (not withdrawn).

    A recount and the count it repeats are one count for this purpose.
    """
    _monday, start, end = _week_bounds(count.counted_at)
    return list(db.session.scalars(
        select(StockCount).where(StockCount.location_id == count.location_id, StockCount.kind == count.kind,
                                 StockCount.status != WITHDRAWN, StockCount.counted_at >= start,
                                 StockCount.counted_at < end, StockCount.id.not_in(_recount_chain(count)))
        .order_by(StockCount.counted_at, StockCount.id)))


def count_warnings(count: StockCount) -> list[str]:
    """What the supervisor and the office should know before relying on this count (words, for page and API)."""
    warnings = []
    others = same_week_counts(count)
    if others:
        monday, _s, _e = _week_bounds(count.counted_at)
        warnings.append(_("%(loc)s has %(n)s other %(kind)s counts in the week of %(week)s: %(numbers)s.",
                          loc=count.location.code, n=len(others), kind=kind_label(count.kind),
                          week=monday.isoformat(), numbers=", ".join(o.number for o in others)))
    if count.status in PENDING:
        # An office's count never names an HQ spot check (blind, not the office's to see); accepting says it.
        later = later_counts(count, include_blind=count.blind)
        if later:
            warnings.append(_("%(n)s counted this location later: accept that count; this one will be superseded.",
                              n=later[0].number))
    return warnings
