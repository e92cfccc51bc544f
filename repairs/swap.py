"""Vendor-managed units (Maxell, DOMAIN D, manual 5.2.1): swapped from the vendor pool, not repaired.

A unit of a return parcel whose model is a vendor-managed part's (``Part.model``, or its
SKU) is not sent to the factory: once accepted at inspection CS swaps it. The dealer gets a
good unit from the vendor pool (the factory shipping dept, :func:`inventory.vendor.pool_location`)
on a ``factory_dealer`` shipment, the ledger moves it pool -> dealer, and the dealer's
defective joins the next monthly vendor batch (HQ's defective bin, picked up by
:func:`inventory.vendor.build_batch`). Then the pool's level is held against what it should
hold: what the last month's swaps used, the share of last month's sales that comes back for a
swap (``VENDOR_POOL_SALES_SHARE`` of the sales CS entered), and ``VENDOR_POOL_MINIMUM``; below
the largest of them purchasing gets one top-up task per part (manual 5.2.1: "CS asks
purchasing for spares in line with sales").
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from werkzeug.routing import BuildError

from core import authz
from core.calendar import add_working_days, local_day, month_before
from core.codes import normalise_code, normalise_serial
from core.directory.models import Department
from core.errors import Conflict, ValidationFailed
from core.extensions import db
from core.i18n import N_, message
from core.locking import hold_in_state, lock_row
from core.tasks import registry as task_registry
from core.tasks import service as task_service
from core.tasks.models import Task
from core.types import utcnow
from inventory import service as inventory
from inventory import vendor
from inventory.models import DEALER, Movement, Part
from repairs import states as st
from repairs.dealer_tasks import UNIT
from repairs.models import RepairUnit
from repairs.service import HANDS, _check_access
from shipments import service as shipments

SWAP = "vendor_swap"
# The ledger's reason for a good unit leaving the pool for a dealer on a swap.
SWAP_REASON = "vendor_swap"
# The top-up task: its own process on the shared task model, addressed to purchasing.
PROCESS = "vendor_pool"
TOPUP = "pool_topup"
PART = "inv_part"
PURCHASING = "purchasing"
# "What the last month's swaps used": the swaps of the last 30 days.
USAGE_DAYS = 30
# Below this many good units of a part the pool asks for more whatever the usage (setting VENDOR_POOL_MINIMUM).
DEFAULT_MINIMUM = 0
# The share of a month's sales expected back for a swap within a month (setting VENDOR_POOL_SALES_SHARE).
DEFAULT_SALES_SHARE = 0.02


def vendor_part_for(model: str | None) -> Part | None:
    """The active vendor-managed part a unit's model names: its ``model`` (case and outer spaces
    aside) or its SKU; None for every other model."""
    text = (model or "").strip()
    if not text:
        return None
    return db.session.scalar(
        select(Part).where(Part.vendor_managed.is_(True), Part.active.is_(True),
                           or_(func.lower(func.trim(Part.model)) == text.lower(), func.upper(Part.sku) == text.upper()))
        .order_by(Part.id).limit(1))


def _guard(unit: RepairUnit, action: str):
    """Only a vendor-managed model is swapped; the others go to the factory."""
    if action == SWAP and vendor_part_for(unit.model) is None:
        return (_("%(s)s (%(m)s) is not a vendor-managed model: it is repaired at the factory, not swapped.",
                  s=unit.serial, m=unit.model or "—"), {"code": "not_vendor_managed"})
    return None


# The repairs workflow with the swap's guard: the unit page asks it for its buttons.
WORKFLOW = st.WORKFLOW.guarded(_guard)


def pool_level(part: Part) -> int:
    """Good units of ``part`` in the vendor pool now (one balance read)."""
    return inventory.balance_of(vendor.pool_location().id, part.id)


def _pool_empty(part: Part, unit: RepairUnit) -> Conflict:
    return Conflict(_("No swap for %(s)s: the vendor pool (%(loc)s) holds no good unit of %(sku)s. Nothing was "
                      "changed: ask purchasing for spares, or send the unit to the factory.", s=unit.serial, loc=vendor.pool_location().code,
                      sku=part.sku), code="pool_empty", sku=part.sku)


def swap_unit(actor, unit: RepairUnit, *, good_serial: str | None = None, carrier: str | None = None,
              waybill: str | None = None, note: str = "", at: datetime | None = None) -> dict:
    """Swap an accepted vendor-managed unit: a good unit from the pool goes to the dealer.

    Posts the pool -> dealer movement (``good_serial``, or the first serial the pool holds, for
    serialized parts), books the defective into HQ's defective bin for the next vendor batch,
    packs a ``factory_dealer`` shipment (shipped at once with ``waybill`` and ``carrier``) and
    moves the unit to shipped with a "vendor_swap" event. A pool without a good unit is a 409
    and changes nothing; the second of two identical requests waits for the first and is a 409.
    Returns ``{"unit", "shipment", "good_serial", "movement", "topup_task"}``.
    """
    authz.require(actor, *HANDS)
    _check_access(actor, unit.parcel.office_id)
    note = (note or "").strip()
    waybill = normalise_code(waybill) or None
    if waybill and not (carrier or "").strip():
        raise ValidationFailed(_("Give the carrier with the waybill."), errors={"carrier": [_("Required.")]})
    good_serial = normalise_serial(good_serial) or None
    # Table and guard before anything is held or written (403, 409 in words).
    if SWAP not in WORKFLOW.table_actions(unit.state):
        raise WORKFLOW.invalid(unit, SWAP)
    problem = _guard(unit, SWAP)
    if problem is not None:
        raise Conflict(problem[0], current_state=unit.state, **problem[1])
    part = vendor_part_for(unit.model)
    # Hold the unit: a second identical request waits here, then finds it shipped (409) and posts nothing.
    if not hold_in_state(unit, st.INSPECTED, column="state"):
        raise WORKFLOW.invalid(unit, SWAP)
    pool = vendor.pool_location()
    if part.serialized:
        if good_serial is None:
            held = inventory.serials_at(pool.id, part.id)
            if not held:
                raise _pool_empty(part, unit)
            good_serial = held[0].serial
    elif good_serial:
        raise ValidationFailed(_("%(sku)s is counted in bulk; the good unit has no serial.", sku=part.sku),
                               errors={"good_serial": [_("Leave empty for bulk parts.")]})
    if pool_level(part) < 1:
        raise _pool_empty(part, unit)
    now = at or utcnow()
    ref = {"ref_type": UNIT, "ref_id": unit.id}
    try:
        out = inventory.post_movement(actor=actor, part=part, from_location=pool,
                                      to_location=inventory.system_location(DEALER), serial=good_serial,
                                      reason=SWAP_REASON, note=note or unit.parcel.rma_number, at=now, **ref)
    except ValidationFailed as err:
        if err.code == "insufficient_stock":
            raise _pool_empty(part, unit) from None
        raise
    # The defective joins the month's batch: HQ's defective bin is what build_batch sends.
    vendor.book_vendor_defective(actor, part, serial=unit.serial if part.serialized else None, **ref)
    line = {"kind": "unit", "serial": good_serial or unit.serial, "model": (part.model or unit.model)[:80], **ref}
    shipment = shipments.create_shipment(
        actor, leg="factory_dealer", carrier=carrier or None, lines=[line], dealer_id=unit.parcel.dealer_id,
        office_id=unit.parcel.office_id, note=_("Vendor pool swap: %(rma)s", rma=unit.parcel.rma_number))
    WORKFLOW.apply(actor, unit, SWAP, at=now, note=note, shipped_at=now, returned_at=now, outcome="swapped",
                   replacement_serial=good_serial, return_shipment_id=shipment.id,
                   data={"sku": part.sku, "good_serial": good_serial, "shipment": shipment.number,
                         "movement": out.id})
    if waybill:
        shipments.mark_shipped(actor, shipment, waybill=waybill, carrier=carrier, shipped_at=now, reported_at=now)
    return {"unit": unit, "shipment": shipment, "good_serial": good_serial, "movement": out,
            "topup_task": _ask_for_topup(part, now)}


# --------------------------------------------------------------------------- top-up

def pool_minimum() -> int:
    """The fewest good units of a part the pool should hold whatever the usage (``VENDOR_POOL_MINIMUM``)."""
    return int(current_app.config.get("VENDOR_POOL_MINIMUM", DEFAULT_MINIMUM) or 0)


def sales_share() -> float:
    """The share of a month's sales the pool should hold for swaps (``VENDOR_POOL_SALES_SHARE``)."""
    return float(current_app.config.get("VENDOR_POOL_SALES_SHARE", DEFAULT_SALES_SHARE) or 0)


def sales_need(part: Part, now: datetime | None = None) -> tuple[int | None, int]:
    """Last month's sales of ``part`` as CS entered them (None: not entered) and the good units they call for."""
    sold = vendor.sales_in(part, month_before(local_day(now or utcnow())))
    return sold, math.ceil((sold or 0) * sales_share())


def swaps_used(part: Part, now: datetime | None = None) -> int:
    """Good units of ``part`` the pool handed out on swaps in the last month (``USAGE_DAYS`` days)."""
    since = (now or utcnow()) - timedelta(days=USAGE_DAYS)
    return int(db.session.scalar(
        select(func.coalesce(func.sum(Movement.quantity), 0))
        .where(Movement.part_id == part.id, Movement.reason == SWAP_REASON, Movement.at >= since)) or 0)


def open_topup(part: Part) -> Task | None:
    """The top-up task of ``part`` still waiting for purchasing, if any."""
    return db.session.scalar(
        select(Task).where(Task.process == PROCESS, Task.kind == TOPUP, Task.subject_type == PART,
                           Task.subject_id == part.id, Task.status.in_(task_service.WAITING))
        .order_by(Task.id).limit(1))


def _ask_for_topup(part: Part, at: datetime | None = None) -> Task | None:
    """Open purchasing's top-up task when the pool's good stock of ``part`` is below what it should hold
    (last month's swaps, the share of last month's sales, the minimum), unless one is still open;
    the new task, or None."""
    now = at or utcnow()
    level, used, minimum = pool_level(part), swaps_used(part, now), pool_minimum()
    sold, by_sales = sales_need(part, now)
    target = max(used, minimum, by_sales, 1)
    if level >= target:
        return None
    # One open top-up per part: the part's row is held while checking, so two swaps at once open one.
    lock_row(Part, part.id)
    if open_topup(part) is not None:
        return None
    department = db.session.scalar(select(Department).where(Department.code == PURCHASING))
    want = target - level
    # Kept as a message and its values, so each reader sees it in their own language.
    detail = message(N_("Vendor pool: %(sku)s (%(model)s) has %(level)s good unit(s) left; %(used)s swapped in the "
                        "last %(days)s days, %(sold)s sold last month, minimum %(min)s. Please order %(want)s more "
                        "from the vendor."),
                     sku=part.sku, model=part.model or "—", level=level, used=used, days=USAGE_DAYS,
                     sold="—" if sold is None else sold, min=minimum, want=want)
    return task_service.open_task(PROCESS, TOPUP, detail, subject=(PART, part.id),
                                  department_id=department.id if department else None,
                                  due_on=add_working_days(local_day(now), 1), at=now)


def _decide_task(actor, task: Task, decision: str, note: str, settling: bool, terms: dict):
    """Purchasing's answer (ordered, or a dispute for the supervisor) changes no record of ours:
    the good units come in through the vendor batch check-in."""
    if any(value not in (None, "") for value in terms.values()):
        raise ValidationFailed(_("A top-up answer takes no terms."), errors={k: [_("Not expected.")] for k in terms})
    return None


def _task_choices(task: Task, settling: bool) -> task_registry.Choices:
    options = [("agreed", str(RESOLUTION_LABELS["agreed"]))]
    if not settling:
        options.append(("dispute", str(RESOLUTION_LABELS["dispute"])))
    return task_registry.Choices(options)


def _describe_task(task: Task) -> task_registry.Subject:
    part = db.session.get(Part, task.subject_id) if task.subject_type == PART else None
    label = f"{part.sku} · {part.model}" if part is not None else _("vendor pool")
    url = None
    if has_request_context():
        try:
            url = url_for("inventory.vendor_pool")
        except BuildError:  # the inventory pages not registered: no link, the SKU still says which
            url = None
    return task_registry.Subject(label, url)


RESOLUTION_LABELS = {"agreed": _l("spares ordered"), "dispute": _l("disputed")}

task_registry.register_process(task_registry.TaskProcess(
    name=PROCESS, label=_l("Vendor pool"),
    kinds={TOPUP: task_registry.TaskKind(_l("top up the vendor pool"), ("agreed", "dispute"), ("agreed",))},
    resolution_labels=RESOLUTION_LABELS, decide=_decide_task, choices=_task_choices, describe=_describe_task,
))
