"""The overdue sweep survives a bad name or recipient: the other mails still go out.

Names with line breaks are refused on entry now, but older rows (or a database
edited by hand) may still hold one; a real SMTP server on loopback receives.
"""
from __future__ import annotations

from sqlalchemy import update

from tests.repairs.test_sweep import _overdue_world, smtp  # noqa: F401  (smtp is a fixture)

TODAY = "2026-11-17"


def _set_factory(app, **values):
    from core.directory.models import Factory
    from core.extensions import db

    with app.app_context():
        db.session.execute(update(Factory).where(Factory.code == "FAC").values(**values))
        db.session.commit()


def test_a_factory_name_with_a_line_break_stops_nothing(app, world, smtp):  # noqa: F811
    _overdue_world(app, world)
    _set_factory(app, name="Factory\r\nBcc: everyone@evil.example")
    result = app.test_cli_runner().invoke(args=["depot", "sweep", "--date", TODAY])
    assert result.exit_code == 0, result.output
    recipients = sorted(tuple(sorted(r)) for r, _m in smtp.messages)
    assert recipients == [("cs-boss@depot.example",), ("cs-boss@depot.example", "repair@factory.example")]
    factory_mail = next(m for r, m in smtp.messages if "repair@factory.example" in r)
    assert "Factory Bcc: everyone@evil.example" in factory_mail["Subject"]  # on one line, no new header
    assert factory_mail["Bcc"] is None
    assert all("evil.example" not in rcpt for r, _m in smtp.messages for rcpt in r)


def test_a_bad_recipient_is_reported_and_the_other_groups_are_mailed(app, world, smtp):  # noqa: F811
    from core.extensions import db
    from core.chase import ChaseNotice

    _overdue_world(app, world)
    _set_factory(app, email="repair@factory.example\r\nBcc: everyone@evil.example")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["depot", "sweep", "--date", TODAY])
    assert result.exit_code == 1 and "not sent" in result.output
    assert [tuple(r) for r, _m in smtp.messages] == [("cs-boss@depot.example",)]
    with app.app_context():
        assert db.session.query(ChaseNotice).count() == 1  # the failed group is retried next run
    _set_factory(app, email="repair@factory.example")
    assert runner.invoke(args=["depot", "sweep", "--date", TODAY]).exit_code == 0
    assert len(smtp.messages) == 2
