"""Stateful: questions logged, sent to a department, answered (on the entry or on its task), reopened
and kept in the library, by every role in any order.

After every step: an answered entry has its answer, who and when; a waiting one has none; an entry
waiting on a department has exactly one open task and no other entry has any; every change of state
left exactly one history row; the library holds at most one standard answer made from each entry;
a refused step changed nothing.
"""
from __future__ import annotations

from collections import Counter

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from core.errors import DomainError
from core.extensions import db

STATE: dict = {}
ROLES = ("service", "service", "supervisor", "clerk", "office")


class HotlineDesk(RuleBasedStateMachine):
    @initialize()
    def world(self):
        from core.accounts.service import create_user, get_user
        from core.directory.models import Department, Office

        self.app_ctx = STATE["app"].app_context()
        self.app_ctx.push()
        office = Office(code="HL", name="HL office", region="华南")
        self.department = Department(code="hl-product", name="产品部")
        db.session.add_all([office, self.department])
        db.session.flush()
        self.users = {}
        for role in set(ROLES):
            create_user(f"hl-{role}", "x-pass-1234", [role], office_id=office.id if role == "office" else None)
            self.users[role] = get_user(f"hl-{role}")
        self.entries: list[int] = []
        self.transitions: Counter = Counter()
        self.kept: Counter = Counter()

    def teardown(self):
        db.session.rollback()
        db.session.remove()
        self.app_ctx.pop()

    def _try(self, name, fn, *args, **kwargs):
        savepoint = db.session.begin_nested()
        try:
            result = fn(*args, **kwargs)
            savepoint.commit()
            event(f"{name}: done")
            STATE.setdefault("seen", Counter())[f"{name}: done"] += 1
            return result
        except DomainError:
            savepoint.rollback()
            event(f"{name}: refused")
            return None

    def _entry(self, i):
        from hotline.models import HotlineEntry

        return db.session.get(HotlineEntry, self.entries[i % len(self.entries)])

    def _step(self, name, entry, fn, *args, **kwargs):
        before = (entry.state, entry.answer, entry.answered_at)
        done = self._try(name, fn, *args, **kwargs)
        db.session.refresh(entry)
        if done is None:
            assert (entry.state, entry.answer, entry.answered_at) == before
        elif entry.state != before[0]:
            self.transitions[entry.id] += 1
        return done

    @rule(role=st.sampled_from(ROLES), refer=st.booleans(), answered=st.booleans())
    def log(self, role, refer, answered):
        from hotline import log

        made = self._try("log", log.log_question, self.users[role], asker="end_customer", channel="phone",
                         category="warranty", question="保修期多久？", answer="三年" if answered else "",
                         department_id=self.department.id if refer and not answered else None)
        if made is not None:
            self.entries.append(made.id)
            # Logged open, then answered at once or sent to the department: one change of state.
            self.transitions[made.id] += made.state != "open"

    @rule(i=st.integers(0, 20), role=st.sampled_from(ROLES))
    def refer(self, i, role):
        from hotline import log

        if self.entries:
            entry = self._entry(i)
            self._step("refer", entry, log.refer, self.users[role], entry, self.department.id, "请答复")

    @rule(i=st.integers(0, 20), role=st.sampled_from(ROLES))
    def answer(self, i, role):
        from hotline import log

        if self.entries:
            entry = self._entry(i)
            self._step("answer", entry, log.answer, self.users[role], entry, "保修三年，凭发票。")

    @rule(i=st.integers(0, 20), role=st.sampled_from(ROLES))
    def reopen(self, i, role):
        from hotline import log

        if self.entries:
            entry = self._entry(i)
            self._step("reopen", entry, log.reopen, self.users[role], entry, "又来信")

    @rule(i=st.integers(0, 20), role=st.sampled_from(ROLES))
    def keep_in_library(self, i, role):
        from hotline import answers

        if self.entries:
            entry = self._entry(i)
            if self._try("keep", answers.from_entry, self.users[role], entry) is not None:
                self.kept[entry.id] += 1

    @invariant()
    def rules_hold(self):
        from core.tasks.models import Task
        from hotline.models import HotlineEntry, HotlineEvent, StandardAnswer

        for eid in self.entries:
            entry = db.session.get(HotlineEntry, eid)
            if entry.state == "answered":
                assert entry.answer and entry.answered_at is not None and entry.answered_by
            open_tasks = db.session.scalar(select(func.count()).select_from(Task).where(
                Task.process == "hotline", Task.case_id == eid, Task.status.in_(("open", "disputed"))))
            assert open_tasks == (1 if entry.state == "referred" else 0), (entry.number, entry.state, open_tasks)
            moves = db.session.scalar(select(func.count()).select_from(HotlineEvent).where(
                HotlineEvent.entry_id == eid, HotlineEvent.from_state.isnot(None),
                HotlineEvent.to_state.isnot(None), HotlineEvent.from_state != HotlineEvent.to_state))
            assert moves == self.transitions[eid], (entry.number, moves, self.transitions[eid])
            assert self.kept[eid] <= 1
        assert db.session.scalar(select(func.count()).select_from(StandardAnswer)) == sum(self.kept.values())


def test_the_desk_in_any_order_keeps_its_rules(app):
    STATE["app"] = app
    try:
        run_state_machine_as_test(HotlineDesk, settings=settings(settings.default, deadline=None))
        seen = STATE.get("seen", Counter())
        assert seen["log: done"] and seen["answer: done"], sorted(seen.items())
    finally:
        STATE.clear()
