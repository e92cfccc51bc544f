"""Inspecting a received unit: findings that hold it for the dealer, or on to the factory."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm.attributes import set_committed_value

from core import authz
from core.calendar import local_day
from core.i18n import N_, message, message_list
from core.types import utcnow
from repairs import clocks, prices
from repairs import states as st
from repairs.dealer_tasks import _open_task
from repairs.models import RepairUnit
from repairs.service import HANDS, PAID_FINDINGS, _check_access, _route

# --------------------------------------------------------------------------- inspection and tasks

def inspect_unit(actor, unit: RepairUnit, *, human_damage: bool = False, no_stock: bool = False,
                 out_of_warranty: bool = False, note: str = "", route_code: str | None = None,
                 at: datetime | None = None) -> RepairUnit:
    """CS acceptance (验收) of a received unit.

    Findings (human damage 人为损坏, model no longer stocked 已无库存, out of
    warranty) hold the unit for the dealer's decision and open a dealer-contact
    task due today; paid repairs get a quote from the price in force on the
    day the parcel arrived (:func:`repairs.prices.quote_for`).
    The dealer promise (route.promise_days working days) runs from this
    acceptance; a finding pauses it until the dealer (or the supervisor) decides
    (:mod:`repairs.clocks`).
    """
    authz.require(actor, *HANDS)
    _check_access(actor, unit.parcel.office_id)
    now = at or utcnow()
    day = local_day(now)
    route = _route(route_code) if route_code else unit.route
    findings = [name for name, flag in (("human_damage", human_damage), ("no_stock", no_stock),
                                        ("out_of_warranty", out_of_warranty)) if flag]
    values = {"inspected_at": now, "human_damage": bool(human_damage), "no_stock": bool(no_stock),
              "out_of_warranty": bool(out_of_warranty), "inspection_note": (note or "").strip()[:300],
              "route_id": route.id if route else None,
              "ship_due": clocks.promise_due(day, route),
              "promise_paused_on": day if findings else None}
    quote = None
    if any(f in PAID_FINDINGS for f in findings):
        quote = prices.quote_for(unit)
        values["quote_amount"] = quote.amount if quote else None
        values["quote_price_id"] = quote.id if quote else None
    action = "inspect_problem" if findings else "inspect_ok"
    st.WORKFLOW.apply(actor, unit, action, at=now, note=note, data={"findings": findings}, **values)
    set_committed_value(unit, "route", route)
    if findings:
        # Message ids, not words: the task is read later, in the reader's language.
        labels = {"human_damage": N_("human damage (人为损坏)"), "no_stock": N_("model no longer stocked (已无库存)"),
                  "out_of_warranty": N_("out of warranty")}
        words = [message_list([message(labels[f]) for f in findings])]
        if quote is not None:
            words.append(message(N_("paid repair quote %(a)s RMB"), a=str(quote.amount)))
        elif any(f in PAID_FINDINGS for f in findings):
            words.append(message(N_("no price on the list for this model")))
        kind = findings[0]
        _open_task(unit.parcel, unit, kind,
                   message(N_("Unit %(s)s: %(d)s."), s=unit.serial, d=message_list(words, sep=" · ")), now)
    return unit
