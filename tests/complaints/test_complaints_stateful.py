"""Stateful: complaints of every tier stepped by every role in any order keep their rules.

After every step: the state is one the tier can reach; a serious or very serious complaint is
answered only after the handling report was signed off (and a very serious one approved by the
GM's assistant); the stamps follow the state (answered, fixed with its visit due, closed); each
complaint has at most one open internal-letter task; every change of state left exactly one
history row; a refused step changed nothing.

Each example runs in one transaction rolled back at the end; each step in a savepoint.
"""
from __future__ import annotations

import io
from collections import Counter
from datetime import date, datetime, timezone

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from core.errors import DomainError
from core.extensions import db

STATE: dict = {}
ROLES = ("service", "supervisor", "gm_assistant", "office")
STEPS = ("refer", "department_answer", "report", "sign_off", "gm_approve", "gm_return", "set_due", "update", "answer", "fix",
         "visit", "close")
ORDER = ("registered", "referred", "reporting", "signed", "approved", "answered", "fixed", "visited", "closed")
NOW = datetime(2026, 10, 20, 3, 0, tzinfo=timezone.utc)


class ComplaintCycle(RuleBasedStateMachine):
    @initialize()
    def world(self):
        from core.accounts.service import create_user, get_user
        from core.directory.models import Dealer, Department, Office

        self.app_ctx = STATE["app"].app_context()
        self.app_ctx.push()
        office = Office(code="ST", name="ST office", region="华北")
        db.session.add(office)
        db.session.flush()
        self.dealer = Dealer(code="ST-D", name="ST dealer", office_id=office.id)
        self.department = Department(code="st-product", name="产品部")
        db.session.add_all([self.dealer, self.department])
        db.session.flush()
        self.users = {}
        for role in ROLES:
            create_user(f"cs-{role}", "x-pass-1234", [role], office_id=office.id if role == "office" else None)
            self.users[role] = get_user(f"cs-{role}")
        self.complaints: list[int] = []
        self.transitions: Counter = Counter()

    def teardown(self):
        db.session.rollback()
        db.session.remove()
        self.app_ctx.pop()

    def _complaint(self, i):
        from complaints.models import Complaint

        return db.session.get(Complaint, self.complaints[i % len(self.complaints)])

    def _try(self, name, fn, *args, **kwargs):
        savepoint = db.session.begin_nested()
        try:
            result = fn(*args, **kwargs)
            savepoint.commit()
            event(f"{name}: done")
            STATE.setdefault("seen", Counter())[f"{name}: done"] += 1
            return result
        except DomainError as err:
            savepoint.rollback()
            event(f"{name}: refused")
            STATE.setdefault("refused", Counter())[f"{name}: {err.message[:60]}"] += 1
            return None

    @rule(tier=st.sampled_from(("ordinary", "serious", "very_serious")), role=st.sampled_from(ROLES))
    def register(self, tier, role):
        from complaints import registering

        made = self._try("register", registering.register, self.users[role], tier=tier, subject="质量问题",
                         dealer_id=self.dealer.id, received_on=date(2026, 10, 9), at=NOW)
        if made is not None:
            self.complaints.append(made.id)

    @rule(i=st.integers(0, 20), role=st.sampled_from(ROLES))
    def attach_letter(self, i, role):
        from complaints import letters

        if self.complaints:
            c = self._complaint(i)
            self._try("attach", letters.attach_letter, self.users[role], c,
                      io.BytesIO(b"%PDF-1.4 letter " + str(c.id).encode() + b"\n%%EOF\n"), "letter.pdf")

    @rule(i=st.integers(0, 20), role=st.sampled_from(ROLES), name=st.sampled_from(STEPS),
          compensation=st.sampled_from((None, "300.00")))
    def take_step(self, i, role, name, compensation):
        """Any step by any role: taken when the rules allow it, refused with nothing changed otherwise."""
        if self.complaints:
            self._run(self._complaint(i), role, name, compensation)

    @rule(i=st.integers(0, 20), role=st.sampled_from(("service", "supervisor", "gm_assistant")))
    def advance(self, i, role):
        """The step the page would offer this role now (the one workflow's allowed actions), taken."""
        from complaints import service

        if not self.complaints:
            return
        c = self._complaint(i)
        offered = [a for a in service.allowed_for(self.users[role], c) if a != "answer"] or \
            service.allowed_for(self.users[role], c)
        if not offered:
            return
        action = offered[0]
        if action == "sign_off" and not c.report:
            self._run(c, role, "report", "300.00")
        if action == "set_due" or (c.tier == "very_serious" and c.answer_due is None):
            self._run(c, "supervisor", "set_due", None)
        self._run(c, role, {"department_answered": "department_answer"}.get(action, action), "300.00")

    def _run(self, c, role, name, compensation):
        from complaints import handling

        before = (c.state, c.answered_at, c.closed_at, c.signed_at)
        args = {"text": "书面答复", "note": "", "department_id": self.department.id, "satisfied": True,
                "due_on": date(2026, 10, 30), "compensation": compensation}
        done = self._try(name, handling.step, self.users[role], c, name, args, at=NOW)
        db.session.refresh(c)
        if done is None:
            assert (c.state, c.answered_at, c.closed_at, c.signed_at) == before
        elif c.state != before[0]:
            self.transitions[c.id] += 1

    @invariant()
    def rules_hold(self):
        from complaints.models import Complaint, ComplaintEvent
        from complaints.states import WORKFLOW
        from core.tasks.models import Task

        for cid in self.complaints:
            c = db.session.get(Complaint, cid)
            assert c.state in ORDER
            reached = ORDER.index(c.state)
            if reached >= ORDER.index("answered"):
                assert c.answered_at is not None
                if c.tier != "ordinary":
                    assert c.signed_at is not None, (c.number, c.tier)
                if c.tier == "very_serious":
                    assert c.gm_approved_at is not None and c.answer_due is not None
            else:
                assert c.answered_at is None
            if reached <= ORDER.index("reporting"):
                assert c.signed_at is None, (c.number, c.state)  # a report sent back is signed again
            assert (c.visit_due is not None) == (reached >= ORDER.index("fixed"))
            assert (c.closed_at is not None) == (c.state == "closed")
            open_letters = db.session.scalar(select(func.count()).select_from(Task).where(
                Task.case_type == "complaint", Task.case_id == c.id, Task.kind == "internal_letter",
                Task.status == "open"))
            assert open_letters <= 1
            moves = db.session.scalar(select(func.count()).select_from(ComplaintEvent).where(
                ComplaintEvent.complaint_id == c.id, ComplaintEvent.to_state.isnot(None),
                ComplaintEvent.from_state.isnot(None), ComplaintEvent.from_state != ComplaintEvent.to_state))
            assert moves == self.transitions[c.id], (c.number, moves, self.transitions[c.id])
            assert WORKFLOW  # the machine steps through the one workflow


def test_complaints_in_any_order_keep_their_rules(app):
    STATE["app"] = app
    try:
        run_state_machine_as_test(ComplaintCycle, settings=settings(settings.default, deadline=None))
        seen = STATE.get("seen", Counter())
        assert seen["register: done"] and seen["answer: done"], (sorted(seen.items()),
                                                                 STATE.get("refused", Counter()).most_common(8))
    finally:
        STATE.clear()
