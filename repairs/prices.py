"""The dated paid-repair price list, price notices and the quote of a paid repair.

A quote uses the price in force on the day the dealer's parcel arrived (the
unit's own receipt when the parcel has no arrival), not the day CS inspected
it: a dealer who sent before a price change pays what was in force when the
parcel reached us. A notice ("every repair 10 RMB cheaper from 2012-02-06",
manual 2.1.5) changes every price row in force on its date and every row
dated after it, by adding rows: quotes already made keep the row they used.
A waived charge (the supervisor settled a dispute for the dealer) is quoted
0 and keeps its reason.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import func, select

from core import sheets
from core.accounts.roles import Role
from core.authz import require
from core.calendar import local_day
from core.errors import ValidationFailed
from core.extensions import db
from repairs.models import RepairPrice, RepairUnit

DEFAULT_MODEL = "*"   # the price of every model without a line of its own
MAX_PRICE = Decimal("100000000")
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def price_in_force(model: str, day: date) -> RepairPrice | None:
    """The price-list row for ``model`` in force on ``day`` (the model's own line, else "*").

    Of two rows from the same day the newer one (a notice's) is in force.
    """
    for key in (model, DEFAULT_MODEL):
        row = db.session.scalar(
            select(RepairPrice).where(RepairPrice.model == key, RepairPrice.effective_from <= day)
            .order_by(RepairPrice.effective_from.desc(), RepairPrice.id.desc()).limit(1)
        )
        if row is not None:
            return row
    return None


def own_price_in_force(model: str, day: date) -> RepairPrice | None:
    """Like :func:`price_in_force`, without falling back to the "*" line."""
    row = price_in_force(model, day)
    return row if row is not None and row.model == model else None


def parse_amount(value, field: str = "amount") -> Decimal:
    """An amount of money to the cent; a 422 naming ``field`` when it is not a number."""
    try:
        amount = Decimal(str(value).strip()).quantize(CENT)
    except (InvalidOperation, ValueError):
        raise ValidationFailed(_("Not a valid amount."), errors={field: [_("Not a number.")]}) from None
    if not amount.is_finite() or abs(amount) >= MAX_PRICE:
        raise ValidationFailed(_("Not a valid amount."), errors={field: [_("Out of range.")]})
    return amount


def ensure_supervisor(actor) -> None:
    """Raise Forbidden unless ``actor`` may change prices (the supervisor, or SYSTEM)."""
    require(actor, Role.SUPERVISOR, message=_("Only the supervisor changes prices."))


def add_price(actor, *, model: str, effective_from: date, amount, notice: str = "") -> RepairPrice:
    """Add a price-list line for ``model`` ("*" for every model) from ``effective_from``."""
    ensure_supervisor(actor)
    model = (model or "").strip()
    if not model or effective_from is None:
        raise ValidationFailed(_("Model and date are required."), errors={"model": [_("Required.")]})
    value = parse_amount(amount)
    if value < 0:
        raise ValidationFailed(_("A price cannot be negative."), errors={"amount": [_("Negative.")]})
    row = RepairPrice(model=model, effective_from=effective_from, amount=value, notice=(notice or "")[:200])
    db.session.add(row)
    db.session.flush()
    return row


PRICE_COLUMNS = sheets.Columns(
    aliases={
        "model": ("model", "型号", "产品型号", "机型"),
        "effective_from": ("effective from", "in force from", "from", "date", "生效日期", "执行日期", "日期"),
        "amount": ("amount", "price", "price (rmb)", "价格", "维修价格", "维修费", "金额", "单价"),
        "notice": ("notice", "note", "通知", "备注", "说明"),
    },
    required=("model", "effective_from", "amount"))


def import_price_list(actor, content: bytes, filename: str = "") -> list[RepairPrice]:
    """Add the lines of a price-list file (CSV or XLSX: model, in force from, price, notice); all or none.

    Only the supervisor changes prices. Every bad line is named by its file
    line (the first 50 and the total): a missing model, a day that is not a
    day, a price that is not an amount of 0 or more with at most two decimals,
    a model priced twice from the same day in the file or already in the list.
    """
    ensure_supervisor(actor)
    table = sheets.read_table(content, filename, PRICE_COLUMNS)
    problems: list[tuple[int, str]] = []
    plan: list[tuple[int, str, date, Decimal, str]] = []
    for row in table.rows:
        n, model = row.line, row["model"]
        if not model or len(model) > 80:
            problems.append((n, _("Line %(n)s: the model is missing or longer than 80 characters.", n=n)))
            continue
        try:
            day = sheets.as_date(row["effective_from"])
        except ValueError:
            problems.append((n, _("Line %(n)s: %(d)s is not a day (use YYYY-MM-DD).", n=n, d=row["effective_from"])))
            continue
        try:
            amount = sheets.as_decimal(row["amount"])
            if amount < 0 or amount >= MAX_PRICE or amount != amount.quantize(CENT):
                raise ValueError
        except ValueError:
            problems.append((n, _("Line %(n)s: the price %(a)s is not an amount of 0 or more with at most two "
                                  "decimals.", n=n, a=row["amount"])))
            continue
        plan.append((n, model, day, amount.quantize(CENT), row["notice"][:200]))
    existing = {(m, d) for m, d in db.session.execute(
        select(RepairPrice.model, RepairPrice.effective_from)
        .where(RepairPrice.model.in_({model for _n, model, _d, _a, _t in plan})))} if plan else set()
    seen: dict[tuple[str, date], int] = {}
    for n, model, day, _amount_, _notice in plan:
        if (model, day) in seen:
            problems.append((n, _("Line %(n)s: %(m)s from %(d)s is already on line %(o)s.", n=n, m=model,
                                  d=day.isoformat(), o=seen[(model, day)])))
        elif (model, day) in existing:
            problems.append((n, _("Line %(n)s: %(m)s already has a price from %(d)s.", n=n, m=model,
                                  d=day.isoformat())))
        seen.setdefault((model, day), n)
    if problems:
        raise sheets.refuse(_("The price list has %(n)s bad lines; nothing was imported.", n=len(problems)), problems)
    return [add_price(actor, model=model, effective_from=day, amount=amount, notice=notice)
            for _n, model, day, amount, notice in plan]


def _rows_in_force(models) -> list[RepairPrice]:
    """Per model and day, the row in force from that day (the newest of rows from the same day)."""
    newest = (select(func.max(RepairPrice.id)).where(RepairPrice.model.in_(models))
              .group_by(RepairPrice.model, RepairPrice.effective_from))
    return list(db.session.scalars(select(RepairPrice).where(RepairPrice.id.in_(newest))
                                   .order_by(RepairPrice.model, RepairPrice.effective_from)))


def apply_price_notice(actor, *, effective_from: date, delta, notice: str) -> list[RepairPrice]:
    """A dated notice changing every repair price by ``delta`` (e.g. -10) from a day on.

    It changes the row in force on ``effective_from`` (a new row from that day)
    and every row dated after it (a new row from the same day as each), so a
    price already listed for a later day is changed too. Prices never go below
    0. Quotes made before keep their row.
    """
    ensure_supervisor(actor)
    value = parse_amount(delta, "delta")
    if effective_from is None:
        raise ValidationFailed(_("Give the date as YYYY-MM-DD."), errors={"effective_from": [_("Required.")]})
    models = sorted(set(db.session.scalars(select(RepairPrice.model).distinct())))
    if not models:
        raise ValidationFailed(_("The price list is empty."), errors={"delta": [_("Nothing to change.")]})
    targets: list[RepairPrice] = []
    for model in models:
        current = own_price_in_force(model, effective_from)
        if current is not None:
            targets.append(current)
    targets += [row for row in _rows_in_force(models) if row.effective_from > effective_from]
    rows = []
    for row in targets:
        day = max(row.effective_from, effective_from)
        rows.append(add_price(actor, model=row.model, effective_from=day, amount=max(ZERO, row.amount + value),
                              notice=notice))
    return rows


def price_list() -> list[RepairPrice]:
    """Every price-list row, by model and day, oldest first; a row a newer row from the same day
    (a notice) replaced is kept for the record and marked ``replaced``."""
    rows = list(db.session.scalars(select(RepairPrice).order_by(RepairPrice.model, RepairPrice.effective_from,
                                                                RepairPrice.id)))
    newest: dict[tuple[str, date], int] = {}
    for row in rows:
        newest[(row.model, row.effective_from)] = row.id  # ordered by id within a day: the last wins
    for row in rows:
        row.replaced = newest[(row.model, row.effective_from)] != row.id
    return rows


# --------------------------------------------------------------------------- quotes

def quote_day(unit: RepairUnit) -> date | None:
    """The day whose prices a unit's quote uses: its parcel's arrival, else its own receipt."""
    arrived = unit.parcel.arrived_at or unit.received_at
    return local_day(arrived) if arrived is not None else None


def quote_for(unit: RepairUnit, day: date | None = None) -> RepairPrice | None:
    """The price-list row a paid repair of ``unit`` is quoted from (None: no price listed)."""
    day = day or quote_day(unit)
    return price_in_force(unit.model, day) if day is not None else None


def price_difference(model: str, substitute: str, day: date) -> Decimal | None:
    """What a ``substitute`` model costs more (or less) than ``model`` on the list on ``day``.

    None when either model has no line of its own: the "*" line says nothing
    about the difference between two models.
    """
    old, new = own_price_in_force(model, day), own_price_in_force(substitute, day)
    if old is None or new is None:
        return None
    return new.amount - old.amount


def waived_values(unit: RepairUnit, reason: str) -> dict:
    """The unit's columns for a waived charge: quote 0 with the reason (nothing if it had no quote)."""
    if unit.quote_amount is None:
        return {}
    return {"quote_amount": ZERO, "quote_waived_reason": (reason or "").strip()[:200]}
