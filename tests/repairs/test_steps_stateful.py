"""Repair and DOA steps in any order, each possibly twice: every step happens once or not at all.

A hypothesis state machine drives a dealer's parcel (receive, inspect, complete
the receipt, answer and settle dealer tasks, swap a vendor-managed unit from the vendor pool) and a DOA application (approve,
scan units, complete the receipt, hold unapproved units, decide holds, answer
tasks), repeating any step right after it was done (the double click, the
retried request). After each step:

- a repeated step is refused (409: InvalidTransition or Conflict) and writes nothing;
- each unit's and application's history is one chain of transitions ending in its
  current state; no unit is received twice; a receipt is completed once;
- a task is answered once and settled once; each missing unit has one task;
- a serial is held at most once at a time; a hold is decided once;
- every swap took exactly one good unit out of the vendor pool and booked one defective for the vendor;
- each unit's stored chase_due (the overdue list's order) is the earliest due day of its running clocks.
"""
from __future__ import annotations

from datetime import timedelta

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import func, select

from core.errors import Conflict, DomainError, InvalidTransition
from core.tasks import service as task_service
from tests.dbsetup import delete_used_rows

SERIALS = ["ST-U1", "ST-U2", "ST-U3"]
# A unit of a vendor-managed (Maxell) model: swapped from the vendor pool instead of going to the factory.
VENDOR_SERIALS = ["ST-M1"]
VENDOR_MODEL = "ST Maxell HDD"
DOA_SERIALS = ["ST-D1", "ST-D2"]
STRAYS = ["ST-H1", "ST-H2"]


def test_repair_and_doa_steps_in_any_order(app):
    from core.accounts.service import create_user, get_user
    from core.audit.models import AuditEntry
    from core.calendar import local_today
    from core.authz import SYSTEM
    from core.directory.models import Dealer, Factory, Office, RepairRoute, Vendor
    from core.extensions import db
    from core.tasks.models import Task
    from doa import applications, approvals, lookup, receipt
    from doa.models import DoaEvent, DoaHold
    from inventory import service as inventory
    from inventory import vendor
    from inventory.models import VENDOR, Movement, Part
    from repairs import clocks, factory, inspection, intake, receiving, service, swap
    from shipments.models import Shipment
    from repairs.models import RepairEvent, RepairUnit, ReturnParcel

    class Steps(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.ctx = app.app_context()
            self.ctx.push()
            db.session.remove()
            delete_used_rows(db)
            create_user("st-boss", "st-boss-pass", ["admin"])
            office = Office(code="STO", name="ST office", region="华北")
            db.session.add(office)
            db.session.flush()
            db.session.add(Dealer(code="ST-DEALER", name="ST dealer", phone="13800001111", office_id=office.id))
            factory = Factory(code="STF", name="ST factory")
            db.session.add(factory)
            db.session.flush()
            db.session.add(RepairRoute(code="STF", name="ST route", factory_id=factory.id, promise_days=7))
            boss = get_user("st-boss")
            maxell = Vendor(code="ST-MX", name="ST Maxell")
            db.session.add(maxell)
            db.session.flush()
            part = Part(sku="ST-MX-HDD", model=VENDOR_MODEL, vendor_managed=True, serialized=True,
                        vendor_id=maxell.id)
            db.session.add(part)
            db.session.flush()
            self.vendor_part_id = part.id
            inventory.post_movement(actor=SYSTEM, part=part, from_location=inventory.system_location(VENDOR),
                                    to_location=vendor.pool_location(), serial="ST-G1", reason="vendor_receipt")
            self.parcel_id = intake.create_parcel(boss, dealer_code="ST-DEALER", lines=[
                {"serial": s, "model": "ST-SSD"} for s in SERIALS]
                + [{"serial": s, "model": VENDOR_MODEL} for s in VENDOR_SERIALS]).id
            # The vendor unit starts accepted, so the swap (and its repeat) is reached in every run.
            for serial in VENDOR_SERIALS:
                receiving.receive_unit(boss, serial)
                inspection.inspect_unit(boss, service.unit_by_serial(serial))
            app_ = applications.create_application(boss, dealer_code="ST-DEALER", request="replacement",
                                          purchase_date=local_today() - timedelta(days=2), fault="dead",
                                          units=[{"serial": s, "model": "ST-SSD"} for s in DOA_SERIALS])
            self.doa_number = app_.number
            db.session.commit()
            self.last = None  # the previous step that was applied: (callable, name)

        def teardown(self):
            db.session.rollback()
            db.session.remove()
            self.ctx.pop()

        def boss(self):
            return get_user("st-boss")

        def parcel(self):
            return db.session.get(ReturnParcel, self.parcel_id)

        def doa_app(self):
            return lookup.application_by_number(self.doa_number)

        def apply(self, name, step):
            """Run ``step`` and commit; a refused step rolls back. Remember it for ``again``."""
            try:
                step()
            except DomainError:
                db.session.rollback()
                return False
            db.session.commit()
            self.last = (name, step)
            return True

        # --- repairs ------------------------------------------------------------------------

        @rule(serial=st.sampled_from(SERIALS + VENDOR_SERIALS))
        def receive(self, serial):
            self.apply(f"receive {serial}", lambda: receiving.receive_unit(self.boss(), serial))

        @rule(serial=st.sampled_from(SERIALS + VENDOR_SERIALS), damage=st.booleans())
        def inspect(self, serial, damage):
            def step():
                unit = service.unit_by_serial(serial)
                inspection.inspect_unit(self.boss(), unit, human_damage=damage)
            self.apply(f"inspect {serial}", step)

        @rule(serial=st.sampled_from(SERIALS))
        def dispatch(self, serial):
            self.apply(f"dispatch {serial}", lambda: factory.dispatch_to_factory(
                self.boss(), [service.unit_by_serial(serial)]))

        @rule(serial=st.sampled_from(SERIALS))
        def back_from_factory(self, serial):
            self.apply(f"back {serial}", lambda: factory.receive_from_factory(
                self.boss(), service.unit_by_serial(serial), "repaired"))

        @rule(serial=st.sampled_from(SERIALS))
        def ship(self, serial):
            self.apply(f"ship {serial}", lambda: factory.ship_to_dealer(self.boss(), [service.unit_by_serial(serial)]))

        @rule(serial=st.sampled_from(SERIALS + VENDOR_SERIALS))
        def vendor_swap(self, serial):
            self.apply(f"swap {serial}", lambda: swap.swap_unit(self.boss(), service.unit_by_serial(serial)))

        @rule()
        def complete_receipt(self):
            self.apply("complete receipt", lambda: receiving.complete_receipt(self.boss(), self.parcel()))

        @rule(index=st.integers(0, 5), decision=st.sampled_from(["agreed", "dispute", "repair", "return", "scrap"]))
        def resolve(self, index, decision):
            tasks = list(db.session.scalars(select(Task).where(Task.process == "repairs").order_by(Task.id)))
            if index < len(tasks):
                task_id = tasks[index].id
                self.apply(f"resolve task {task_id}", lambda: task_service.answer(
                    self.boss(), db.session.get(Task, task_id), decision))

        @rule(index=st.integers(0, 5), decision=st.sampled_from(["agreed", "repair", "return", "scrap"]))
        def settle(self, index, decision):
            tasks = list(db.session.scalars(select(Task).where(Task.process == "repairs").order_by(Task.id)))
            if index < len(tasks):
                task_id = tasks[index].id
                self.apply(f"settle task {task_id}", lambda: task_service.settle(
                    self.boss(), db.session.get(Task, task_id), decision))

        # --- DOA ----------------------------------------------------------------------------

        @rule(department=st.sampled_from(["channel", "product"]))
        def approve(self, department):
            self.apply(f"approve {department}", lambda: approvals.decide(self.boss(), self.doa_app(), department, "approve"))

        @rule(serial=st.sampled_from(DOA_SERIALS + STRAYS), damage=st.booleans())
        def scan(self, serial, damage):
            self.apply(f"scan {serial}", lambda: receipt.scan_doa_arrival(self.boss(), serial, self.doa_number,
                                                                      human_damage=damage, dealer_code="ST-DEALER"))

        @rule()
        def doa_receipt(self):
            self.apply("scan the DOA number (the receipt)", lambda: receipt.scan_doa_arrival(self.boss(), self.doa_number, self.doa_number))

        @rule(index=st.integers(0, 3), how=st.sampled_from(["repair", "aside"]))
        def decide_hold(self, index, how):
            holds = list(db.session.scalars(select(DoaHold).order_by(DoaHold.id)))
            if index < len(holds):
                hold_id = holds[index].id

                def step():
                    hold = db.session.get(DoaHold, hold_id)
                    if how == "repair":
                        receipt.convert_hold_to_repair(self.boss(), hold, model="ST-SSD")
                    else:
                        receipt.set_hold_aside(self.boss(), hold, "shelf")
                self.apply(f"hold {hold_id} {how}", step)

        @rule(index=st.integers(0, 3), decision=st.sampled_from(["agreed", "dispute", "proceed", "not_doa"]),
              settle=st.booleans())
        def doa_task(self, index, decision, settle):
            tasks = list(db.session.scalars(select(Task).where(Task.process == "doa").order_by(Task.id)))
            if index < len(tasks):
                task_id = tasks[index].id
                fn = task_service.settle if settle else task_service.answer
                self.apply(f"DOA task {task_id}", lambda: fn(self.boss(), db.session.get(Task, task_id), decision))

        # --- the same step again ------------------------------------------------------------------

        @precondition(lambda self: self.last is not None)
        @rule()
        def again(self):
            name, step = self.last
            if name.startswith("scan "):
                # A scan repeated is answered "already done" (or with the open hold, or refused once
                # the case moved on): whatever the answer, it writes nothing again.
                before = self._rows()
                try:
                    step()
                except DomainError:
                    db.session.rollback()
                else:
                    db.session.commit()
                assert self._rows() == before, f"{name} repeated wrote again"
                return
            before = self._rows()
            try:
                step()
            except (InvalidTransition, Conflict):
                db.session.rollback()
            else:
                raise AssertionError(f"{name} was applied twice")
            assert self._rows() == before

        def _rows(self):
            counted = (RepairEvent, Task, DoaEvent, DoaHold, ReturnParcel, RepairUnit, AuditEntry, Movement, Shipment)
            return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in counted)

        # --- invariants -----------------------------------------------------------------------------

        @invariant()
        def histories_are_chains(self):
            for unit in db.session.scalars(select(RepairUnit)):
                events = [e for e in db.session.scalars(select(RepairEvent).where(RepairEvent.unit_id == unit.id)
                                                        .order_by(RepairEvent.id)) if e.to_state]
                state = None
                for event in events:
                    assert event.from_state == state, f"{unit.serial}: {event.action} from {event.from_state}"
                    state = event.to_state
                assert state == unit.state, f"{unit.serial}: history ends in {state}, unit is {unit.state}"
                assert sum(e.action == "receive" for e in events) <= 1, f"{unit.serial} received twice"
            app_ = self.doa_app()
            state = None
            for event in db.session.scalars(select(DoaEvent).where(DoaEvent.application_id == app_.id,
                                                                   DoaEvent.to_state.is_not(None))
                                            .order_by(DoaEvent.id)):
                if event.from_state != event.to_state:
                    assert event.from_state == state, f"{app_.number}: {event.action} from {event.from_state}"
                    state = event.to_state
            assert state == app_.state
            arrived = [e.data.get("serial") for e in db.session.scalars(
                select(DoaEvent).where(DoaEvent.action == "unit_arrived"))]
            assert len(arrived) == len(set(arrived)), f"a DOA unit arrived twice: {arrived}"

        @invariant()
        def chase_due_follows_the_clocks(self):
            # The stored sort key of the overdue list equals the rule on the unit's state and due days.
            for unit in db.session.scalars(select(RepairUnit).execution_options(populate_existing=True)):
                assert unit.chase_due == clocks.chase_due(unit.state, unit.dispatch_due, unit.ship_due,
                                                          unit.factory_due), (unit.serial, unit.state)

        @invariant()
        def swaps_move_one_unit_each(self):
            swaps = db.session.scalar(select(func.count()).select_from(RepairEvent).where(
                RepairEvent.action == "vendor_swap"))
            outs = db.session.scalars(select(Movement).where(Movement.reason == "vendor_swap")).all()
            ins = db.session.scalar(select(func.count()).select_from(Movement).where(
                Movement.reason == "vendor_defective_in"))
            assert len(outs) == ins == swaps <= len(VENDOR_SERIALS)
            assert {m.ref_id for m in outs} == {u.id for u in db.session.scalars(
                select(RepairUnit).where(RepairUnit.outcome == "swapped"))}
            pool = vendor.pool_location()
            assert inventory.balance_of(pool.id, self.vendor_part_id) == 1 - swaps

        @invariant()
        def receipts_and_tasks_once(self):
            for parcel in db.session.scalars(select(ReturnParcel)):
                completions = db.session.scalar(select(func.count()).select_from(RepairEvent).where(
                    RepairEvent.parcel_id == parcel.id, RepairEvent.action == "complete_receipt"))
                assert completions == (1 if parcel.receipt_completed_at else 0), parcel.rma_number
            missing = db.session.scalars(select(Task.subject_id).where(Task.process == "repairs").where(Task.kind == "missing")).all()
            assert len(missing) == len(set(missing))
            for task in db.session.scalars(select(Task).where(Task.process == "repairs")):
                updates = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
                    AuditEntry.entity == "task", AuditEntry.entity_id == str(task.id),
                    AuditEntry.action == "update"))
                assert updates <= 2 and (task.closed_at is not None) == (task.status in ("agreed", "resolved"))
            held = db.session.scalars(select(DoaHold.serial).where(DoaHold.status == "held")).all()
            assert len(held) == len(set(held)), f"a serial is held twice: {held}"
            for task in db.session.scalars(select(Task).where(Task.process == "doa")):
                assert (task.closed_at is not None) == (task.status in ("agreed", "resolved"))

    run_state_machine_as_test(Steps)
