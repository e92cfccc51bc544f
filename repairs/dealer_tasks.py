"""The dealer's tasks about a repair (missing or extra units, findings) and what their decisions do.

Registers the repairs process with the tasks page (:mod:`core.tasks.registry`).
"""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.calendar import local_day
from core.errors import ValidationFailed
from core.extensions import db
from core.tasks import registry as task_registry
from core.tasks import service as task_service
from core.tasks.models import Task
from repairs import clocks, outcomes
from repairs import states as st
from repairs.models import RepairUnit, ReturnParcel


def get_task(actor, task_id: int) -> Task:
    """The repairs task ``task_id`` if ``actor`` may see it."""
    return task_service.get_task(actor, task_id, process=PROCESS)


PROCESS = "repairs"
PARCEL, UNIT = "return_parcel", "repair_unit"


def _open_task(parcel: ReturnParcel, unit: RepairUnit | None, kind: str, detail: dict, now=None) -> Task:
    """A "contact the dealer today" task about ``unit`` of ``parcel``; ``detail`` a :func:`core.i18n.message`."""
    return task_service.open_task(PROCESS, kind, detail, case=(PARCEL, parcel.id),
                                  subject=(UNIT, unit.id) if unit else None, dealer_id=parcel.dealer_id,
                                  office_id=parcel.office_id, at=now)


def task_parcel(task: Task) -> ReturnParcel:
    """The return parcel a repairs task belongs to."""
    return db.session.get(ReturnParcel, task.case_id)


def task_unit(task: Task) -> RepairUnit | None:
    """The unit a repairs task is about (None for a task about the parcel as a whole)."""
    return db.session.get(RepairUnit, task.subject_id) if task.subject_type == UNIT else None


def parcel_tasks(parcel: ReturnParcel) -> list[Task]:
    """Every task of one parcel, oldest first."""
    return task_service.about(case=(PARCEL, parcel.id))


def unit_tasks(unit: RepairUnit) -> list[Task]:
    """Every task about one unit, oldest first."""
    return task_service.about(subject=(UNIT, unit.id))


TASK_DECISIONS = outcomes.TASK_DECISIONS
SETTLEMENTS = outcomes.SETTLEMENTS


def _decide_task(actor, task: Task, decision: str, note: str, settling: bool, terms: dict):
    """What the dealer's answer (or the supervisor's settlement) does to the unit the task holds.

    Answers for a held unit: ``repair`` (paid repair accepted), ``return`` (send it
    back as is), ``scrap`` (dealer consents), or ``dispute`` (to the supervisor); a
    unit whose model is no longer stocked offers ``substitute`` (``terms``:
    substitute_model, price_difference) and ``credit`` (credit_amount) instead of
    scrap (:mod:`repairs.outcomes`). For missing / extra units: ``agreed`` or
    ``dispute``. Settling ``repair`` of a quoted unit waives the charge
    (``repair_paid`` keeps it). The answer (or settlement) ends the pause of the
    unit's clocks: their due days move on by the working days the case waited
    (a dispute keeps them paused).
    """
    unit = task_unit(task)
    if settling:
        held = unit is not None and unit.state == st.DISPUTED
        if held == (decision == "agreed"):
            raise ValidationFailed(_("Choose repair, return or scrap for a held unit, agreed otherwise."),
                                   errors={"decision": [_("Not valid for this task.")]})
        if held:
            values, data = outcomes.unit_values(unit, decision, settled=True, note=note, **terms)
        elif any(terms.get(t) not in (None, "") for t in outcomes.TERMS):
            raise ValidationFailed(_("This task has no unit waiting for a decision."),
                                   errors={"decision": [_("Agreed or dispute.")]})
        action = SETTLEMENTS[decision]
    else:
        held = unit is not None and unit.state == st.AWAITING_DEALER
        if held and decision == "agreed":
            raise ValidationFailed(_("Say what the dealer wants: %(c)s.",
                                     c=", ".join(outcomes.decision_label(d) for d in outcomes.choices(unit))),
                                   errors={"decision": [_("Choose one of: %(c)s.",
                                                          c=", ".join(outcomes.choices(unit) + ("dispute",)))]})
        if not held and decision not in ("agreed", "dispute"):
            raise ValidationFailed(_("This task has no unit waiting for a decision."),
                                   errors={"decision": [_("Agreed or dispute.")]})
        if (not held or decision == "dispute") and any(terms.get(t) not in (None, "") for t in outcomes.TERMS):
            raise ValidationFailed(_("A substitute model or a credit amount goes with that decision only."),
                                   errors={t: [_("Not expected.")] for t in outcomes.TERMS if terms.get(t)})
        if held and decision == "dispute":
            values, data = {"dealer_decision": None}, {"decision": decision}
        elif held:
            values, data = outcomes.unit_values(unit, decision, note=note, **terms)
        action = TASK_DECISIONS[decision]
    if not held:
        return None

    def effect(now: datetime) -> None:
        resumed = values if decision == "dispute" else {**values, **_resume_clocks(unit, local_day(now))}
        st.WORKFLOW.apply(actor, unit, action, note=note, at=now, data=data, **resumed)
    return effect


def _task_choices(task: Task, settling: bool) -> task_registry.Choices:
    """The decisions the tasks page offers for a repairs task now."""
    unit = task_unit(task)
    held = unit is not None and unit.state == (st.DISPUTED if settling else st.AWAITING_DEALER)
    options = outcomes.choice_labels(unit, settling) if held else [("agreed", outcomes.decision_label("agreed"))]
    if not settling:
        options = [*options, ("dispute", outcomes.decision_label("dispute"))]
    return task_registry.Choices(options, outcomes.TERMS if held and unit.no_stock else ())


def _describe_task(task: Task) -> task_registry.Subject:
    parcel = task_parcel(task)
    unit = task_unit(task)
    label = parcel.rma_number + (f" · {unit.serial}" if unit is not None else "")
    return task_registry.Subject(label, f"/repairs/parcels/{parcel.rma_number}")


def _resume_clocks(unit: RepairUnit, day: date) -> dict:
    """Values ending the unit's pause on ``day``: CS's due days pushed by the working days paused."""
    if unit.promise_paused_on is None:
        return {}
    paused = clocks.paused_working_days(unit.promise_paused_on, day)
    return {"promise_paused_on": None, "paused_days": (unit.paused_days or 0) + paused,
            "ship_due": clocks.resumed(unit.ship_due, paused),
            "dispatch_due": clocks.resumed(unit.dispatch_due, paused)}


TASK_KIND_LABELS = {
    "missing": _l("unit on the list but not in the parcel"),
    "extra": _l("unit in the parcel but not on the list"),
    "human_damage": _l("human damage"),
    "no_stock": _l("model no longer stocked"),
    "out_of_warranty": _l("out of warranty"),
}
# A missing or extra unit is only agreed (or disputed); a finding holds the unit for the dealer's decision.
_LIST_KINDS = ("missing", "extra")

task_registry.register_process(task_registry.TaskProcess(
    name=PROCESS, label=_l("Repairs"),
    kinds={kind: task_registry.TaskKind(label, ("agreed", "dispute"), ("agreed",)) if kind in _LIST_KINDS
           else task_registry.TaskKind(label, tuple(TASK_DECISIONS), tuple(SETTLEMENTS))
           for kind, label in TASK_KIND_LABELS.items()},
    resolution_labels=outcomes.DECISION_LABELS, decide=_decide_task, choices=_task_choices, describe=_describe_task,
    records={PARCEL: ReturnParcel, UNIT: RepairUnit},
    term_labels={"substitute_model": _l("Substitute model"),
                 "price_difference": _l("Price difference (RMB; empty: from the price list)"),
                 "credit_amount": _l("Credit amount (RMB)")},
))


def tasks(actor, *, status: str | None = "open"):
    """Select statement of repairs tasks the actor may see, earliest due first."""
    return task_service.tasks(actor, process=PROCESS, status=status)


def tasks_page(actor, *, status: str | None = "open", after=None, per_page=task_service.TASK_PER_PAGE):
    """One page of :func:`tasks` after the cursor ``after`` (earliest due first)."""
    return task_service.tasks_page(actor, process=PROCESS, status=status, after=after, per_page=per_page)
