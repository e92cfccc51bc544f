"""Weekly and monthly figures computed from Depot's own records (DOMAIN.md A.8, C.2).

Every figure is set-based SQL. The report first copies the few columns it needs
of the units touched in the period into a temporary table (one indexed-free
pass over ``repair_unit``, with timestamps already turned into Shanghai day
numbers), then answers each table with a GROUP BY over that small set.

Definitions (also shown on the report page):

* A unit is *received*, *sent to the factory*, *back from the factory* or
  *returned to the dealer* in the period when that step's timestamp falls on a
  Shanghai calendar day of the period.
* *Dispatch on time* (2 working days): of the units sent to the factory in the
  period, those sent no later than their dispatch due day.
* *Ship-back on time* (the dealer promise, 7 working days from acceptance):
  of the units returned to the dealer in the period that carry a ship-back
  promise, those shipped no later than their due day. The due day is net of
  pauses: the working days a case waited for the dealer's answer or the
  supervisor's decision push it on (:mod:`repairs.clocks`), so a unit delayed
  by a dispute is not late. Units on routes without a promise (Taiwan repair)
  are not measured.
* *Whose clock ran out*: a unit returned late is the factory's when it stayed
  at the factory past the factory's own days (back later than its factory due
  day), else customer service's.
* *Turnaround*: working days from receipt to the return to the dealer, for the
  units returned in the period. Working days come from :mod:`core.calendar`
  (official holidays, make-up working days and company closures) through a
  per-day working-day ordinal built in Python for the days involved and joined
  in SQL: turnaround = ordinal(return day) - ordinal(receipt day).
* The 90th percentile is the nearest-rank value: the smallest turnaround that
  at least 90 % of the units did not exceed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import Column as SqlColumn
from sqlalchemy import Integer, MetaData, String, and_, case, func, insert, literal, or_, select, text
from sqlalchemy import Table as SqlTable
from sqlalchemy.exc import OperationalError

from core.accounts.roles import Role
from core.accounts.scope import visible_office_id
from core.calendar import local_day, local_today
from core.directory.models import Brand, Dealer, Office, RepairRoute
from core.errors import Forbidden, NotFound
from core.extensions import db
from core.types import utcnow
from doa.models import DoaApplication
from figures import desk
from figures import doa as doa_figures
from figures.periods import Period, daynum, from_daynum, local_midnight_utc, month_period, week_period
from figures.sqlfuncs import date_daynum, local_daynum, local_month
from figures.tables import Column, Table, _avg, _rate, percentile_nearest_rank, working_ordinals
from inventory import counts as inventory_counts
from inventory.models import BIN, OFFICE, Balance, Location, Movement, Part, StockCount
from repairs import states as st
from repairs.clocks import BACKLOG_BANDS, DISPATCH_DAYS, PROMISE_DAYS
from repairs.models import RepairUnit, ReturnParcel
from shipments import freight as shipments_freight
from shipments.models import PAYING_ACCOUNTS, Shipment

# The after-sales staff compile the weekly and monthly figures (ch. 1 2.7); offices see their own.
VIEWER_ROLES = (Role.SUPERVISOR, Role.SERVICE, Role.OFFICE)
CHART_WEEKS = 12
CHART_MONTHS = 12
# 1970-01-05 was a Monday: day numbers minus 4 split into Monday-to-Sunday weeks.
MONDAY_OFFSET = 4


# --------------------------------------------------------------------------- result shapes

@dataclass
class Report:
    """A weekly or monthly report: the period, whose figures, and its tables in order."""

    period: Period
    office_code: str | None
    office_name: str | None
    generated_at: datetime
    tables: list[Table]

    def table(self, key: str) -> Table:
        """The table named ``key`` (404 for an unknown name, e.g. in a CSV URL)."""
        for t in self.tables:
            if t.key == key:
                return t
        raise NotFound(_("No table %(k)s in this report.", k=key))

    @property
    def scope_label(self) -> str:
        """Whose figures these are, for titles."""
        if self.office_code:
            return _("Office %(c)s (%(n)s)", c=self.office_code, n=self.office_name or "")
        return _("All offices")


@dataclass
class Chart:
    """A dashboard chart: labels along the x axis and one list of numbers per series."""

    key: str
    title: str
    kind: str  # bar, line
    labels: list[str]
    series: list[dict]  # {"key", "label", "data": [...], "unit": "%"|"units"|"RMB"}
    note: str = ""

    def as_table(self) -> Table:
        """The chart's numbers as a table (shown one click away, and exported)."""
        columns = [Column("label", _("Period") if self.key in ("ontime_by_week", "freight_by_month") else _("Group"))]
        kinds = {"%": "pct", "RMB": "money", "units": "int"}
        columns += [Column(s["key"], s["label"], kinds.get(s.get("unit"), "text")) for s in self.series]
        rows = [[label] + [s["data"][i] for s in self.series] for i, label in enumerate(self.labels)]
        return Table(self.key, self.title, columns, rows, self.note)

    def as_json(self) -> dict:
        """The chart for the dashboard script: numbers as JSON numbers."""
        return {"key": self.key, "title": self.title, "kind": self.kind, "labels": self.labels,
                "series": [{**s, "data": [_json_number(v) for v in s["data"]]} for s in self.series],
                "note": self.note}


# A count withdrawn by its office was never submitted, and a superseded one was replaced.
_NOT_SUBMITTED = ("superseded", "withdrawn")


def _json_number(value):
    if isinstance(value, Decimal):
        return float(value)
    return value


# --------------------------------------------------------------------------- scope

@dataclass(frozen=True)
class Scope:
    """Whose figures: ``office_id`` None means every office."""

    office_id: int | None
    office_code: str | None = None
    office_name: str | None = None


def resolve_scope(actor, office_code: str | None = None) -> Scope:
    """The office whose figures ``actor`` sees: an office user only ever their own, supervisors any or all.

    An office user asking for another office gets 403; an unknown office code is 404.
    """
    if actor is None:
        raise Forbidden(_("Sign in first."))
    if not actor.has_role(*VIEWER_ROLES):
        raise Forbidden(_("Figures are for customer service and regional offices."))
    limit = visible_office_id(actor)
    if limit is None and not (actor.is_hq or actor.has_role(Role.SUPERVISOR)):
        limit = -1  # an office account without an office must not fall through to "all offices"
    if limit == -1:
        raise Forbidden(_("Your account is not bound to an office."))
    code = (office_code or "").strip().upper() or None
    if code:
        office = db.session.scalar(select(Office).where(func.upper(Office.code) == code))
        if office is None:
            raise NotFound(_("No office %(c)s.", c=code[:20]), errors={"office": [_("Unknown office.")]})
        if limit is not None and office.id != limit:
            raise Forbidden(_("You see only your own office's figures."))
        return Scope(office.id, office.code, office.name)
    if limit is not None:
        office = db.session.get(Office, limit)
        return Scope(limit, office.code if office else None, office.name if office else None)
    return Scope(None)


# --------------------------------------------------------------------------- working days

# --------------------------------------------------------------------------- temporary tables

_tmp_meta = MetaData()
fig_unit = SqlTable(
    "fig_unit", _tmp_meta,
    SqlColumn("id", Integer), SqlColumn("parcel_id", Integer), SqlColumn("dealer_id", Integer),
    SqlColumn("route_id", Integer), SqlColumn("model", String(80)), SqlColumn("fault", String(300)),
    SqlColumn("brand_id", Integer),
    SqlColumn("r", Integer), SqlColumn("d", Integer), SqlColumn("b", Integer), SqlColumn("s", Integer),
    SqlColumn("dd", Integer), SqlColumn("sd", Integer), SqlColumn("fd", Integer),
    # Turnaround in working days (receipt to return), from the working-day ordinals.
    SqlColumn("t", Integer),
    # Intake findings (1 or 0): human damage, no stock left, out of warranty, a charged paid repair.
    SqlColumn("hd", Integer), SqlColumn("ns", Integer), SqlColumn("ow", Integer), SqlColumn("pr", Integer),
    prefixes=["TEMPORARY"],
)
fig_wd = SqlTable(
    "fig_wd", _tmp_meta,
    SqlColumn("day", Integer, primary_key=True), SqlColumn("ord", Integer, nullable=False),
    prefixes=["TEMPORARY"],
)


def _drop_temp(conn) -> None:
    for name in ("fig_unit", "fig_wd"):
        conn.execute(text(f"DROP TABLE IF EXISTS {name}"))


def _in_period(column, period: Period):
    return and_(column >= period.utc_start, column < period.utc_end)


def _load_ordinals(conn, period: Period) -> None:
    """Fill ``fig_wd`` from the earliest receipt on record to the period's last day.

    One indexed MIN() finds the start; the ordinals are built in Python from the
    company calendar (a few thousand days at most), never per unit.
    """
    u = RepairUnit.__table__
    first = conn.execute(select(func.min(u.c.received_at))).scalar()
    if first is None:
        return
    lo = local_day(first)
    if lo > period.last_day:
        return
    rows = working_ordinals(lo, period.last_day)
    conn.execute(insert(fig_wd), [{"day": d, "ord": o} for d, o in rows])


def _load_units(conn, period: Period, scope: Scope) -> None:
    """Copy the units touched in the period into ``fig_unit``, with day numbers and turnaround.

    The four timestamp conditions are each answered by an index (``figures.models``).
    """
    u, p = RepairUnit.__table__, ReturnParcel.__table__
    wr, ws = fig_wd.alias("wr"), fig_wd.alias("ws")
    received, shipped = local_daynum(u.c.received_at), local_daynum(u.c.shipped_at)
    touched = or_(_in_period(u.c.received_at, period), _in_period(u.c.dispatched_at, period),
                  _in_period(u.c.returned_at, period), _in_period(u.c.shipped_at, period))
    stmt = (
        select(u.c.id, u.c.parcel_id, p.c.dealer_id, u.c.route_id, func.trim(u.c.model), func.trim(u.c.fault),
               u.c.brand_id, received, local_daynum(u.c.dispatched_at), local_daynum(u.c.returned_at), shipped,
               date_daynum(u.c.dispatch_due), date_daynum(u.c.ship_due), date_daynum(u.c.factory_due),
               ws.c.ord - wr.c.ord, _flag(u.c.human_damage), _flag(u.c.no_stock), _flag(u.c.out_of_warranty),
               case((u.c.quote_amount > 0, 1), else_=0))
        .select_from(u.join(p, p.c.id == u.c.parcel_id)
                     .outerjoin(wr, wr.c.day == received).outerjoin(ws, ws.c.day == shipped))
        .where(touched)
    )
    if scope.office_id is not None:
        stmt = stmt.where(p.c.office_id == scope.office_id)
    conn.execute(insert(fig_unit).from_select([c.name for c in fig_unit.columns], stmt))


def _flag(column):
    """A boolean column as 1 or 0 (NULL counts as not found)."""
    return case((column.is_(True), 1), else_=0)


# --------------------------------------------------------------------------- repairs

def _flow_columns(period: Period):
    """Conditional aggregates shared by the summary and every breakdown."""
    f = fig_unit.c
    a, z = period.start_num, period.end_num

    def within(col):
        return and_(col >= a, col < z)

    def count_if(cond):
        return func.sum(case((cond, 1), else_=0))

    return [
        count_if(within(f.r)).label("received"),
        count_if(within(f.d)).label("dispatched"),
        count_if(within(f.b)).label("back"),
        count_if(within(f.s)).label("returned"),
        count_if(and_(within(f.d), f.dd.isnot(None))).label("disp_n"),
        count_if(and_(within(f.d), f.dd.isnot(None), f.d <= f.dd)).label("disp_ok"),
        count_if(and_(within(f.s), f.sd.isnot(None))).label("ship_n"),
        count_if(and_(within(f.s), f.sd.isnot(None), f.s <= f.sd)).label("ship_ok"),
    ]


def _factory_late(f):
    """SQL: the unit came back from the factory after the factory's own clock ran out."""
    return and_(f.fd.isnot(None), f.b.isnot(None), f.b > f.fd)


def _turnaround_histograms(conn, period: Period, key=None) -> dict:
    """{group key: {working days: units}} for the units returned in the period."""
    f = fig_unit.c
    group = key if key is not None else literal(0)
    stmt = (
        select(group.label("k"), f.t, func.count().label("n"))
        .where(f.s >= period.start_num, f.s < period.end_num, f.t.isnot(None))
        .group_by(group, f.t)
    )
    out: dict = {}
    for k, t, n in conn.execute(stmt):
        out.setdefault(k, {})[int(t)] = int(n)
    return out


def _breakdown_columns(first: list[Column]) -> list[Column]:
    return first + [
        Column("received", _("Received"), "int"),
        Column("dispatched", _("Sent to factory"), "int"),
        Column("back", _("Back from factory"), "int"),
        Column("returned", _("Returned to dealer"), "int"),
        Column("dispatch_on_time", _("Sent within %(days)s wd", days=DISPATCH_DAYS), "int"),
        Column("dispatch_measured", _("Sent (measured)"), "int"),
        Column("dispatch_rate", _("%(days)s-day on-time %%", days=DISPATCH_DAYS), "pct"),
        Column("ship_on_time", _("Returned within %(days)s wd", days=PROMISE_DAYS), "int"),
        Column("ship_measured", _("Returned (measured)"), "int"),
        Column("ship_rate", _("%(days)s-day on-time %%", days=PROMISE_DAYS), "pct"),
        Column("turnaround_avg", _("Avg turnaround (wd)"), "days"),
        Column("turnaround_p90", _("P90 turnaround (wd)"), "days"),
    ]


def _breakdown(conn, period: Period, key_cols: list, key_labels: list[Column], table_key: str, title: str,
               join=None, hist_key=None) -> Table:
    """One GROUP BY over ``fig_unit`` for a dimension, plus its turnaround histograms."""
    source = join if join is not None else fig_unit
    stmt = select(*key_cols, *_flow_columns(period)).select_from(source).group_by(*key_cols)
    rows = conn.execute(stmt).all()
    hists = _turnaround_histograms(conn, period, hist_key if hist_key is not None else key_cols[0])
    nkeys = len(key_cols)
    out = []
    for row in rows:
        keys = list(row[:nkeys])
        received, dispatched, back, returned, disp_n, disp_ok, ship_n, ship_ok = (int(v or 0) for v in row[nkeys:])
        hist = hists.get(row[0], {})
        out.append(keys + [received, dispatched, back, returned, disp_ok, disp_n, _rate(disp_ok, disp_n),
                           ship_ok, ship_n, _rate(ship_ok, ship_n), _avg(hist), percentile_nearest_rank(hist)])
    # Busiest first, then by name, so the head of each table is what matters.
    out.sort(key=lambda r: (-(r[nkeys] + r[nkeys + 1] + r[nkeys + 3]), [str(x or "") for x in r[:nkeys]]))
    return Table(table_key, title, _breakdown_columns(key_labels), out)


def _repair_tables(conn, period: Period, scope: Scope) -> list[Table]:
    f = fig_unit.c
    totals = conn.execute(select(
        *_flow_columns(period),
        func.count(func.distinct(case((and_(f.d >= period.start_num, f.d < period.end_num), f.parcel_id)))),
        func.count(func.distinct(case((and_(f.s >= period.start_num, f.s < period.end_num), f.parcel_id)))),
        # Units returned late by whose clock ran out: the factory's, else customer service's.
        func.sum(case((and_(f.s >= period.start_num, f.s < period.end_num, f.sd.isnot(None), f.s > f.sd,
                            _factory_late(f)), 1), else_=0)),
    )).one()
    received, dispatched, back, returned, disp_n, disp_ok, ship_n, ship_ok = (int(v or 0) for v in totals[:8])
    parcels_sent, parcels_returned = int(totals[8] or 0), int(totals[9] or 0)
    late_factory = int(totals[10] or 0)
    late_cs = ship_n - ship_ok - late_factory
    p = ReturnParcel.__table__
    parcel_stmt = select(func.count()).select_from(p).where(_in_period(p.c.arrived_at, period))
    if scope.office_id is not None:
        parcel_stmt = parcel_stmt.where(p.c.office_id == scope.office_id)
    parcels_received = int(conn.execute(parcel_stmt).scalar() or 0)
    hist = _turnaround_histograms(conn, period).get(0, {})

    summary = Table("summary", _("Repairs: summary"), [
        Column("metric", _("Figure")), Column("parcels", _("Parcels"), "int"), Column("units", _("Units"), "int"),
        Column("of", _("Of (measured)"), "int"), Column("rate", _("Rate %"), "pct"),
    ], [
        [_("Received"), parcels_received, received, None, None],
        [_("Sent to the factory"), parcels_sent, dispatched, None, None],
        [_("Back from the factory"), None, back, None, None],
        [_("Returned to the dealer"), parcels_returned, returned, None, None],
        [_("Sent to the factory within %(days)s working days", days=DISPATCH_DAYS), None, disp_ok, disp_n, _rate(disp_ok, disp_n)],
        [_("Returned within %(days)s working days of acceptance", days=PROMISE_DAYS), None, ship_ok, ship_n, _rate(ship_ok, ship_n)],
        [_("Returned late: the factory's clock ran out"), None, late_factory, ship_n, _rate(late_factory, ship_n)],
        [_("Returned late: customer service's clock ran out"), None, late_cs, ship_n, _rate(late_cs, ship_n)],
    ])
    summary.note = _("Dispatch on time: sent no later than the due day (%(dispatch)s working days from receipt). "
                     "Return on time: shipped to the dealer no later than the due day (%(promise)s working days from "
                     "acceptance, not counting the working days the case waited for the dealer's answer or "
                     "the supervisor's decision); routes without a promise (Taiwan repair) are not measured. "
                     "A late return is the factory's when the unit stayed at the factory past the factory's "
                     "own days, else customer service's.", dispatch=DISPATCH_DAYS, promise=PROMISE_DAYS)
    turnaround = Table("turnaround", _("Turnaround, receipt to return (working days)"), [
        Column("units", _("Units returned"), "int"), Column("average", _("Average"), "days"),
        Column("p90", _("90th percentile"), "days"), Column("min", _("Shortest"), "days"),
        Column("max", _("Longest"), "days"),
    ], [[sum(hist.values()), _avg(hist), percentile_nearest_rank(hist),
         min(hist) if hist else None, max(hist) if hist else None]])
    turnaround.note = _("Working days on the company calendar (official holidays, make-up working days and "
                        "closures). The 90th percentile is the smallest turnaround that 90 percent of units did not exceed.")

    r = RepairRoute.__table__
    by_route = _breakdown(
        conn, period, [f.route_id, func.coalesce(r.c.code, ""), func.coalesce(r.c.name, "")],
        [Column("route_id", "ID", "int"), Column("route", _("Route")), Column("name", _("Name"))],
        "by_route", _("By repair route"), join=fig_unit.outerjoin(r, r.c.id == f.route_id))
    for row in by_route.rows:
        if row[0] is None:
            row[1] = _("(no route)")
    by_route.columns.pop(0)
    by_route.rows = [row[1:] for row in by_route.rows]

    d = Dealer.__table__
    by_dealer = _breakdown(
        conn, period, [f.dealer_id, d.c.code, d.c.name],
        [Column("dealer_id", "ID", "int"), Column("dealer", _("Dealer")), Column("name", _("Name"))],
        "by_dealer", _("By dealer"), join=fig_unit.join(d, d.c.id == f.dealer_id))
    by_dealer.columns.pop(0)
    by_dealer.rows = [row[1:] for row in by_dealer.rows]

    model_key = func.coalesce(f.model, "")
    by_model = _breakdown(conn, period, [model_key], [Column("model", _("Model"))], "by_model", _("By model"))
    fault_key = func.coalesce(f.fault, "")
    by_fault = _breakdown(conn, period, [fault_key], [Column("fault", _("Fault"))], "by_fault", _("By fault"))
    for t in (by_model, by_fault):
        for row in t.rows:
            if not row[0]:
                row[0] = _("(not given)")
    return [summary, turnaround, _findings_table(conn, period, received), _brand_table(conn, period),
            by_route, by_dealer, by_model, by_fault]


def _brand_table(conn, period: Period) -> Table:
    """Per brand (the brand stored on the unit): units received, returned on time or late against the
    dealer promise, and the intake findings of the units received."""
    f, b = fig_unit.c, Brand.__table__
    a, z = period.start_num, period.end_num
    arrived, shipped = and_(f.r >= a, f.r < z), and_(f.s >= a, f.s < z, f.sd.isnot(None))

    def count_if(cond):
        return func.sum(case((cond, 1), else_=0))

    name = func.coalesce(b.c.name, "")
    stmt = (select(name, count_if(arrived), count_if(and_(shipped, f.s <= f.sd)), count_if(and_(shipped, f.s > f.sd)),
                   *(count_if(and_(arrived, flag == 1)) for flag in (f.hd, f.ns, f.ow, f.pr)))
            .select_from(fig_unit.outerjoin(b, b.c.id == f.brand_id))
            .group_by(name).order_by(name))
    rows = [[brand or _("(no brand)"), *(int(v or 0) for v in counts)] for brand, *counts in conn.execute(stmt)]
    rows = [row for row in rows if any(row[1:4])]
    if rows:
        rows.append([_("All"), *(sum(r[i] for r in rows) for i in range(1, 8))])
    table = Table("repairs_brand", _("Repairs per brand"), [
        Column("brand", _("Brand")), Column("received", _("Received"), "int"),
        Column("on_time", _("Returned within %(days)s wd", days=PROMISE_DAYS), "int"),
        Column("late", _("Returned late"), "int"),
        Column("human_damage", _("Human damage"), "int"), Column("no_stock", _("No stock left"), "int"),
        Column("out_of_warranty", _("Out of warranty"), "int"), Column("paid", _("Paid repair (charge quoted)"), "int"),
    ], rows)
    table.note = _("The brand a unit got from its model when it was entered. Received and the findings: units "
                   "received in the period; on time or late: units returned to the dealer in the period on a "
                   "route with a promise (%(days)s working days from acceptance).", days=PROMISE_DAYS)
    return table


def _findings_table(conn, period: Period, received: int) -> Table:
    """What intake inspection found on the units received in the period (验收核对)."""
    f = fig_unit.c
    arrived = and_(f.r >= period.start_num, f.r < period.end_num)
    counts = conn.execute(select(*(func.sum(case((and_(arrived, flag == 1), 1), else_=0))
                                   for flag in (f.hd, f.ns, f.ow, f.pr)))).one()
    human, no_stock, out_of_warranty, paid = (int(v or 0) for v in counts)
    table = Table("findings", _("Intake findings"), [
        Column("finding", _("Finding")), Column("units", _("Units"), "int"),
        Column("of", _("Of (received)"), "int"), Column("rate", _("Rate %"), "pct"),
    ], [
        [_("Human damage"), human, received, _rate(human, received)],
        [_("No stock left"), no_stock, received, _rate(no_stock, received)],
        [_("Out of warranty"), out_of_warranty, received, _rate(out_of_warranty, received)],
        [_("Paid repair (charge quoted)"), paid, received, _rate(paid, received)],
    ])
    table.note = _("Units received in the period, by what intake inspection found; one unit may have several "
                   "findings. A paid repair is a unit with a charge quoted to the dealer (a waived charge is not counted).")
    return table


# --------------------------------------------------------------------------- DOA

def _doa_tables(conn, period: Period, scope: Scope) -> list[Table]:
    return doa_figures.tables(conn, period, scope, DoaApplication)


# --------------------------------------------------------------------------- spares

def _office_locations(conn, scope: Scope) -> dict[int, int]:
    """{location id: office id} for every office stock location and its bins."""
    loc = Location.__table__
    stmt = select(loc.c.id, loc.c.office_id).where(loc.c.office_id.isnot(None), loc.c.kind.in_([OFFICE, BIN]))
    if scope.office_id is not None:
        stmt = stmt.where(loc.c.office_id == scope.office_id)
    return {lid: oid for lid, oid in conn.execute(stmt)}


def _offices(conn, scope: Scope) -> list[tuple[int, str, str]]:
    o = Office.__table__
    stmt = select(o.c.id, o.c.code, o.c.name).order_by(o.c.code)
    if scope.office_id is not None:
        stmt = stmt.where(o.c.id == scope.office_id)
    else:
        stmt = stmt.where(o.c.active.is_(True))
    return list(conn.execute(stmt))


def _spare_tables(conn, period: Period, scope: Scope, today: date) -> list[Table]:
    locs = _office_locations(conn, scope)
    offices = _offices(conn, scope)
    stock: dict[int, list] = {oid: [0, Decimal("0"), 0, 0] for oid, _c, _n in offices}
    by_brand: dict[int | None, list] = {}  # brand id -> [units, value] over the offices
    bal, part, mv = Balance.__table__, Part.__table__, Movement.__table__
    if locs:
        ids = sorted(locs)
        # Current balances, then back out what moved after the period: the ledger as of the period's end
        # without summing the whole ledger. Only the movements since the period began are read, through
        # the (location, at) indexes; the office of each location is mapped here, not joined per row.
        # Grouped by location and by the part's brand: the office table and the brand table from one read.
        for lid, brand_id, qty, value in conn.execute(
            select(bal.c.location_id, part.c.brand_id, func.sum(bal.c.quantity),
                   func.sum(bal.c.quantity * part.c.unit_cost))
            .select_from(bal.join(part, part.c.id == bal.c.part_id))
            .where(bal.c.location_id.in_(ids)).group_by(bal.c.location_id, part.c.brand_id)
        ):
            for row in (stock.setdefault(locs[lid], [0, Decimal("0"), 0, 0]),
                        by_brand.setdefault(brand_id, [0, Decimal("0")])):
                row[0] += int(qty or 0)
                row[1] += Decimal(value or 0)
        for col, sign in ((mv.c.to_location_id, 1), (mv.c.from_location_id, -1)):
            # Ledger lines in and out during the period: counted from the (location, at) index alone.
            during = (select(col, func.count())
                      .where(col.in_(ids), mv.c.at >= period.utc_start, mv.c.at < period.utc_end).group_by(col))
            for lid, qty in conn.execute(during):
                stock.setdefault(locs[lid], [0, Decimal("0"), 0, 0])[2 if sign > 0 else 3] += int(qty or 0)
            after = (select(col, part.c.brand_id, func.sum(mv.c.quantity), func.sum(mv.c.quantity * part.c.unit_cost))
                     .select_from(mv.join(part, part.c.id == mv.c.part_id))
                     .where(col.in_(ids), mv.c.at >= period.utc_end).group_by(col, part.c.brand_id))
            for lid, brand_id, qty, value in conn.execute(after):
                # Undo the movements after the period's end: take back what came in, put back what left.
                for row in (stock.setdefault(locs[lid], [0, Decimal("0"), 0, 0]),
                            by_brand.setdefault(brand_id, [0, Decimal("0")])):
                    row[0] -= sign * int(qty or 0)
                    row[1] -= sign * Decimal(value or 0)
    names = {oid: (code, name) for oid, code, name in offices}
    spare = Table("spare_stock", _("Spare stock by office (at the end of the period)"), [
        Column("office", _("Office")), Column("name", _("Name")), Column("quantity", _("Units held"), "int"),
        Column("value", _("Value (RMB)"), "money"), Column("lines_in", _("Ledger lines in (period)"), "int"),
        Column("lines_out", _("Ledger lines out (period)"), "int"),
    ])
    spare.note = _("Units and value (at unit cost) at the end of the period; ledger lines (流水账) moving stock "
                   "into and out of the office during the period.")
    for oid, (qty, value, q_in, q_out) in sorted(stock.items(), key=lambda kv: names.get(kv[0], ("~", ""))):
        code, name = names.get(oid, (f"#{oid}", ""))
        spare.rows.append([code, name, qty, value.quantize(Decimal("0.01")), q_in, q_out])

    counts = _count_table(conn, period, scope, offices, locs, today)
    variance = _variance_table(conn, period, scope, names)
    return [spare, _spare_brand_table(conn, by_brand), counts, variance]


def _spare_brand_table(conn, held: dict[int | None, list]) -> Table:
    """The offices' spare stock at the end of the period per brand of its parts (units and value at unit cost),
    from the same ledger read as the table by office."""
    brand = Brand.__table__
    names = dict(conn.execute(select(brand.c.id, brand.c.name).where(brand.c.id.in_([b for b in held if b]))).all())
    table = Table("spare_stock_brand", _("Spare stock by brand (at the end of the period)"), [
        Column("brand", _("Brand")), Column("quantity", _("Units held"), "int"),
        Column("value", _("Value (RMB)"), "money"),
    ])
    table.note = _("The offices' spare stock at the end of the period by the brand of each part (a part without a "
                   "brand counts under none), at unit cost.")
    for label, (qty, value) in sorted(((names.get(b) or _("(no brand)"), v) for b, v in held.items()),
                                      key=lambda kv: kv[0]):
        table.rows.append([label, qty, value.quantize(Decimal("0.01"))])
    if table.rows:
        table.rows.append([_("All"), sum(r[1] for r in table.rows), sum((r[2] for r in table.rows), Decimal("0.00"))])
    return table


def _count_table(conn, period: Period, scope: Scope, offices, locs, today: date) -> Table:
    """Weekly and monthly counts each office submitted on time.

    Expected: one count for each Monday-to-Sunday week that ends in the period
    and has ended (its Sunday is before ``today``), and for a monthly report one
    monthly count once the month has ended. A week still running, or to come,
    is not missing anything yet. A week is covered on time by a
    weekly or monthly count of the office's stock counted within that week and
    submitted by the end of that week (Shanghai time); the month by a monthly
    count counted within the month and submitted by its end. Superseded counts
    (replaced by a recount) do not count.
    """
    c = StockCount.__table__
    weeks = []
    day = period.start + timedelta(days=(6 - period.start.weekday()) % 7)  # first Sunday in the period
    while day < period.end and day < today:
        weeks.append(daynum(day) - 6)  # the Monday of that week
        day += timedelta(days=7)
    first_monday = from_daynum(weeks[0]) if weeks else period.start
    covered: dict[int, set] = {}
    monthly: set[int] = set()
    if locs and weeks:
        loc_t = Location.__table__
        counted = local_daynum(c.c.counted_at)
        submitted = local_daynum(c.c.created_at)
        week_of = counted - ((counted - MONDAY_OFFSET) % 7)
        stmt = (
            select(loc_t.c.office_id, c.c.kind, week_of.label("week"), func.count())
            .select_from(c.join(loc_t, loc_t.c.id == c.c.location_id))
            .where(c.c.location_id.in_(sorted(locs)), c.c.kind.in_(["weekly", "monthly"]),
                   c.c.status.notin_(_NOT_SUBMITTED),
                   c.c.counted_at >= local_midnight_utc(first_monday), c.c.counted_at < period.utc_end,
                   submitted <= week_of + 6)
            .group_by(loc_t.c.office_id, c.c.kind, week_of)
        )
        for oid, _kind, week, _n in conn.execute(stmt):
            covered.setdefault(oid, set()).add(int(week))
        if period.kind == "month":
            mstmt = (
                select(loc_t.c.office_id).distinct()
                .select_from(c.join(loc_t, loc_t.c.id == c.c.location_id))
                .where(c.c.location_id.in_(sorted(locs)), c.c.kind == "monthly", c.c.status.notin_(_NOT_SUBMITTED),
                       _in_period(c.c.counted_at, period), _in_period(c.c.created_at, period))
            )
            monthly = {oid for (oid,) in conn.execute(mstmt)}
    table = Table("counts", _("Spare counts submitted on time"), [
        Column("office", _("Office")), Column("name", _("Name")), Column("expected", _("Counts expected"), "int"),
        Column("on_time", _("Submitted on time"), "int"), Column("missing", _("Missing or late"), "int"),
        Column("rate", _("On-time %"), "pct"),
    ])
    table.note = _("One count per Monday-to-Sunday week that ends in the period and has ended (counted that week "
                   "and submitted by its Sunday), plus one monthly count in a monthly report once the month has "
                   "ended; weeks and months still running are not judged yet.")
    month_due = period.kind == "month" and period.end <= today
    for oid, code, name in offices:
        expected = len(weeks) + (1 if month_due else 0)
        ok = len(covered.get(oid, set()) & set(weeks)) + (1 if month_due and oid in monthly else 0)
        table.rows.append([code, name, expected, ok, expected - ok, _rate(ok, expected)])
    return table


def _variance_table(conn, period: Period, scope: Scope, names: dict) -> Table:
    """Accepted counts' variance value in the period, by the office (or party) liable."""
    c = StockCount.__table__
    stmt = (
        select(c.c.liable_party, c.c.liable_office_id, func.count(), func.sum(c.c.shortfall_value),
               func.sum(c.c.surplus_value), func.sum(c.c.variance_value))
        .where(c.c.status == "accepted", _in_period(c.c.accepted_at, period))
        .group_by(c.c.liable_party, c.c.liable_office_id)
    )
    if scope.office_id is not None:
        stmt = stmt.where(c.c.liable_office_id == scope.office_id)
    table = Table("variance", _("Count variance value by office"), [
        Column("office", _("Office / party")), Column("name", _("Name")), Column("counts", _("Counts accepted"), "int"),
        Column("shortfall", _("Shortfall (RMB)"), "money"), Column("surplus", _("Surplus (RMB)"), "money"),
        Column("gross", _("Gross variance (RMB)"), "money"),
        Column("taken", _("Taken by other locations' counts (RMB)"), "money"),
    ])
    table.note = _("Counts accepted in the period; a shortfall is charged to the liable office (DOMAIN C.4). "
                   "Units another location's count found and took (a swapped serial) are this location's loss.")
    party_names = {"factory_shipping": _("Factory shipping dept"), "cs": _("Customer service (HQ)")}
    rows: dict[str, list] = {}

    def row_for(party, oid):
        if oid is not None:
            code, name = names.get(oid) or _office_name(conn, oid)
        else:
            code, name = party or "cs", str(party_names.get(party, party or ""))
        return rows.setdefault(code, [code, name, 0, _money(0), _money(0), _money(0), _money(0)])

    for party, oid, n, short, surplus, gross in conn.execute(stmt):
        row = row_for(party, oid)
        row[2] += int(n)
        row[3] += _money(short)
        row[4] += _money(surplus)
        row[5] += _money(gross)
    # What counts elsewhere took from a location: its loss, shown on its own row.
    for moved in inventory_counts.variance_by_location(period.utc_start, period.utc_end):
        if not moved["relocated_out"]:
            continue
        party, oid = inventory_counts.liable_party(db.session.get(Location, moved["location_id"]))
        if scope.office_id is not None and oid != scope.office_id:
            continue
        row_for(party, oid)[6] += _money(moved["relocated_out"])
    # Offices with no accepted count still appear, with zeros, so a quiet office is visible.
    for oid, (code, name) in names.items():
        row_for("office", oid)
    table.rows = sorted(rows.values(), key=lambda r: (-r[5], -r[6], r[0]))
    return table


def _office_name(conn, office_id: int) -> tuple[str, str]:
    o = Office.__table__
    row = conn.execute(select(o.c.code, o.c.name).where(o.c.id == office_id)).first()
    return (row[0], row[1]) if row else (f"#{office_id}", "")


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


# --------------------------------------------------------------------------- freight

def freight_day(s):
    """The moment a shipment's freight belongs to: when it shipped, or (never marked shipped, e.g.
    a dealer's inbound DOA parcel received at HQ) when it was booked."""
    return func.coalesce(s.c.shipped_at, s.c.created_at)


def _freight_in(s, first, end):
    """Shipments whose freight falls between two instants: shipped then, or booked then with a cost
    but never marked shipped."""
    return or_(and_(s.c.shipped_at >= first, s.c.shipped_at < end),
               and_(s.c.shipped_at.is_(None), s.c.freight_cost.isnot(None),
                    s.c.created_at >= first, s.c.created_at < end))


def _freight_table(conn, period: Period, scope: Scope) -> Table:
    """Freight spend of the period's shipments, by paying account."""
    s = Shipment.__table__
    stmt = (
        select(s.c.paying_account, func.count(), func.sum(s.c.freight_cost),
               func.sum(case((s.c.freight_cost.is_(None), 1), else_=0)))
        .where(_freight_in(s, period.utc_start, period.utc_end))
        .group_by(s.c.paying_account)
    )
    if scope.office_id is not None:
        stmt = stmt.where(s.c.office_id == scope.office_id)
    found = {acc: (int(n), _money(total), int(nocost or 0)) for acc, n, total, nocost in conn.execute(stmt)}
    labels = {"cs": _("Customer service"), "sales": _("Sales department (DOA)")}
    table = Table("freight", _("Freight spend by paying account"), [
        Column("account", _("Paying account")), Column("name", _("Account")), Column("shipments", _("Shipments"), "int"),
        Column("spend", _("Freight (RMB)"), "money"), Column("no_cost", _("Without a cost yet"), "int"),
    ])
    table.note = _("Shipments shipped in the period, and those never marked shipped (e.g. a dealer's inbound DOA "
                   "parcel) that carry a cost and were booked in the period, at the freight cost recorded on each.")
    for acc in list(PAYING_ACCOUNTS) + sorted(set(found) - set(PAYING_ACCOUNTS)):
        n, total, nocost = found.get(acc, (0, _money(0), 0))
        table.rows.append([acc, str(labels.get(acc, acc)), n, total, nocost])
    table.rows.append([_("Total"), "", sum(r[2] for r in table.rows), _money(sum(r[3] for r in table.rows)),
                       sum(r[4] for r in table.rows)])
    return table


def _freight_bills_table(period: Period) -> Table:
    """The month's freight bills by paying account: billed, matched, disputed, payable, paid (company-wide)."""
    data = shipments_freight.month_statement(period.key)
    labels = {"cs": _("Customer service"), "sales": _("Sales department (DOA)"), "unassigned": _("No shipment")}
    table = Table("freight_bills", _("Freight bills of the month"), [
        Column("account", _("Paying account")), Column("name", _("Account")), Column("bills", _("Bills"), "int"),
        Column("lines", _("Bill lines"), "int"), Column("billed", _("Billed (RMB)"), "money"),
        Column("matched", _("Matched (RMB)"), "money"), Column("amount_diff", _("Amount differs (RMB)"), "money"),
        Column("no_shipment", _("No shipment (RMB)"), "money"),
        Column("pending", _("Awaiting decision (RMB)"), "money"), Column("disputed", _("Disputed (RMB)"), "money"),
        Column("payable", _("Payable (RMB)"), "money"), Column("paid", _("Paid (RMB)"), "money"),
    ])
    table.note = _("The factory's bills for the month: a waybill billed before is not payable unless the supervisor "
                   "accepts it; payable is the sum of accepted lines.")
    keys = ("bills", "lines", "billed", "matched", "amount_diff", "no_shipment", "pending", "disputed", "payable",
            "paid")
    for row in data["rows"]:
        table.rows.append([row["account"], str(labels[row["account"]])] + [row[k] for k in keys])
    table.rows.append([_("Total"), ""] + [data["total"][k] for k in keys])
    return table


# --------------------------------------------------------------------------- the report

def build_report(actor, period: Period, office_code: str | None = None) -> Report:
    """The weekly or monthly report ``actor`` may see (their office's, or everyone's for supervisors)."""
    scope = resolve_scope(actor, office_code)
    return compute_report(period, scope)


def compute_report(period: Period, scope: Scope, today: date | None = None) -> Report:
    """Compute every table of the report for ``scope`` (no access check: callers resolve the scope).

    ``today`` (default: today in Shanghai) decides which weeks and months have
    ended, and so which counts are due yet.
    """
    conn = db.session.connection()
    # Leftovers of a report that failed half-way (SQLite keeps temporary tables per connection
    # across a rollback) go first; after a failure the request's rollback is all that is needed.
    _drop_temp(conn)
    if conn.dialect.name == "sqlite":
        # Keep the temporary tables in memory rather than in a temporary file. SQLite refuses the
        # change inside an open write transaction; it is only a speed-up, so the report goes on.
        try:
            conn.exec_driver_sql("PRAGMA temp_store = MEMORY")
        except OperationalError:
            pass
    fig_unit.create(conn)
    fig_wd.create(conn)
    _load_ordinals(conn, period)
    _load_units(conn, period, scope)
    tables = _repair_tables(conn, period, scope)
    _drop_temp(conn)
    tables += _doa_tables(conn, period, scope)
    tables.append(desk.hotline_table(conn, period, scope.office_id))
    tables += desk.complaint_tables(conn, period, scope.office_id, today or local_today())
    tables += _spare_tables(conn, period, scope, today or local_today())
    tables.append(_freight_table(conn, period, scope))
    if period.kind == "month" and scope.office_id is None:
        tables.append(_freight_bills_table(period))
    return Report(period, scope.office_code, scope.office_name, utcnow(), tables)


# --------------------------------------------------------------------------- dashboard charts

CHARTS = ("ontime_by_week", "backlog_by_age", "variance_by_office", "freight_by_month")


def chart_titles() -> dict[str, str]:
    """The dashboard charts' titles by name (translated at call time)."""
    return {
        "ontime_by_week": _("On-time rate by week"),
        "backlog_by_age": _("Open repairs by age"),
        "variance_by_office": _("Count variance by office"),
        "freight_by_month": _("Freight by month"),
    }


def build_chart(actor, name: str, period: Period, office_code: str | None = None) -> Chart:
    """One dashboard chart, ending with ``period`` (the backlog is always as of today)."""
    if name not in CHARTS:
        raise NotFound(_("No chart %(n)s.", n=str(name)[:40]))
    scope = resolve_scope(actor, office_code)
    return compute_chart(name, period, scope)


def compute_chart(name: str, period: Period, scope: Scope, today: date | None = None) -> Chart:
    """Compute one chart for ``scope`` (no access check: callers resolve the scope)."""
    conn = db.session.connection()
    if name == "ontime_by_week":
        return _ontime_by_week(conn, period, scope)
    if name == "backlog_by_age":
        return _backlog_by_age(conn, scope, today or local_today())
    if name == "variance_by_office":
        return _variance_chart(conn, period, scope)
    return _freight_by_month(conn, period, scope)


def _unit_scope(stmt, scope: Scope):
    if scope.office_id is None:
        return stmt
    p = ReturnParcel.__table__
    return stmt.where(RepairUnit.__table__.c.parcel_id.in_(select(p.c.id).where(p.c.office_id == scope.office_id)))


def _ontime_by_week(conn, period: Period, scope: Scope) -> Chart:
    last = week_period(period.last_day)
    first_start = last.start - timedelta(days=7 * (CHART_WEEKS - 1))
    a, z = local_midnight_utc(first_start), last.utc_end
    u = RepairUnit.__table__
    results = {}
    for key, at, due in (("dispatch", u.c.dispatched_at, u.c.dispatch_due), ("ship", u.c.shipped_at, u.c.ship_due)):
        day = local_daynum(at)
        week = (day - ((day - MONDAY_OFFSET) % 7)).label("week")
        stmt = (select(week, func.count(), func.sum(case((day <= date_daynum(due), 1), else_=0)))
                .where(at >= a, at < z, due.isnot(None)).group_by(week))
        results[key] = {int(w): (int(n), int(ok or 0)) for w, n, ok in conn.execute(_unit_scope(stmt, scope))}
    labels, disp, ship, disp_n, ship_n = [], [], [], [], []
    for i in range(CHART_WEEKS):
        monday = first_start + timedelta(days=7 * i)
        w = daynum(monday)
        labels.append(week_period(monday).key)
        n, ok = results["dispatch"].get(w, (0, 0))
        disp.append(_rate(ok, n))
        disp_n.append(n)
        n, ok = results["ship"].get(w, (0, 0))
        ship.append(_rate(ok, n))
        ship_n.append(n)
    return Chart("ontime_by_week", chart_titles()["ontime_by_week"], "line", labels, [
        {"key": "dispatch_rate", "label": _("Sent within %(days)s working days (%%)", days=DISPATCH_DAYS), "data": disp, "unit": "%"},
        {"key": "ship_rate", "label": _("Returned within %(days)s working days (%%)", days=PROMISE_DAYS), "data": ship, "unit": "%"},
        {"key": "dispatch_n", "label": _("Sent (measured)"), "data": disp_n, "unit": "units", "hidden": True},
        {"key": "ship_n", "label": _("Returned (measured)"), "data": ship_n, "unit": "units", "hidden": True},
    ], note=_("Weeks are Monday to Sunday, Shanghai time; the last is the week of %(d)s.", d=period.last_day.isoformat()))


def _backlog_by_age(conn, scope: Scope, today: date) -> Chart:
    """Open units (in our hands or at the factory) by working days since receipt, as of today."""
    u = RepairUnit.__table__
    day = local_daynum(u.c.received_at).label("day")
    # Units waiting for the dealer's or the supervisor's decision are still in CS's hands.
    with_cs = st.DISPATCH_CLOCK | st.PAUSED
    clock = case((u.c.state.in_(sorted(with_cs)), "cs"), else_="factory").label("clock")
    open_states = sorted(with_cs | st.SHIP_CLOCK)
    stmt = (select(day, clock, func.count()).where(u.c.state.in_(open_states), u.c.received_at.isnot(None))
            .group_by(day, clock))
    rows = conn.execute(_unit_scope(stmt, scope)).all()
    labels = BACKLOG_BANDS.labels()
    buckets = {"cs": [0] * len(labels), "factory": [0] * len(labels)}
    if rows:
        first = min(from_daynum(r[0]) for r in rows)
        ordinals = dict(working_ordinals(min(first, today), max(today, first)))
        today_ord = ordinals[daynum(today)]
        for dnum, which, n in rows:
            age = max(0, today_ord - ordinals.get(int(dnum), today_ord))
            buckets[which][BACKLOG_BANDS.index(age)] += int(n)
    return Chart("backlog_by_age", chart_titles()["backlog_by_age"], "bar", labels, [
        {"key": "at_cs", "label": _("Waiting at CS (before the factory)"), "data": buckets["cs"], "unit": "units"},
        {"key": "at_factory", "label": _("At the factory or ready to ship"), "data": buckets["factory"], "unit": "units"},
    ], note=_("Working days since receipt, as of %(d)s.", d=today.isoformat()))


def _variance_chart(conn, period: Period, scope: Scope) -> Chart:
    offices = _offices(conn, scope)
    names = {oid: (code, name) for oid, code, name in offices}
    table = _variance_table(conn, period, scope, names)
    rows = sorted(table.rows, key=lambda r: r[0])
    return Chart("variance_by_office", chart_titles()["variance_by_office"], "bar", [r[0] for r in rows], [
        {"key": "shortfall", "label": _("Shortfall (RMB)"), "data": [r[3] for r in rows], "unit": "RMB"},
        {"key": "surplus", "label": _("Surplus (RMB)"), "data": [r[4] for r in rows], "unit": "RMB"},
        {"key": "taken", "label": _("Taken by other locations' counts (RMB)"), "data": [r[6] for r in rows],
         "unit": "RMB"},
    ], note=_("Counts accepted in %(p)s.", p=period.key))


def _freight_by_month(conn, period: Period, scope: Scope) -> Chart:
    last = month_period(period.last_day.year, period.last_day.month)
    first = last
    for _i in range(CHART_MONTHS - 1):
        first = first.previous()
    s = Shipment.__table__
    month = local_month(freight_day(s)).label("month")
    stmt = (select(month, s.c.paying_account, func.sum(s.c.freight_cost))
            .where(_freight_in(s, first.utc_start, last.utc_end))
            .group_by(month, s.c.paying_account))
    if scope.office_id is not None:
        stmt = stmt.where(s.c.office_id == scope.office_id)
    found = {(m, acc): _money(v) for m, acc, v in conn.execute(stmt)}
    labels, p = [], first
    while p.start <= last.start:
        labels.append(p.key)
        p = p.next()
    accounts = list(PAYING_ACCOUNTS) + sorted({acc for _m, acc in found} - set(PAYING_ACCOUNTS))
    names = {"cs": _("Customer service"), "sales": _("Sales department (DOA)")}
    return Chart("freight_by_month", chart_titles()["freight_by_month"], "bar", labels, [
        {"key": acc, "label": str(names.get(acc, acc)) + " (RMB)", "data": [found.get((m, acc), _money(0)) for m in labels],
         "unit": "RMB", "stack": "freight"}
        for acc in accounts
    ], note=_("Freight recorded on shipments, by the month they shipped, or were booked when never marked "
              "shipped (Shanghai time)."))
