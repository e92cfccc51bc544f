"""What may be decided for a unit held at intake, and what each decision records on the unit.

A unit whose model is no longer stocked (已无库存, manual 2.1.2) is not simply
repaired: the dealer chooses a substitute model (sent instead, with the price
difference from the price list, if any), a credit note (with its amount), the
unit back as is, or the repair anyway. Other held units (human damage, out of
warranty) are repaired, returned as is or scrapped with the dealer's consent.
A dispute goes to the supervisor, who settles it with the same choices; a
repair the supervisor settles for the dealer is free (the quote is waived),
"repair_paid" keeps the quote.
"""
from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.calendar import local_today
from core.errors import ValidationFailed
from repairs import prices
from repairs.models import RepairUnit

# decision -> unit action (None: the task has no unit step)
TASK_DECISIONS = {
    "repair": "dealer_repair", "return": "dealer_return", "scrap": "dealer_scrap",
    "substitute": "dealer_substitute", "credit": "dealer_credit",
    "agreed": None, "dispute": "dispute",
}
SETTLEMENTS = {
    "repair": "settle_repair", "repair_paid": "settle_repair", "return": "settle_return", "scrap": "settle_scrap",
    "substitute": "settle_substitute", "credit": "settle_credit", "agreed": None,
}
NO_STOCK_DECISIONS = ("substitute", "credit", "return", "repair")
HELD_DECISIONS = ("repair", "return", "scrap")
TERMS = ("substitute_model", "price_difference", "credit_amount")

DECISION_LABELS = {
    "repair": _l("repair (paid repair accepted)"),
    "repair_paid": _l("repair, the dealer pays the quote"),
    "return": _l("return as is"),
    "scrap": _l("scrap (dealer consents)"),
    "substitute": _l("substitute model"),
    "credit": _l("credit note"),
    "agreed": _l("agreed"),
    "dispute": _l("dealer disputes → supervisor"),
}
# The same decision worded for the unit it is about.
NO_STOCK_REPAIR = _l("repair anyway (the model is no longer stocked)")
FREE_REPAIR = _l("repair free of charge (the quote is waived)")
PLAIN_REPAIR = _l("repair")


def decision_label(decision: str | None) -> str:
    """A decision in the reader's language."""
    return str(DECISION_LABELS.get(decision, decision or ""))


def choice_labels(unit: RepairUnit, settled: bool = False) -> list[tuple[str, str]]:
    """The decisions open for a held ``unit`` with the words a form offers them in."""
    out = []
    for decision in (settlement_choices(unit) if settled else choices(unit)):
        label = decision_label(decision)
        if decision == "repair":
            if settled and unit.quote_amount is not None:
                label = str(FREE_REPAIR)
            elif unit.no_stock:
                label = str(NO_STOCK_REPAIR)
            elif settled or unit.quote_amount is None:
                label = str(PLAIN_REPAIR)
        out.append((decision, label))
    return out


def choices(unit: RepairUnit) -> tuple[str, ...]:
    """The decisions open for a held ``unit`` (besides a dispute)."""
    if unit.no_stock:
        # Scrapping stays open when the unit also has a finding the dealer pays for.
        extra = ("scrap",) if unit.human_damage or unit.out_of_warranty else ()
        return NO_STOCK_DECISIONS + extra
    return HELD_DECISIONS


def settlement_choices(unit: RepairUnit) -> tuple[str, ...]:
    """The supervisor's choices for a disputed ``unit``: a paid repair only where there is a quote."""
    paid = ("repair_paid",) if unit.quote_amount is not None else ()
    return choices(unit) + paid


def _refuse(message: str, field: str, detail: str) -> ValidationFailed:
    return ValidationFailed(message, errors={field: [detail]})


def unit_values(unit: RepairUnit, decision: str, *, settled: bool = False, note: str = "",
                substitute_model: str | None = None, price_difference=None, credit_amount=None) -> tuple[dict, dict]:
    """The columns ``decision`` writes on a held ``unit`` and the history's data for it.

    Every wrong combination is a 422 naming the field: a decision the unit does
    not offer, a substitute without its model (or the same model), a credit
    without a positive amount, or terms given for a decision without them.
    """
    allowed = settlement_choices(unit) if settled else choices(unit)
    if decision not in allowed:
        names = ", ".join(decision_label(d) for d in allowed)
        raise _refuse(_("For unit %(s)s choose one of: %(c)s.", s=unit.serial, c=names), "decision",
                      _("Choose one of: %(c)s.", c=", ".join(allowed)))
    given = {"substitute_model": (substitute_model or "").strip(),
             "price_difference": "" if price_difference is None else str(price_difference).strip(),
             "credit_amount": "" if credit_amount is None else str(credit_amount).strip()}
    needs = {"substitute": ("substitute_model", "price_difference"), "credit": ("credit_amount",)}.get(decision, ())
    for term in TERMS:
        if given[term] and term not in needs:
            raise _refuse(_("%(t)s is only given with a substitute model or a credit note.", t=term), term,
                          _("Not expected."))
    values: dict = {"dealer_decision": "repair" if decision == "repair_paid" else decision}
    data: dict = {"decision": decision}
    if decision == "substitute":
        model = given["substitute_model"]
        if not model or len(model) > 80:
            raise _refuse(_("Name the model sent instead (at most 80 characters)."), "substitute_model",
                          _("Required."))
        if model.casefold() == (unit.model or "").strip().casefold():
            raise _refuse(_("The substitute must be a different model from %(m)s.", m=unit.model),
                          "substitute_model", _("Same as the unit's model."))
        if given["price_difference"]:
            difference = prices.parse_amount(given["price_difference"], "price_difference")
        else:
            difference = prices.price_difference(unit.model, model, prices.quote_day(unit) or local_today())
        values.update(substitute_model=model, price_difference=difference)
        data.update(substitute_model=model, price_difference=None if difference is None else str(difference))
    elif decision == "credit":
        if not given["credit_amount"]:
            raise _refuse(_("A credit note needs its amount."), "credit_amount", _("Required."))
        amount = prices.parse_amount(given["credit_amount"], "credit_amount")
        if amount <= Decimal(0):
            raise _refuse(_("A credit note is for an amount above 0."), "credit_amount", _("Must be above 0."))
        values["credit_amount"] = amount
        data["credit_amount"] = str(amount)
    if settled and decision == "repair" and unit.quote_amount is not None:
        reason = (note or "").strip() or _("Settled for the dealer by the supervisor: repaired free of charge.")
        values.update(prices.waived_values(unit, reason))
        data.update(quote_waived=str(unit.quote_amount), quote_waived_reason=values["quote_waived_reason"])
    return values, data
