"""Stateful: new dealers' onboarding stepped in any order by any role, with mail that may be down.

After every step: the welcome pack is recorded only after the welcome call, the hand-off only after
the pack; each dealer got at most one welcome mail and the channel department at most one file per
dealer, exactly one for each recorded step; a refused step (or a mail server that is down) recorded
nothing.
"""
from __future__ import annotations

import io
import socket
from collections import Counter

from aiosmtpd.controller import Controller
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from core.errors import DomainError
from core.extensions import db

STATE: dict = {}
ROLES = ("service", "supervisor", "clerk")


class _Inbox:
    def __init__(self):
        self.to = Counter()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        for rcpt in envelope.rcpt_tos:
            self.to[rcpt] += 1
        return "250 OK"


class Onboarding(RuleBasedStateMachine):
    @initialize()
    def world(self):
        from core.accounts.service import create_user, get_user
        from core.directory.models import Department, Office
        from dealercare import documents

        self.app = STATE["app"]
        self.app_ctx = self.app.app_context()
        self.app_ctx.push()
        self.saved = {k: self.app.config.get(k) for k in ("MAIL_SERVER", "MAIL_PORT")}
        self.app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=STATE["port"])
        STATE["inbox"].to.clear()
        self.office = Office(code="OB", name="OB office", region="华东")
        db.session.add_all([self.office, Department(code="channel", name="渠道部", email="channel@ob.example")])
        db.session.flush()
        self.users = {}
        for role in ROLES:
            create_user(f"ob-{role}", "x-pass-1234", [role])
            self.users[role] = get_user(f"ob-{role}")
        documents.add_document(self.users["supervisor"], io.BytesIO(b"%PDF-1.4 policy\n%%EOF\n"), "p.pdf", "政策")
        self.dealers: list[int] = []

    def teardown(self):
        db.session.rollback()
        db.session.remove()
        self.app.config.update(self.saved)
        self.app_ctx.pop()

    def _try(self, name, fn, *args, **kwargs):
        savepoint = db.session.begin_nested()
        try:
            fn(*args, **kwargs)
            savepoint.commit()
            event(f"{name}: done")
            STATE.setdefault("seen", Counter())[f"{name}: done"] += 1
        except DomainError as err:
            savepoint.rollback()
            event(f"{name}: refused")
            STATE.setdefault("refused", Counter())[f"{name}: {err.message[:50]}"] += 1

    def _onboarding(self, i):
        from dealercare import onboarding

        return onboarding.get_onboarding(self.users["service"], self.dealers[i % len(self.dealers)])

    @rule(email=st.booleans())
    def new_dealer(self, email):
        from core.directory import service

        n = len(self.dealers) + 1
        dealer = service.create_dealer(self.users["supervisor"], {
            "code": f"OB{n:03d}", "name": f"新代理商{n}", "office_id": self.office.id,
            "email": f"d{n}@ob.example" if email else None})
        self.dealers.append(dealer.id)

    @rule(i=st.integers(0, 2), role=st.sampled_from(ROLES), decision=st.sampled_from(("called", "dispute")))
    def answer_call(self, i, role, decision):
        from core.tasks import service as tasks

        if self.dealers:
            item = self._onboarding(i)
            self._try("call", tasks.answer, self.users[role], item.call_task, decision, "")

    @rule(i=st.integers(0, 2), role=st.sampled_from(ROLES), mail_up=st.booleans())
    def send_pack(self, i, role, mail_up):
        from dealercare import onboarding

        if self.dealers:
            self.app.config["MAIL_PORT"] = STATE["port"] if mail_up else 9
            self._try("pack", onboarding.send_welcome_pack, self.users[role], self._onboarding(i))
            self.app.config["MAIL_PORT"] = STATE["port"]

    @rule(i=st.integers(0, 2), role=st.sampled_from(ROLES))
    def hand_off(self, i, role):
        from dealercare import onboarding

        if self.dealers:
            self._try("hand_off", onboarding.hand_off, self.users[role], self._onboarding(i))

    @rule(i=st.integers(0, 2))
    def walk_through(self, i):
        """Customer service takes a dealer's next steps in order, as the page offers them."""
        from core.tasks import service as tasks
        from dealercare import onboarding

        if self.dealers:
            item, cs = self._onboarding(i), self.users["service"]
            if item.call_task.status == "open":
                self._try("call", tasks.answer, cs, item.call_task, "called", "")
            if onboarding.can_send_pack(cs, item):
                self._try("pack", onboarding.send_welcome_pack, cs, item)
            if onboarding.can_hand_off(cs, item):
                self._try("hand_off", onboarding.hand_off, cs, item)

    @invariant()
    def rules_hold(self):
        from core.directory.models import Dealer
        from dealercare.models import Onboarding as Row

        handed = 0
        for dealer_id in self.dealers:
            item = db.session.query(Row).filter_by(dealer_id=dealer_id).one()
            dealer = db.session.get(Dealer, dealer_id)
            if item.pack_sent_at is not None:
                assert item.call_task.status != "open"
            if item.handed_off_at is not None:
                assert item.pack_sent_at is not None
                handed += 1
            sent = STATE["inbox"].to[dealer.email] if dealer.email else 0
            assert sent == (1 if item.pack_sent_at is not None else 0), (dealer.code, sent)
        assert STATE["inbox"].to["channel@ob.example"] == handed


def test_onboarding_in_any_order_sends_each_mail_once(app):
    inbox = _Inbox()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    STATE.update(app=app, inbox=inbox, port=port)
    try:
        run_state_machine_as_test(Onboarding, settings=settings(settings.default, deadline=None))
        seen = STATE.get("seen", Counter())
        assert seen["pack: done"] and seen["hand_off: done"], (sorted(seen.items()),
                                                               STATE.get("refused", Counter()).most_common(6))
    finally:
        controller.stop()
        STATE.clear()
