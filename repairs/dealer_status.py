"""What the dealer may see without logging in: a parcel by RMA number and phone digits, one unit's summary."""
from __future__ import annotations

import hmac
import re

from flask_babel import gettext as _
from sqlalchemy import select

from core.calendar import local_day
from core.extensions import db
from repairs import clocks, outcomes
from repairs import states as st
from repairs.models import RepairUnit, ReturnParcel
from shipments.models import Shipment

# --------------------------------------------------------------------------- dealer status (public)

def public_status(rma_number: str, phone_last4: str) -> ReturnParcel | None:
    """The parcel if the RMA number and the dealer phone's last four digits match; else None.

    Callers give every failure the same neutral answer so the page does not
    reveal which RMA numbers exist.
    """
    rma = (rma_number or "").strip().upper()
    last4 = (phone_last4 or "").strip()
    if not rma or not re.fullmatch(r"\d{4}", last4):
        return None
    parcel = db.session.scalar(select(ReturnParcel).where(ReturnParcel.rma_number == rma))
    if parcel is None or parcel.dealer is None or len(parcel.dealer.phone_last4) != 4:
        return None

    if not hmac.compare_digest(parcel.dealer.phone_last4, last4):
        return None
    return parcel


# While a unit waits for an answer no ship-back date is promised; the dealer sees who is to answer.
_WAITING = {st.AWAITING_DEALER: "dealer", st.DISPUTED: "supervisor"}
_NOTHING_COMES_BACK = frozenset({st.SCRAPPED, st.CREDITED, st.MISSING})


def dealer_summary(unit: RepairUnit) -> dict:
    """What a dealer may see about one unit: model, serial, state, dates, the decision and its money.

    No internals. While the unit waits for the dealer's decision (or the
    supervisor's) there is no "expected back" date, only who is to answer.
    """
    waiting = _WAITING.get(unit.state)
    labels = {"dealer": _("awaiting your decision"), "supervisor": _("awaiting our supervisor's decision")}
    no_date = waiting is not None or unit.state in _NOTHING_COMES_BACK
    # A unit on its way back: when it left, with which courier and waybill, instead of a promise.
    sent = (db.session.get(Shipment, unit.return_shipment_id)
            if unit.state == st.SHIPPED and unit.return_shipment_id is not None else None)
    if sent is not None and sent.status == "packed":
        sent = None
    return {"serial": unit.serial, "model": unit.model, "state": unit.state,
            "state_label": st.state_label(unit.state), "replacement_serial": unit.replacement_serial,
            "ship_due": None if no_date or unit.state == st.SHIPPED else unit.ship_due,
            "shipped_at": unit.shipped_at,
            "shipped_on": (local_day(sent.shipped_at) if sent is not None and sent.shipped_at
                           else local_day(unit.shipped_at) if unit.state == st.SHIPPED and unit.shipped_at else None),
            "carrier": sent.carrier if sent is not None else None,
            "waybill": sent.waybill if sent is not None else None,
            "waiting_on": waiting, "waiting_label": labels[waiting] if waiting else None,
            # The promise's clock stands still while the case waits: since when (repairs.clocks).
            "paused_since": unit.promise_paused_on if unit.state in clocks.PAUSED_STATES else None,
            "decision": unit.dealer_decision,
            "decision_label": outcomes.decision_label(unit.dealer_decision) if unit.dealer_decision else None,
            "substitute_model": unit.substitute_model, "price_difference": unit.price_difference,
            "credit_amount": unit.credit_amount, "quote_amount": unit.quote_amount,
            "quote_waived_reason": unit.quote_waived_reason}
