"""Stateful: a quarter's survey answered, replayed, reminded and forged in any order, across days.

After every step: no dealer has two answers; the follow-up tasks are exactly the answers with a
score of 2 or less, one each; no dealer got two reminders on one day, and none after answering;
a refused step recorded nothing.
"""
from __future__ import annotations

import re
import socket
from collections import Counter
from datetime import timedelta
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from core.authz import SYSTEM
from core.errors import DomainError
from core.extensions import db

STATE: dict = {}
N_DEALERS = 3
LINK_RE = re.compile(r"/dealer-survey/([A-Za-z0-9_.\-]+)")


class _Inbox:
    """Counts reminders per (recipient, day) and keeps the last link each recipient was sent."""

    def __init__(self):
        self.reminders = Counter()
        self.links: dict[str, str] = {}
        self.day = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        msg = message_from_bytes(envelope.content, policy=policy.default)
        text = msg.get_content()
        for rcpt in envelope.rcpt_tos:
            if "Reminder" in msg["Subject"]:
                self.reminders[(rcpt, self.day)] += 1
            found = LINK_RE.search(text)
            if found:
                self.links[rcpt] = found.group(1)
        return "250 OK"


class SurveyQuarter(RuleBasedStateMachine):
    @initialize()
    def world(self):
        from core.calendar.service import local_day
        from core.directory.models import Dealer, Office
        from core.types import utcnow
        from dealercare import survey

        self.app = STATE["app"]
        self.inbox = STATE["inbox"]
        self.ctx = self.app.app_context()
        self.ctx.push()
        self.saved = {k: self.app.config.get(k) for k in ("MAIL_SERVER", "MAIL_PORT")}
        self.app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=STATE["port"])
        self.inbox.reminders.clear()
        self.inbox.links.clear()
        office = Office(code="SQ", name="SQ office", region="华南")
        db.session.add(office)
        db.session.flush()
        self.dealers = []
        for n in range(N_DEALERS):
            dealer = Dealer(code=f"SQ{n}", name=f"代理商{n}", email=f"sq{n}@dealer.example",
                            region="华南" if n % 2 else "华北", office_id=office.id)
            db.session.add(dealer)
            self.dealers.append(dealer)
        self.now = utcnow()
        self.day = 0
        self.inbox.day = 0
        today = local_day(self.now)
        self.survey = survey.create_survey(SYSTEM, f"{today.year}-Q{(today.month - 1) // 3 + 1}",
                                           today + timedelta(days=5), at=self.now)
        survey.add_question(SYSTEM, self.survey, "服务满意吗?")
        survey.add_question(SYSTEM, self.survey, "维修及时吗?")
        survey.send_survey(SYSTEM, self.survey, at=self.now)
        self.answered_at: dict[str, int] = {}

    def teardown(self):
        db.session.rollback()
        db.session.remove()
        self.app.config.update(self.saved)
        self.ctx.pop()

    def _at(self):
        return self.now + timedelta(days=self.day, minutes=1)

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
            event(f"{name}: refused {err.status}")
            STATE.setdefault("seen", Counter())[f"{name}: {err.status}"] += 1
            return None

    @rule(i=st.integers(0, N_DEALERS - 1), first=st.integers(1, 5), second=st.integers(1, 5))
    def answer(self, i, first, second):
        """The dealer answers through the link it was mailed (a second time is a replay: 409)."""
        from dealercare import survey

        dealer = self.dealers[i]
        token = self.inbox.links[dealer.email]
        q1, q2 = (q.id for q in self.survey.questions)
        done = self._try("answer", survey.submit_answer, token, {q1: first, q2: second}, "", at=self._at())
        if done is not None:
            assert dealer.email not in self.answered_at, "a second answer was recorded"
            self.answered_at[dealer.email] = self.day

    @rule(i=st.integers(0, N_DEALERS - 1))
    def forged(self, i):
        """A link with a tampered signature records nothing."""
        from dealercare import survey

        token = self.inbox.links[self.dealers[i].email]
        self._try("forged", survey.submit_answer, token[:-2] + ("xy" if token[-2:] != "xy" else "zz"),
                  {q.id: 1 for q in self.survey.questions}, at=self._at())

    @rule()
    def remind(self):
        from dealercare import survey

        self.inbox.day = self.day
        self._try("remind", survey.send_reminders, SYSTEM, self.survey, at=self._at())

    @rule()
    def next_day(self):
        if self.day < 7:  # past the deadline (5 days) too: links expire, reminders stop
            self.day += 1

    @invariant()
    def rules_hold(self):
        from core.tasks.models import Task
        from dealercare.models import SurveyAnswer

        rows = db.session.query(SurveyAnswer).filter_by(survey_id=self.survey.id).all()
        per_dealer = Counter(a.dealer_id for a in rows)
        assert all(n == 1 for n in per_dealer.values()), per_dealer
        low = {a.id for a in rows if any(s.score <= 2 for s in a.scores)}
        tasks = db.session.query(Task).filter_by(process="dealercare", kind="survey_follow_up").all()
        assert sorted(t.case_id for t in tasks) == sorted(low)
        assert {a.follow_up_task_id for a in rows if a.id in low} == {t.id for t in tasks}
        assert all(n == 1 for n in self.inbox.reminders.values()), self.inbox.reminders
        for (email, day) in self.inbox.reminders.keys():
            if email in self.answered_at:
                assert day <= self.answered_at[email], (email, day, self.answered_at[email])


def test_answers_reminders_and_links_in_any_order(app):
    inbox = _Inbox()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    STATE.update(app=app, inbox=inbox, port=port)
    try:
        run_state_machine_as_test(SurveyQuarter, settings=settings(settings.default, deadline=None))
        seen = STATE.get("seen", Counter())
        assert seen["answer: done"] and seen["answer: 409"] and seen["remind: done"], sorted(seen.items())
    finally:
        controller.stop()
        STATE.clear()
