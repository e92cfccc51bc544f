"""What a regional office sends HQ every week and month: its stock detail and its ledger (流水账).

* Stock detail: what the office's locations (its main location and its bins)
  hold now, a line per location and part; a serialized part a line per serial.
* Ledger for a period of Shanghai calendar days: per SKU the opening balance,
  what came in, what went out and the closing balance (opening + in - out =
  closing, all read from the ledger itself), then every movement of the period.
  Moves between the office's own locations change neither in nor out: the
  office holds the same stock.

An office user exports only its own office; HQ staff choose one. Both files go
through :mod:`core.sheets` (CSV or XLSX, headers in the reader's language,
Shanghai times, formula-looking serials written as text).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased

from core import sheets
from core.accounts.models import User
from core.accounts.scope import visible_office_id
from core.calendar import SHANGHAI, local_today
from core.directory.models import Office
from core.errors import Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.ids import is_id
from core.input_limits import date_problem
from inventory.models import Balance, Location, Movement, Part, SerialPosition
from inventory.reasons import reason_label

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")
EXPORT_FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class DayRange:
    """Shanghai calendar days ``first`` to ``last``, both included (either may be open)."""

    first: date | None
    last: date | None

    @property
    def starts_at(self) -> datetime | None:
        """The first moment of the range, in UTC."""
        return _day_start(self.first) if self.first else None

    @property
    def ends_before(self) -> datetime | None:
        """The first moment after the range, in UTC."""
        return _day_start(self.last + timedelta(days=1)) if self.last else None


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SHANGHAI).astimezone(timezone.utc)


def parse_day(value, field: str) -> date | None:
    """A day given as YYYY-MM-DD (a page's text or an API's loaded date); None when blank."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value).strip())
        except ValueError:
            message = _("Give the day as YYYY-MM-DD (got %(value)s).", value=str(value)[:20])
            raise ValidationFailed(message, errors={field: [message]}) from None
    problem = date_problem(value)
    if problem:
        raise ValidationFailed(problem, errors={field: [problem]})
    return value


def day_range(first, last) -> DayRange:
    """The days from ``first`` to ``last`` (either may be blank); refused when ``first`` comes after ``last``."""
    start, end = parse_day(first, "from"), parse_day(last, "to")
    if start and end and start > end:
        message = _("The first day (%(first)s) is after the last day (%(last)s).",
                    first=start.isoformat(), last=end.isoformat())
        raise ValidationFailed(message, errors={"from": [message]})
    return DayRange(start, end)


def period(first, last) -> DayRange:
    """A closed period for the ledger: defaults to the current month up to today (Shanghai)."""
    today = local_today()
    chosen = day_range(first, last)
    end = chosen.last or today
    start = chosen.first or min(end.replace(day=1), end)
    if start > end:
        message = _("The first day (%(first)s) is after the last day (%(last)s).",
                    first=start.isoformat(), last=end.isoformat())
        raise ValidationFailed(message, errors={"from": [message]})
    return DayRange(start, end)


def export_office(actor, office_id) -> Office:
    """The office ``actor`` may export: an office user its own (403 for another), HQ the one it names."""
    if actor is None:
        raise Forbidden(_("Sign in first."))
    limit = visible_office_id(actor)
    if limit == -1:
        raise Forbidden(_("Your role does not allow this."))
    if limit is not None:
        if office_id not in (None, "") and office_id != limit:
            raise Forbidden(_("This record belongs to another office."))
        office_id = limit
    if office_id in (None, ""):
        message = _("Choose an office.")
        raise ValidationFailed(message, errors={"office_id": [message]})
    office = db.session.get(Office, office_id) if is_id(office_id) else None
    if office is None:
        raise NotFound(_("No regional office %(id)s.", id=office_id))
    return office


def offices_for(actor) -> list[Office]:
    """The offices ``actor`` may choose for an export: every office for HQ, none to choose for others."""
    if actor is None or visible_office_id(actor) is not None:
        return []
    return list(db.session.scalars(select(Office).order_by(Office.code)))


def _office_locations(office: Office) -> dict[int, Location]:
    return {loc.id: loc for loc in db.session.scalars(
        select(Location).where(Location.office_id == office.id).order_by(Location.code))}


# --- stock detail -------------------------------------------------------------------------

STOCK_COLUMNS = (
    sheets.Column(_l("Location"), width=16), sheets.Column(_l("Location name"), width=20),
    sheets.Column(_l("SKU"), width=16), sheets.Column(_l("Model"), width=24),
    sheets.Column(_l("Quantity"), "int", width=10), sheets.Column(_l("Serial"), width=22),
)


def stock_detail_rows(office: Office) -> list[list]:
    """One line per location and part the office holds (a serialized part: one line per serial, quantity 1).

    A serialized balance the serial positions do not fully cover keeps the rest
    on a line without a serial, so the quantities always add up to the balance.
    """
    locations = _office_locations(office)
    if not locations:
        return []
    balances = db.session.execute(
        select(Balance.location_id, Balance.part_id, Balance.quantity)
        .where(Balance.location_id.in_(locations), Balance.quantity != 0)).all()
    serials: dict[tuple[int, int], list[str]] = {}
    for loc_id, part_id, serial in db.session.execute(
            select(SerialPosition.location_id, SerialPosition.part_id, SerialPosition.serial)
            .where(SerialPosition.location_id.in_(locations)).order_by(SerialPosition.serial)):
        serials.setdefault((loc_id, part_id), []).append(serial)
    parts = {p.id: p for p in db.session.scalars(select(Part).where(Part.id.in_({b.part_id for b in balances})))}
    rows = []
    for loc_id, part_id, quantity in sorted(balances, key=lambda b: (locations[b[0]].code, parts[b[1]].sku)):
        loc, part = locations[loc_id], parts[part_id]
        here = serials.get((loc_id, part_id), []) if part.serialized else []
        for serial in here[:max(quantity, 0)]:
            rows.append([loc.code, loc.name, part.sku, part.model, 1, serial])
        rest = quantity - min(len(here), max(quantity, 0))
        if rest:
            rows.append([loc.code, loc.name, part.sku, part.model, rest, ""])
    return rows


def stock_detail(actor, office_id, fmt: str) -> tuple[bytes, str]:
    """The office's stock detail as a file in ``fmt``, and the file's name."""
    office = export_office(actor, office_id)
    fmt = _format(fmt)
    now = datetime.now(timezone.utc)
    sheet = sheets.Sheet(_("Stock detail"), STOCK_COLUMNS, stock_detail_rows(office),
                         preamble=[[_("Stock detail"), office.name, office.code], [_("As of"), now]])
    name = f"stock-{_file_part(office.code)}-{now.astimezone(SHANGHAI):%Y%m%d-%H%M}.{fmt}"
    return sheets.write(fmt, [sheet]), name


# --- ledger (流水账) -------------------------------------------------------------------------

SUMMARY_COLUMNS = (
    sheets.Column(_l("SKU"), width=16), sheets.Column(_l("Model"), width=24),
    sheets.Column(_l("Opening balance"), "int"), sheets.Column(_l("Quantity in"), "int"),
    sheets.Column(_l("Quantity out"), "int"), sheets.Column(_l("Closing balance"), "int"),
)
MOVEMENT_COLUMNS = (
    sheets.Column(_l("When"), "datetime", width=20), sheets.Column(_l("SKU"), width=16),
    sheets.Column(_l("Model"), width=24), sheets.Column(_l("Serial"), width=22),
    sheets.Column(_l("From"), width=16), sheets.Column(_l("To"), width=16),
    sheets.Column(_l("Quantity in"), "int"), sheets.Column(_l("Quantity out"), "int"),
    sheets.Column(_l("Reason"), width=24), sheets.Column(_l("Reference"), width=16),
    sheets.Column(_l("By"), width=14), sheets.Column(_l("Note"), width=30), sheets.Column(_l("Movement no."), "int"),
)


@dataclass
class SkuPeriod:
    """One SKU's line of the ledger summary."""

    part: Part
    opening: int
    received: int
    issued: int

    @property
    def closing(self) -> int:
        return self.opening + self.received - self.issued


def _flows(location_ids, *conditions):
    """Per part: (units that came into the office, units that left it) over movements matching ``conditions``."""
    into = Movement.to_location_id.in_(location_ids)
    out_of = Movement.from_location_id.in_(location_ids)
    received = func.sum(case((into & ~out_of, Movement.quantity), else_=0))
    issued = func.sum(case((out_of & ~into, Movement.quantity), else_=0))
    stmt = (select(Movement.part_id, received, issued).where(into | out_of, *conditions)
            .group_by(Movement.part_id))
    return {part_id: (int(r or 0), int(i or 0)) for part_id, r, i in db.session.execute(stmt)}


def ledger_summary(office: Office, days: DayRange) -> list[SkuPeriod]:
    """Per SKU the office moved or held in the period: opening, in, out (closing follows), by SKU."""
    ids = list(_office_locations(office))
    if not ids:
        return []
    before = _flows(ids, Movement.at < days.starts_at)
    during = _flows(ids, Movement.at >= days.starts_at, Movement.at < days.ends_before)
    part_ids = set(before) | set(during)
    parts = {p.id: p for p in db.session.scalars(select(Part).where(Part.id.in_(part_ids)))} if part_ids else {}
    lines = []
    for part_id in part_ids:
        got, gave = before.get(part_id, (0, 0))
        received, issued = during.get(part_id, (0, 0))
        line = SkuPeriod(parts[part_id], got - gave, received, issued)
        if line.opening or line.received or line.issued:
            lines.append(line)
    return sorted(lines, key=lambda line: line.part.sku)


def ledger_movements(office: Office, days: DayRange):
    """The period's movements in or out of the office's locations, oldest first, as plain rows.

    Columns, not ORM objects: a month of a busy office is tens of thousands of lines.
    """
    ids = list(_office_locations(office))
    if not ids:
        return []
    source, target = aliased(Location), aliased(Location)
    stmt = (select(Movement.id, Movement.at, Part.sku, Part.model, Movement.serial, Movement.from_location_id,
                   source.code, Movement.to_location_id, target.code, Movement.quantity, Movement.reason,
                   Movement.reverses_id, Movement.ref_type, Movement.ref_id, User.username, Movement.note)
            .join(Part, Part.id == Movement.part_id)
            .join(source, source.id == Movement.from_location_id)
            .join(target, target.id == Movement.to_location_id)
            .outerjoin(User, User.id == Movement.actor_id)
            .where(Movement.from_location_id.in_(ids) | Movement.to_location_id.in_(ids),
                   Movement.at >= days.starts_at, Movement.at < days.ends_before)
            .order_by(Movement.at, Movement.id))
    return db.session.execute(stmt)


def _movement_rows(office: Office, days: DayRange):
    ids = set(_office_locations(office))
    labels: dict[str, str] = {}
    for (movement_id, at, sku, model, serial, from_id, from_code, to_id, to_code, quantity, reason, reverses_id,
         ref_type, ref_id, username, note) in ledger_movements(office, days):
        into, out_of = to_id in ids, from_id in ids
        label = labels.get(reason)
        if label is None:
            label = labels[reason] = reason_label(reason)
        if reverses_id:
            label = _("%(reason)s (reverses #%(id)s)", reason=label, id=reverses_id)
        reference = f"{ref_type or ''} {ref_id or ''}".strip()
        yield [at, sku, model, serial or "", from_code, to_code,
               quantity if into and not out_of else 0, quantity if out_of and not into else 0,
               label, reference, username or "", note or "", movement_id]


def ledger(actor, office_id, fmt: str, *, first=None, last=None) -> tuple[bytes, str]:
    """The office's ledger (流水账) for the period as a file in ``fmt``: summary per SKU, then the movements."""
    office = export_office(actor, office_id)
    fmt = _format(fmt)
    days = period(first, last)
    summary = [[s.part.sku, s.part.model, s.opening, s.received, s.issued, s.closing]
               for s in ledger_summary(office, days)]
    heading = [[_("Movement ledger"), office.name, office.code],
               [_("Period"), days.first, days.last]]
    book = [sheets.Sheet(_("Summary"), SUMMARY_COLUMNS, summary, preamble=heading),
            sheets.Sheet(_("Movements"), MOVEMENT_COLUMNS, _movement_rows(office, days))]
    name = f"ledger-{_file_part(office.code)}-{days.first:%Y%m%d}-{days.last:%Y%m%d}.{fmt}"
    return sheets.write(fmt, book), name


def _format(fmt: str) -> str:
    if fmt not in EXPORT_FORMATS:
        raise NotFound(_("No such export format."))
    return fmt


def _file_part(text: str) -> str:
    # A file name travels in a header: ASCII only (an office code may be Chinese).
    return _UNSAFE_NAME.sub("_", text).strip("_") or "office"
