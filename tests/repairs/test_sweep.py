"""`flask depot sweep` against a real SMTP server on loopback: the overdue e-mails, once a day."""
from __future__ import annotations

import re
import socket
from datetime import date, timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from core.authz import SYSTEM
from tests.repairs.conftest import at


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def smtp(app):
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    saved = {k: app.config[k] for k in ("MAIL_SERVER", "MAIL_PORT", "SUPERVISOR_EMAIL")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, SUPERVISOR_EMAIL="cs-boss@depot.example")
    yield inbox
    app.config.update(saved)
    controller.stop()


MON = date(2026, 11, 2)


def _overdue_world(app, world):
    """U1 at the factory past the factory's 7 days; U2 received but never dispatched; U3 on time."""
    from core.extensions import db
    from repairs import clocks, inspection, intake, receiving
    from repairs import states as st
    from repairs.models import RepairUnit

    with app.app_context():
        parcel = intake.create_parcel(SYSTEM, dealer_id=world.dealer_bj, lines=[
            {"model": "SSD", "serial": s} for s in ("U1", "U2", "U3")], at=at(MON, 8))
        for s in ("U1", "U2"):
            receiving.receive_unit(SYSTEM, s, parcel, at=at(MON, 9))
        receiving.receive_unit(SYSTEM, "U3", parcel, at=at(MON + timedelta(days=14), 9))
        u1 = parcel.units[0]
        inspection.inspect_unit(SYSTEM, u1, at=at(MON, 10))
        # Put U1 at the factory directly (the shipment is not what this test is about).
        st.WORKFLOW.apply(SYSTEM, u1, "dispatch", at=at(MON, 15), dispatched_at=at(MON, 15),
                            factory_due=clocks.factory_due(MON, u1.route))
        db.session.commit()
        assert db.session.get(RepairUnit, u1.id).ship_due == date(2026, 11, 11)


def test_sweep_mails_factory_and_supervisor_once_a_day(app, world, smtp):
    _overdue_world(app, world)
    runner = app.test_cli_runner()
    today = "2026-11-17"
    result = runner.invoke(args=["depot", "sweep", "--date", today])
    assert result.exit_code == 0, result.output
    assert len(smtp.messages) == 2
    by_rcpt = {tuple(sorted(r)): m for r, m in smtp.messages}
    factory_mail = by_rcpt[("cs-boss@depot.example", "repair@factory.example")]
    cs_mail = by_rcpt[("cs-boss@depot.example",)]
    body = factory_mail.get_content()
    # The factory is chased on its own clock: 7 calendar days from dispatch (11-02), so due 11-09.
    assert "U1" in body and "U2" not in body and "2026-11-09" in body and "东莞工厂维修部" in factory_mail["Subject"]
    assert "8 day(s) late" in body and "/repairs/units/" in body
    assert "factory's 7 days" in body
    cs_body = cs_mail.get_content()
    assert "U2" in cs_body and "U3" not in cs_body and "2026-11-04" in cs_body and "working day(s) late" in cs_body
    # Same day again: nothing more.
    result = runner.invoke(args=["depot", "sweep", "--date", today])
    assert result.exit_code == 0 and "No overdue units" in result.output
    assert len(smtp.messages) == 2
    # The next day the units are still overdue: one more round.
    assert runner.invoke(args=["depot", "sweep", "--date", "2026-11-18"]).exit_code == 0
    assert len(smtp.messages) == 4


def test_failed_send_records_nothing_and_the_next_run_retries(app, world, smtp):
    _overdue_world(app, world)
    runner = app.test_cli_runner()
    good_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = _free_port()  # nobody listens there
    result = runner.invoke(args=["depot", "sweep", "--date", "2026-11-17"])
    assert result.exit_code == 1 and "not sent" in result.output
    app.config["MAIL_PORT"] = good_port
    assert runner.invoke(args=["depot", "sweep", "--date", "2026-11-17"]).exit_code == 0
    assert len(smtp.messages) == 2


def test_overdue_page_by_route_and_age(app, world, login):
    _overdue_world(app, world)
    from unittest import mock

    with mock.patch("repairs.overdue.local_today", return_value=date(2026, 11, 17)):
        page = login("supervisor").get("/repairs/overdue").get_data(as_text=True)
    # Random CSRF tokens could contain "U3"; look only at what the page says.
    page = re.sub(r'value="[^"]*"', "", page)
    assert "U1" in page and "U2" in page and "U3" not in page
    assert "工厂维修" in page and "dispatch to factory" in page
    assert login("clerk", username="clerk9").get("/repairs/overdue").status_code == 403
