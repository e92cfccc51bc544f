"""What the dealer gets (B.4, B.5): purchasing's outcomes and the replacement shipment, or the
refund's approvals and credit."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from core.calendar import add_working_days, local_day
from core.codes import normalise_serial
from core.errors import ValidationFailed
from core.extensions import db
from core.types import utcnow
from doa import states as st
from doa.models import DoaApplication
from doa.service import (
    REPLACEMENT_DAYS,
    SERIAL_RE,
    WORKFLOW,
    _claim,
    _money,
    _transition,
    _who,
    ensure_access,
    require_role,
)
from shipments import service as shipments

REFUND_CURRENCIES = ("CNY", "HKD", "TWD", "USD")
DEFAULT_CURRENCY = "CNY"
MAX_REFUND = Decimal("9999999999.99")  # what Numeric(12, 2) holds
OUTCOMES = ("repaired", "swapped")


def record_purchasing(actor, app: DoaApplication, outcomes, *, note: str = "",
                      at: datetime | None = None) -> DoaApplication:
    """Purchasing repaired or swapped each unit (B.4); swapped ones name the new serial.

    ``outcomes``: ``[{"serial", "outcome": "repaired"|"swapped", "replacement_serial"?}]``
    covering every unit that arrived. The faulty and replacement serials stay linked.
    """
    require_role(actor, *st.ACTION_ROLES["purchasing_done"])
    ensure_access(actor, app.office_id)
    WORKFLOW.require(app, "purchasing_done")
    arrived = {u.serial: u for u in app.units if u.arrived_at is not None}
    errors: dict = {}
    given: dict[str, dict] = {}
    for index, raw in enumerate(outcomes or []):
        if not isinstance(raw, dict):
            errors[f"units.{index}"] = [_("Each line needs a serial and an outcome.")]
            continue
        serial = normalise_serial(raw.get("serial"))
        outcome = raw.get("outcome")
        replacement = normalise_serial(raw.get("replacement_serial"))
        if serial not in arrived:
            errors[f"units.{index}"] = [_("%(s)s is not a unit received on this application.", s=serial or "—")]
            continue
        if serial in given:
            errors[f"units.{index}"] = [_("%(s)s is listed twice.", s=serial)]
            continue
        if outcome not in OUTCOMES:
            errors[f"units.{index}.outcome"] = [_("Repaired or swapped.")]
            continue
        if outcome == "swapped":
            if not replacement:
                errors[f"units.{index}.replacement_serial"] = [_("A swapped unit needs the replacement's serial.")]
                continue
            if not SERIAL_RE.match(replacement):
                errors[f"units.{index}.replacement_serial"] = [_("Not a valid serial.")]
                continue
            if replacement == serial:
                errors[f"units.{index}.replacement_serial"] = [_("Must differ from the faulty unit's serial.")]
                continue
        elif replacement:
            errors[f"units.{index}.replacement_serial"] = [_("Only a swapped unit has a replacement serial.")]
            continue
        given[serial] = {"outcome": outcome, "replacement_serial": replacement or None}
    missing = sorted(set(arrived) - set(given))
    if missing and not errors:
        errors["units"] = [_("Give the outcome of every received unit; missing: %(s)s.", s=", ".join(missing))]
    replacements = [v["replacement_serial"] for v in given.values() if v["replacement_serial"]]
    if len(replacements) != len(set(replacements)):
        errors.setdefault("units", []).append(_("The same replacement serial is given twice."))
    if errors:
        raise ValidationFailed(_("The purchasing outcome has invalid lines."), errors=errors)
    now = at or utcnow()
    _transition(actor, app, "purchasing_done", note=note, at=now, purchasing_by=_who(actor)[1], purchasing_at=now,
                data={"units": {s: v for s, v in sorted(given.items())}})
    for serial, value in given.items():
        unit = arrived[serial]
        unit.outcome = value["outcome"]
        unit.replacement_serial = value["replacement_serial"]
    db.session.flush()
    return app


def ship_replacement(actor, app: DoaApplication, *, carrier: str, waybill: str, freight_cost=None,
                     shipped_at=None, note: str = "", at: datetime | None = None) -> DoaApplication:
    """The finished-goods store shipped the replacement separately and reported its waybill (B.4).

    Recorded as an fg_dealer shipment paid by the sales account, with the
    outgoing serials (the repaired unit, or the swapped-in new one).
    """
    require_role(actor, *st.ACTION_ROLES["ship_replacement"])
    ensure_access(actor, app.office_id)
    WORKFLOW.require(app, "ship_replacement")
    _claim(app, "ship_replacement")
    errors = {}
    if not (waybill or "").strip():
        errors["waybill"] = [_("The finished-goods store's waybill is required.")]
    if not (carrier or "").strip():
        errors["carrier"] = [_("Required.")]
    if errors:
        raise ValidationFailed(_("The shipment has invalid fields."), errors=errors)
    cost = _money(freight_cost, "freight_cost")
    lines = [{"kind": "unit", "serial": u.outgoing_serial, "model": u.model, "ref_type": "doa_unit", "ref_id": u.id}
             for u in app.units if u.outgoing_serial]
    shipment = shipments.create_shipment(
        actor, leg="fg_dealer", paying_account="sales", dealer_id=app.dealer_id, lines=lines, freight_cost=cost,
        note=_("DOA %(n)s: replacement, freight to the sales account", n=app.number),
    )
    shipments.mark_shipped(actor, shipment, waybill=waybill, carrier=carrier, shipped_at=shipped_at)
    now = at or utcnow()
    _transition(actor, app, "ship_replacement", note=note, at=now, replacement_shipment_id=shipment.id,
                replacement_shipped_at=shipment.shipped_at,
                data={"shipment": shipment.number, "waybill": shipment.waybill})
    return app


REFUND_STEPS = {"product": ("refund_product_approve", "refund_product_refuse"),
                "finance": ("refund_finance_approve", "refund_finance_refuse")}


def refund_decide(actor, app: DoaApplication, department: str, decision: str, reason: str = "",
                  at: datetime | None = None) -> DoaApplication:
    """Product, then finance, approve or refuse the refund (B.6); a refusal needs a reason."""
    if department not in REFUND_STEPS:
        raise ValidationFailed(_("Unknown department."), errors={"department": [_("Product or finance.")]})
    if decision not in ("approve", "refuse"):
        raise ValidationFailed(_("Approve or refuse."), errors={"decision": [_("Approve or refuse.")]})
    action = REFUND_STEPS[department][0 if decision == "approve" else 1]
    require_role(actor, *st.ACTION_ROLES[action])
    reason = (reason or "").strip()[:500]
    if decision == "refuse" and not reason:
        raise ValidationFailed(_("Give the reason for the refusal."), errors={"reason": [_("Required to refuse.")]})
    now = at or utcnow()
    values = {}
    if decision == "approve":
        values = {f"refund_{department}_by": _who(actor)[1], f"refund_{department}_at": now}
    else:
        values = {"closed_reason": reason}
    return _transition(actor, app, action, note=reason, at=now, **values)


def refund_money(amount, currency) -> tuple[Decimal, str]:
    """A refund's amount and currency checked: positive, at most 2 decimals; currency default CNY.

    Raises ValidationFailed naming each bad field.
    """
    errors: dict = {}
    value = None
    if amount is None or (isinstance(amount, str) and not amount.strip()):
        errors["amount"] = [_("The refund amount is required.")]
    elif isinstance(amount, bool):
        errors["amount"] = [_("Not a number.")]
    else:
        try:
            value = Decimal(str(amount).strip())
        except (InvalidOperation, ValueError):
            errors["amount"] = [_("Not a number.")]
        else:
            if not value.is_finite():
                errors["amount"] = [_("Not a number.")]
            elif value <= 0:
                errors["amount"] = [_("The refund amount must be more than 0.")]
            elif value.as_tuple().exponent < -2 and value != value.quantize(Decimal("0.01")):
                errors["amount"] = [_("At most 2 decimals.")]
            elif value > MAX_REFUND:
                errors["amount"] = [_("Out of range.")]
    code = (str(currency).strip().upper() if currency is not None else "") or DEFAULT_CURRENCY
    if code not in REFUND_CURRENCIES:
        errors["currency"] = [_("One of: %(s)s.", s=", ".join(REFUND_CURRENCIES))]
    if errors:
        raise ValidationFailed(_("The refund amount is not valid."), errors=errors)
    return value.quantize(Decimal("0.01")), code


def issue_credit(actor, app: DoaApplication, credit_number: str, note: str = "", at: datetime | None = None, *,
                 amount=None, currency: str | None = None) -> DoaApplication:
    """Commerce issues the sales return / credit (销售退单) for the refund's amount, after product and finance."""
    require_role(actor, *st.ACTION_ROLES["issue_credit"])
    number = (credit_number or "").strip()
    errors: dict = {}
    if not number or len(number) > 40:
        errors["credit_number"] = [_("1 to 40 characters.")]
    try:
        value, code = refund_money(amount, currency)
    except ValidationFailed as err:
        errors.update(err.errors)
    if errors:
        message = (_("The sales return / credit number is required.") if "credit_number" in errors
                   else _("The refund amount is not valid."))
        raise ValidationFailed(message, errors=errors)
    now = at or utcnow()
    return _transition(actor, app, "issue_credit", note=note, at=now, credit_number=number, credit_by=_who(actor)[1],
                       credit_at=now, refund_amount=value, refund_currency=code,
                       data={"credit_number": number, "amount": str(value), "currency": code})


def refund_totals(apps) -> dict[str, Decimal]:
    """Credited refunds summed per currency (a sum never mixes currencies)."""
    totals: dict[str, Decimal] = {}
    for app in apps:
        if app.credit_at is not None and app.refund_amount is not None:
            code = app.refund_currency or DEFAULT_CURRENCY
            totals[code] = totals.get(code, Decimal("0")) + app.refund_amount
    return dict(sorted(totals.items()))


def switch_to_replacement(actor, app: DoaApplication, note: str = "", at: datetime | None = None) -> DoaApplication:
    """After a refused refund the dealer takes a replacement instead; the 7 days run from now."""
    require_role(actor, *st.ACTION_ROLES["switch_to_replacement"])
    now = at or utcnow()
    _transition(actor, app, "switch_to_replacement", note=note, at=now, request="replacement",
                replacement_due=add_working_days(local_day(now), REPLACEMENT_DAYS))
    return app
