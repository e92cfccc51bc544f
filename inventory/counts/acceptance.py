"""Accepting a count: the adjustments dated at its time, the relocations, and the month's variances."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select

from core.errors import Conflict
from core.extensions import db
from core.queries import in_chunks
from core.types import utcnow
from inventory import service
from core.locking import lock_row
from inventory.models import (
    COUNT_LOSS, CountLine, Location, Movement, Part, SerialPosition, StockCount,
)
from inventory.counts.states import ACCEPTED, COUNT_WORKFLOW, CountStatus, PENDING, recount_message, status_label
from inventory.counts.reconciliation import Reconciliation, SerialResult, reconcile
from inventory.counts.reading import after_count, later_counts
from inventory.counts.decisions import liable_party


@dataclass
class Adjustment:
    """One movement acceptance will post (dated at the count's time)."""

    part: Part
    from_location: Location
    to_location: Location
    quantity: int = 1
    serial: str | None = None
    reason: str = "count_adjustment"


@dataclass
class AcceptancePlan:
    adjustments: list[Adjustment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)      # why the count contradicts the later ledger
    relocations: list[str] = field(default_factory=list)   # "serial from location" taken from elsewhere


def plan_acceptance(count: StockCount, rec: Reconciliation) -> AcceptancePlan:
    """The adjustments that bring the ledger as of the count's time to what was counted, and what stands in the way.

    Nothing is written. A unit written off must not have moved since the
    count; a bulk write-off must not make the location's ledger negative at
    any time since; a unit brought here from elsewhere must not have moved
    since and must come from a location not counted (and accepted) after
    this count.
    """
    plan = AcceptancePlan()
    loc, at = count.location, count.counted_at
    loss = service.system_location(COUNT_LOSS)
    bulk = [line for line in rec.lines if not line.serialized and line.variance]
    parts = {p.id: p for chunk in in_chunks(line.part_id for line in bulk)
             for p in db.session.scalars(select(Part).where(Part.id.in_(chunk)))}
    short = [line.part_id for line in bulk if line.variance < 0]
    later_moves: dict[int, list[int]] = {}
    m = Movement.__table__
    for chunk in in_chunks(short):
        rows = db.session.execute(
            select(m.c.part_id, m.c.to_location_id, m.c.quantity)
            .where(m.c.part_id.in_(chunk), m.c.at > at,
                   or_(m.c.to_location_id == loc.id, m.c.from_location_id == loc.id))
            .order_by(m.c.at, m.c.id))
        for pid, to_id, qty in rows:
            later_moves.setdefault(pid, []).append(qty if to_id == loc.id else -qty)
    for line in bulk:
        part = parts[line.part_id]
        if line.variance > 0:
            plan.adjustments.append(Adjustment(part, loss, loc, line.variance))
            continue
        want = -line.variance
        running = lowest = line.ledger
        for delta in later_moves.get(line.part_id, ()):
            running += delta
            lowest = min(lowest, running)
        if lowest < want:
            plan.problems.append(_("%(sku)s: %(c)s counted, but after the count more left %(loc)s than that "
                                   "(writing off %(q)s would take its ledger below zero).",
                                   sku=line.sku, c=line.counted, loc=loc.code, q=want))
            continue
        plan.adjustments.append(Adjustment(part, loc, loss, want))
    if rec.serials is not None:
        _plan_serials(count, rec.serials, loss, plan)
    return plan


def _plan_serials(count: StockCount, found: SerialResult, loss: Location, plan: AcceptancePlan) -> None:
    loc, at = count.location, count.counted_at
    skus = {sku for sku, _s in found.missing} | {sku for sku, _s, _w in found.elsewhere} | {
        sku for sku, _s in found.unexpected if sku}
    parts = service.parts_by_sku(skus)
    serials = {s for _k, s in found.missing} | {s for _k, s, _w in found.elsewhere} | {
        s for sku, s in found.unexpected if sku}
    now_at: dict = {}
    for chunk in in_chunks(serials):
        rows = db.session.execute(
            select(SerialPosition.part_id, SerialPosition.serial, SerialPosition.location_id, Movement.at)
            .join(Movement, Movement.id == SerialPosition.movement_id)
            .where(SerialPosition.serial.in_(chunk)))
        now_at.update(((pid, s), (lid, last)) for pid, s, lid, last in rows)
    for sku, serial in found.missing:
        where, last = now_at.get((parts[sku].id, serial), (None, None))
        if where != loc.id or last is None or last > at:
            plan.problems.append(_("Serial %(s)s was not found by this count, but it moved after the count.", s=serial))
            continue
        plan.adjustments.append(Adjustment(parts[sku], loc, loss, serial=serial))
    for sku, serial in found.unexpected:
        if not sku:
            continue  # a serial of no known part: shown, but there is nothing to book
        if (parts[sku].id, serial) in now_at:
            plan.problems.append(_("Serial %(s)s was entered in the ledger after the count.", s=serial))
            continue
        plan.adjustments.append(Adjustment(parts[sku], loss, loc, serial=serial))
    for sku, serial, _code in found.elsewhere:
        was = found.where_id.get(serial)
        where, last = now_at.get((parts[sku].id, serial), (None, None))
        if where != was or last is None or last > at:
            plan.problems.append(_("Serial %(s)s, found by this count, moved after the count.", s=serial))
            continue
        source = db.session.get(Location, was)
        if source.kind == COUNT_LOSS:
            # Written off by an earlier count and found again: a gain, like an unknown unit.
            plan.adjustments.append(Adjustment(parts[sku], source, loc, serial=serial))
            continue
        settled = db.session.scalar(
            select(StockCount.number).where(StockCount.location_id == source.id, StockCount.status == ACCEPTED,
                                            StockCount.counted_at >= at).limit(1))
        if settled:
            plan.problems.append(_("Serial %(s)s is registered at %(loc)s, which %(n)s counted after this count: "
                                   "it cannot be taken from there.", s=serial, loc=source.code, n=settled))
            continue
        plan.relocations.append(_("%(s)s from %(loc)s", s=serial, loc=source.code))
        plan.adjustments.append(Adjustment(parts[sku], source, loc, serial=serial, reason="count_relocation"))


def accept_count(actor, count: StockCount, *, confirm_relocations: bool = False) -> StockCount:
    """The supervisor accepts a count: the ledger as of its time becomes what was counted; the variance is charged.

    Adjustments go to and from the count-loss location, are dated at the
    count's time and reference the count. Refused (409, nothing posted): a
    count waiting for a recount, a count of a location with a later count
    (accept the later one: it supersedes this one), a count the later ledger
    contradicts, and, without ``confirm_relocations``, a count that takes
    units from another location. Accepting supersedes the location's earlier
    counts still waiting. The office (or party) liable is charged the value
    written off; units taken from elsewhere are that location's loss.
    """
    COUNT_WORKFLOW.check_role(actor, "accept")
    if count.status == CountStatus.RECOUNT_REQUIRED:
        # Not just "not now": say why the count waits and what to do.
        raise Conflict(_("Count %(n)s must be recounted before acceptance. %(why)s", n=count.number,
                         why=recount_message(count)), code="recount_required")
    COUNT_WORKFLOW.require(count, "accept")
    loc = count.location
    # Acceptances and submissions of one location's counts take turns; the location first, then the
    # count, in the same order as a submission (recount) takes them, so two never wait for each other.
    lock_row(Location, loc.id)
    COUNT_WORKFLOW.apply(actor, count, "accept")
    later = later_counts(count)
    if later:
        nxt = later[0]
        raise Conflict(_("%(loc)s has a later count, %(n)s (%(s)s): accept that one instead; it supersedes this one.",
                         loc=loc.code, n=nxt.number, s=status_label(nxt.status)),
                       code="later_count", later_count=nxt.number)
    rec = reconcile(count)
    plan = plan_acceptance(count, rec)
    if plan.problems:
        raise Conflict(_("Count %(n)s does not agree with what the ledger shows after it: ask for a recount or "
                         "withdraw it.", n=count.number), errors={"count": plan.problems}, code="count_contradicted")
    if plan.relocations and not confirm_relocations:
        raise Conflict(_("This count takes units registered at other locations: %(list)s. Confirm to move them "
                         "(%(v)s RMB, charged as those locations' loss).", list="; ".join(plan.relocations),
                         v=rec.relocated_value),
                       code="confirm_relocations", relocations=plan.relocations)
    common = dict(actor=actor, ref_type="count", ref_id=count.id, at=count.counted_at,
                  note=_("Count %(n)s", n=count.number))
    for adj in plan.adjustments:
        service.post_movement(part=adj.part, from_location=adj.from_location, to_location=adj.to_location,
                              quantity=adj.quantity, serial=adj.serial, reason=adj.reason, **common)
    existing = {line.part_id: line for line in count.lines}
    for line in rec.lines:
        row = existing.get(line.part_id)
        if row is None:
            row = CountLine(part_id=line.part_id, counted_qty=line.counted)
            count.lines.append(row)
        row.ledger_qty = line.ledger
    count.shortfall_value = rec.shortfall_value
    count.surplus_value = rec.surplus_value
    count.variance_value = rec.gross_value
    count.relocated_value = rec.relocated_value
    count.liable_party, count.liable_office_id = liable_party(loc)
    count.accepted_at = utcnow()
    count.accepted_by_id = actor.id
    earlier = db.session.scalars(select(StockCount).where(
        StockCount.location_id == loc.id, StockCount.id != count.id, StockCount.status.in_(PENDING),
        ~after_count(count)))
    for old in list(earlier):
        COUNT_WORKFLOW.apply(actor, old, "supersede", superseded_by_id=count.id)
    db.session.flush()
    return count


def relocations_out(location_id: int) -> list[Movement]:
    """Units other locations' counts took from this location (its loss), newest first."""
    return list(db.session.scalars(
        select(Movement).where(Movement.from_location_id == location_id, Movement.reason == "count_relocation")
        .order_by(Movement.at.desc(), Movement.id.desc()).limit(200)))


def variance_by_location(start: datetime, end: datetime) -> list[dict]:
    """Count adjustments of counts accepted in [start, end), by location, at unit cost.

    One row per location touched: ``written_off`` (to count loss), ``found``
    (from count loss), ``relocated_in`` and ``relocated_out`` (units a count
    moved between locations: the source's loss). For the supervisor's
    variance figures, where the other location's loss must show too.
    """
    m, c, p, loc = Movement.__table__, StockCount.__table__, Part.__table__, Location.__table__
    value = func.sum(m.c.quantity * p.c.unit_cost)
    rows = db.session.execute(
        select(m.c.from_location_id, m.c.to_location_id, m.c.reason, value)
        .join(c, and_(m.c.ref_type == "count", m.c.ref_id == c.c.id))
        .join(p, p.c.id == m.c.part_id)
        .where(c.c.status == ACCEPTED, c.c.accepted_at >= start, c.c.accepted_at < end,
               m.c.reason.in_(["count_adjustment", "count_relocation"]))
        .group_by(m.c.from_location_id, m.c.to_location_id, m.c.reason)).all()
    loss_id = service.system_location(COUNT_LOSS).id
    out: dict[int, dict] = {}

    def row(location_id):
        return out.setdefault(location_id, {"location_id": location_id, "written_off": Decimal("0"),
                                            "found": Decimal("0"), "relocated_in": Decimal("0"),
                                            "relocated_out": Decimal("0")})

    for frm, to, reason, total in rows:
        total = Decimal(total or 0)
        if reason == "count_relocation":
            row(frm)["relocated_out"] += total
            row(to)["relocated_in"] += total
        elif to == loss_id:
            row(frm)["written_off"] += total
        elif frm == loss_id:
            row(to)["found"] += total
    if out:
        for lid, code, office_id in db.session.execute(
                select(loc.c.id, loc.c.code, loc.c.office_id).where(loc.c.id.in_(list(out)))):
            out[lid].update(code=code, office_id=office_id)
    return sorted(out.values(), key=lambda r: r.get("code", ""))
