"""DOA figures (DOMAIN.md B): counts, approval and shipping lead times, outcomes.

Read from :mod:`doa.models` as set-based SQL. Lead times group the
applications by (start day, end day) in SQL and map the handful of distinct
days to working-day ordinals in Python, so the calendar is never asked per
application.
"""
from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import and_, case, func, or_, select

from core.directory.models import Brand
from doa.models import DoaEvent, DoaUnit
from doa.service import APPROVAL_DAYS, REPLACEMENT_DAYS
from figures.periods import Period, from_daynum
from figures.sqlfuncs import date_daynum, local_daynum
from figures.tables import Column, Table, _avg, _rate, percentile_nearest_rank, working_ordinals

# Closing states and their labels, in the order the outcome table lists them.
OUTCOMES = ("replacement_shipped", "refunded", "refused", "rejected", "refund_refused", "cancelled")


def _outcome_labels() -> dict[str, str]:
    return {
        "replacement_shipped": _("Replacement shipped"),
        "refunded": _("Refunded (credit issued)"),
        "refused": _("Refused at approval"),
        "rejected": _("Rejected on receipt"),
        "refund_refused": _("Refund refused"),
        "cancelled": _("Cancelled"),
    }


def _scoped(stmt, table, scope):
    if scope.office_id is not None:
        stmt = stmt.where(table.c.office_id == scope.office_id)
    return stmt


def _in(column, period: Period):
    return and_(column >= period.utc_start, column < period.utc_end)


def _lead_time(conn, period: Period, scope, table, start_col, end_col) -> dict[int, int]:
    """{working days: applications} from ``start_col`` to ``end_col`` for those ending in the period."""
    a, b = local_daynum(start_col).label("a"), local_daynum(end_col).label("b")
    stmt = (select(a, b, func.count()).where(_in(end_col, period), start_col.isnot(None)).group_by(a, b))
    pairs = conn.execute(_scoped(stmt, table, scope)).all()
    if not pairs:
        return {}
    lo = min(min(p[0], p[1]) for p in pairs)
    hi = max(max(p[0], p[1]) for p in pairs)
    ords = dict(working_ordinals(from_daynum(lo), from_daynum(hi)))
    hist: dict[int, int] = {}
    for day_a, day_b, n in pairs:
        days = ords[int(day_b)] - ords[int(day_a)]
        hist[days] = hist.get(days, 0) + int(n)
    return hist


def tables(conn, period: Period, scope, model) -> list:
    """The DOA tables of the report: summary, lead times, outcomes."""
    t = model.__table__
    count_if = lambda cond: func.sum(case((cond, 1), else_=0))  # noqa: E731
    approved_day = local_daynum(t.c.approved_at)
    shipped_day = local_daynum(t.c.replacement_shipped_at)
    refused = or_(and_(t.c.channel_decision == "refused", _in(t.c.channel_at, period)),
                  and_(t.c.product_decision == "refused", _in(t.c.product_at, period)))
    stmt = select(
        count_if(_in(t.c.created_at, period)),
        count_if(and_(_in(t.c.created_at, period), t.c.request == "replacement")),
        count_if(and_(_in(t.c.created_at, period), t.c.request == "refund")),
        count_if(_in(t.c.approved_at, period)),
        count_if(and_(_in(t.c.approved_at, period), approved_day <= date_daynum(t.c.approval_due))),
        count_if(refused),
        count_if(_in(t.c.received_at, period)),
        count_if(and_(_in(t.c.replacement_shipped_at, period), t.c.replacement_due.isnot(None))),
        count_if(and_(_in(t.c.replacement_shipped_at, period), t.c.replacement_due.isnot(None),
                      shipped_day <= date_daynum(t.c.replacement_due))),
        count_if(_in(t.c.credit_at, period)),
    ).where(or_(_in(t.c.created_at, period), _in(t.c.approved_at, period), _in(t.c.channel_at, period),
                _in(t.c.product_at, period), _in(t.c.received_at, period), _in(t.c.replacement_shipped_at, period),
                _in(t.c.credit_at, period)))
    (applied, replacement, refund, approved, approved_ok, refused_n, received, shipped, shipped_ok,
     credited) = (int(v or 0) for v in conn.execute(_scoped(stmt, t, scope)).one())

    summary = Table("doa", _("DOA new-unit exchange"), [
        Column("metric", _("Figure")), Column("count", _("Applications"), "int"), Column("of", _("Of (measured)"), "int"),
        Column("rate", _("Rate %"), "pct"),
    ], [
        [_("Applied"), applied, None, None],
        [_("… asking for a replacement"), replacement, None, None],
        [_("… asking for a refund"), refund, None, None],
        [ngettext("Approved within %(num)s working day", "Approved within %(num)s working days", APPROVAL_DAYS), approved_ok, approved, _rate(approved_ok, approved)],
        [_("Refused at approval"), refused_n, None, None],
        [_("Units received (applications)"), received, None, None],
        [ngettext("Replacement shipped within %(num)s working day", "Replacement shipped within %(num)s working days", REPLACEMENT_DAYS), shipped_ok, shipped, _rate(shipped_ok, shipped)],
        [_("Refunds credited"), credited, None, None],
    ], note=_("Approval on time: both departments approved no later than the due day (%(approval)s working "
              "day(s) after the application). Replacement on time: shipped no later than %(replacement)s working "
              "days after receipt.", approval=APPROVAL_DAYS, replacement=REPLACEMENT_DAYS))

    leads = Table("doa_lead_times", _("DOA lead times (working days)"), [
        Column("step", _("Step")), Column("count", _("Applications"), "int"), Column("average", _("Average"), "days"),
        Column("p90", _("90th percentile"), "days"),
    ], note=_("Counted for the applications whose step ended in the period."))
    for label, start, end in (
        (_("Application to approval"), t.c.created_at, t.c.approved_at),
        (_("Receipt to replacement shipped"), t.c.received_at, t.c.replacement_shipped_at),
        (_("Receipt to refund credited"), t.c.received_at, t.c.credit_at),
    ):
        hist = _lead_time(conn, period, scope, t, start, end)
        leads.rows.append([label, sum(hist.values()), _avg(hist), percentile_nearest_rank(hist)])

    e = DoaEvent.__table__
    ostmt = (select(e.c.to_state, func.count(func.distinct(e.c.application_id)))
             .select_from(e.join(t, t.c.id == e.c.application_id))
             .where(_in(e.c.at, period), e.c.to_state.in_(OUTCOMES)).group_by(e.c.to_state))
    found = {state: int(n) for state, n in conn.execute(_scoped(ostmt, t, scope))}
    labels = _outcome_labels()
    outcomes = Table("doa_outcomes", _("DOA outcomes (closed in the period)"), [
        Column("outcome", _("Outcome")), Column("state", _("State")), Column("count", _("Applications"), "int"),
    ], [[labels[s], s, found.get(s, 0)] for s in OUTCOMES])

    # Refunds credited in the period, summed per currency (a sum never mixes currencies).
    currency = func.coalesce(t.c.refund_currency, "CNY")
    rstmt = (select(currency, func.count(), func.coalesce(func.sum(t.c.refund_amount), 0))
             .where(_in(t.c.credit_at, period)).group_by(currency).order_by(currency))
    refunds = Table("doa_refunds", _("DOA refunds credited"), [
        Column("currency", _("Currency")), Column("count", _("Applications"), "int"),
        Column("amount", _("Amount"), "money"),
    ], [[code, int(n), Decimal(str(total)).quantize(Decimal("0.01"))]
        for code, n, total in conn.execute(_scoped(rstmt, t, scope))],
        note=_("The sales return / credit amounts commerce issued in the period, per currency."))
    return [summary, leads, outcomes, refunds, brand_table(conn, period, scope, t)]


def brand_table(conn, period: Period, scope, t) -> Table:
    """Per brand (stored on the unit): applications made in the period and their units, applications
    exchanged (replacement shipped) and refunded (credited) in the period. An application with units
    of two brands counts under both; the totals row counts it once."""
    u, b = DoaUnit.__table__, Brand.__table__
    made, exchanged, refunded = (_in(t.c.created_at, period), _in(t.c.replacement_shipped_at, period),
                                 _in(t.c.credit_at, period))

    def apps_if(cond):
        return func.count(func.distinct(case((cond, t.c.id))))

    counts = (apps_if(made), func.sum(case((made, 1), else_=0)), apps_if(exchanged), apps_if(refunded))
    source = t.join(u, u.c.application_id == t.c.id).outerjoin(b, b.c.id == u.c.brand_id)
    name = func.coalesce(b.c.name, "")
    touched = or_(made, exchanged, refunded)
    stmt = select(name, *counts).select_from(source).where(touched).group_by(name).order_by(name)
    rows = [[brand or _("(no brand)"), *(int(v or 0) for v in values)]
            for brand, *values in conn.execute(_scoped(stmt, t, scope))]
    if rows:
        total = conn.execute(_scoped(select(*counts).select_from(source).where(touched), t, scope)).one()
        rows.append([_("All"), *(int(v or 0) for v in total)])
    return Table("doa_brand", _("DOA per brand"), [
        Column("brand", _("Brand")), Column("applications", _("Applications"), "int"),
        Column("units", _("Units"), "int"), Column("exchanged", _("Exchanged (replacement shipped)"), "int"),
        Column("refunded", _("Refunded (credit issued)"), "int"),
    ], rows, note=_("The brand a unit got from its model when the application was entered. Applications made "
                    "in the period and their units; applications whose replacement was shipped, or whose refund "
                    "was credited, in the period. An application with units of two brands counts under both."))
