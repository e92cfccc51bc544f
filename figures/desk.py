"""The customer-service desks in the weekly and monthly report: hotline and e-mail questions, complaints.

Hotline (manual 4.1.3, 4.2): questions asked in the period per brand and category, by channel,
and the share answered by their due day (one working day). Complaints (6.7, the monthly
complaint analysis): complaints received in the period per tier, answered on time (by the tier's
due day), still open, and the compensation agreed on those answered in the period; and every
complaint still open at the period's end by its age. A report for one office counts its dealers'
questions and complaints, never the complaints about CS staff (those are the supervisor's alone).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, or_, select

from complaints import states as complaint_states
from complaints.models import Complaint
from core.bands import Bands
from core.calendar import local_day
from core.directory.models import Brand, Dealer
from figures.periods import Period, daynum, local_midnight_utc
from figures.sqlfuncs import date_daynum, local_daynum
from figures.tables import Column, Table, _rate
from hotline import states as hotline_states
from hotline.models import HotlineEntry

# Age of an open complaint, in calendar days since it was received: within the ordinary answer,
# within the serious one, within two weeks (the ordinary return visit), and older.
AGE_BANDS = Bands((2, 7, 14), _l("%(lo)s–%(hi)s days"), _l("%(lo)s days or more"))


def _count_if(condition):
    return func.sum(case((condition, 1), else_=0))


def hotline_table(conn, period: Period, office_id: int | None) -> Table:
    """Questions asked in the period per brand and category: by channel, answered, answered on time."""
    e, b, d = HotlineEntry.__table__, Brand.__table__, Dealer.__table__
    on_time = and_(e.c.answered_at.isnot(None), local_daynum(e.c.answered_at) <= date_daynum(e.c.due_on))
    brand = func.coalesce(b.c.name, "")
    stmt = (select(brand, e.c.category, func.count(), _count_if(e.c.channel == hotline_states.Channel.PHONE.value),
                   _count_if(e.c.channel == hotline_states.Channel.EMAIL.value), _count_if(e.c.answered_at.isnot(None)),
                   _count_if(on_time))
            .select_from(e.outerjoin(b, b.c.id == e.c.brand_id))
            .where(e.c.asked_at >= period.utc_start, e.c.asked_at < period.utc_end)
            .group_by(brand, e.c.category).order_by(brand, e.c.category))
    if office_id is not None:
        stmt = stmt.join(d, d.c.id == e.c.dealer_id).where(d.c.office_id == office_id)
    rows = []
    for name, category, asked, phone, email, answered, in_time in conn.execute(stmt):
        rows.append([name or _("(no brand)"), hotline_states.Category.label_of(category), int(asked), int(phone or 0),
                     int(email or 0), int(answered or 0), int(in_time or 0), _rate(int(in_time or 0), int(asked))])
    if rows:
        totals = [sum(r[i] for r in rows) for i in range(2, 7)]
        rows.append([_("All"), "", *totals, _rate(totals[4], totals[0])])
    table = Table("hotline", _("Hotline and e-mail questions"), [
        Column("brand", _("Brand")), Column("category", _("Category")), Column("asked", _("Questions"), "int"),
        Column("phone", _("By phone"), "int"), Column("email", _("By e-mail"), "int"),
        Column("answered", _("Answered"), "int"), Column("on_time", _("Answered by the due day"), "int"),
        Column("rate", _("On time %"), "pct"),
    ], rows)
    table.note = _("Questions asked in the period; a question is answered on time when its standard answer was "
                   "given by its due day (the same day, or one working day when a department had to answer).")
    return table


def _complaints(office_id: int | None):
    """Complaints a report counts: one office's dealers' (never those about CS staff), or all; with the brand."""
    c, b = Complaint.__table__, Brand.__table__
    stmt = (select(c.c.tier, c.c.received_on, c.c.answer_due, c.c.answered_at, c.c.closed_at, c.c.compensation,
                   b.c.name).select_from(c.outerjoin(b, b.c.id == c.c.brand_id)))
    if office_id is not None:
        stmt = stmt.where(c.c.office_id == office_id, c.c.about_staff.is_(False))
    return stmt


def complaint_tables(conn, period: Period, office_id: int | None, today: date) -> list[Table]:
    """Complaints received in the period per tier, and those open at its end by age."""
    c = Complaint.__table__
    received = and_(date_daynum(c.c.received_on) >= period.start_num, date_daynum(c.c.received_on) < period.end_num)
    answered_in = and_(c.c.answered_at >= period.utc_start, c.c.answered_at < period.utc_end)
    rows_in = conn.execute(_complaints(office_id).where(or_(received, answered_in))).all()
    by_tier = {t.value: [0, 0, 0, 0, Decimal("0")] for t in complaint_states.Tier}
    by_brand: dict[str, list] = {}
    for tier, received_on, due, answered_at, closed_at, compensation, brand in rows_in:
        for counts in (by_tier.setdefault(tier, [0, 0, 0, 0, Decimal("0")]),
                       by_brand.setdefault(brand or "", [0, 0, 0, 0, Decimal("0")])):
            _count_complaint(counts, period, received_on, due, answered_at, closed_at, compensation)
    tiers = _complaint_table("complaints", _("Complaints"), Column("tier", _("Tier")),
                             [(complaint_states.Tier.label_of(tier), counts) for tier, counts in by_tier.items()])
    tiers.note = _("Complaints received in the period. On time: the dealer was answered by the tier's due day "
                   "(ordinary 2, serious 7 working days; very serious: the day the supervisor set); the rate is of "
                   "those answered. Compensation: agreed on the complaints answered in the period.")
    brands = _complaint_table("complaints_brand", _("Complaints per brand"), Column("brand", _("Brand")),
                              [(name or _("(no brand)"), counts) for name, counts in sorted(by_brand.items())])

    end = min(period.end, today)
    still_open = or_(c.c.closed_at.is_(None), c.c.closed_at >= local_midnight_utc(end))
    open_at_end = conn.execute(_complaints(office_id).where(date_daynum(c.c.received_on) < daynum(end),
                                                            still_open)).all()
    ages = [0] * len(AGE_BANDS.keys())
    for _tier, received_on, *_rest in open_at_end:
        ages[AGE_BANDS.index((end - received_on).days)] += 1
    aging = Table("complaints_open", _("Complaints open at the period's end, by age"), [
        Column("age", _("Age")), Column("open", _("Open"), "int"),
    ], [[label, n] for label, n in zip(AGE_BANDS.labels(), ages)])
    return [tiers, brands, aging]


def _count_complaint(counts: list, period: Period, received_on, due, answered_at, closed_at, compensation) -> None:
    """Add one complaint to a row's counts: received, on time, not answered, not closed, compensation."""
    if period.start <= received_on < period.end:
        counts[0] += 1
        if answered_at is not None and due is not None and daynum(local_day(answered_at)) <= daynum(due):
            counts[1] += 1
        if answered_at is None:
            counts[2] += 1
        if closed_at is None:
            counts[3] += 1
    if answered_at is not None and period.utc_start <= answered_at < period.utc_end and compensation:
        counts[4] += compensation


def _complaint_table(key: str, title: str, first: Column, counted: list[tuple[str, list]]) -> Table:
    """Rows of complaint counts under ``first`` (tier or brand), with the totals row."""
    rows = [[label, n, ok, _rate(ok, n - waiting) if n - waiting else None, waiting, still_open, money]
            for label, (n, ok, waiting, still_open, money) in counted]
    totals = [sum(r[i] for r in rows) for i in (1, 2, 4, 5)]
    rows.append([_("All"), totals[0], totals[1], _rate(totals[1], totals[0] - totals[2]) if totals[0] - totals[2]
                 else None, totals[2], totals[3], sum((r[6] for r in rows), Decimal("0"))])
    return Table(key, title, [
        first, Column("received", _("Received"), "int"),
        Column("on_time", _("Answered by the due day"), "int"), Column("rate", _("On time %"), "pct"),
        Column("waiting", _("Not answered yet"), "int"), Column("open", _("Not closed yet"), "int"),
        Column("compensation", _("Compensation agreed"), "money"),
    ], rows)
