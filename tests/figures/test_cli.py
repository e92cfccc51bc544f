"""``flask depot report``: writes the PDF, mails it, and refuses bad input clearly."""
from __future__ import annotations

import pytest

from tests.figures.data import seed


@pytest.fixture()
def data(app):
    with app.app_context():
        return seed()


def test_bad_month(app, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "r.pdf"
    result = runner.invoke(args=["depot", "report", "--month", "2026-13", "--out", str(out)])
    assert result.exit_code == 2
    assert "YYYY-MM" in result.output
    assert not out.exists()


def test_bad_email(app, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "r.pdf"
    result = runner.invoke(args=["depot", "report", "--month", "2026-10", "--out", str(out), "--email", "not-an-address"])
    assert result.exit_code == 2
    assert "not an e-mail address" in result.output
    assert not out.exists()


def test_unknown_office(app, tmp_path, data):
    result = app.test_cli_runner().invoke(args=["depot", "report", "--month", "2026-10", "--office", "XX",
                                                "--out", str(tmp_path / "r.pdf")])
    assert result.exit_code == 2 and "no office" in result.output


def test_writes_pdf(app, tmp_path, data):
    out = tmp_path / "october.pdf"
    result = app.test_cli_runner().invoke(args=["depot", "report", "--month", "2026-10", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
    assert "wrote" in result.output


def test_emails_pdf(app, tmp_path, data):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Collect(Message):
        def handle_message(self, message):
            received.append(message)

    import socket

    with socket.socket() as probe:  # a free port for the test SMTP server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    old = app.config["MAIL_SERVER"], app.config["MAIL_PORT"]
    try:
        app.config["MAIL_SERVER"], app.config["MAIL_PORT"] = "127.0.0.1", port
        out = tmp_path / "october.pdf"
        result = app.test_cli_runner().invoke(args=["depot", "report", "--month", "2026-10", "--out", str(out),
                                                    "--email", "boss@example.com"])
    finally:
        app.config["MAIL_SERVER"], app.config["MAIL_PORT"] = old
        controller.stop()
    assert result.exit_code == 0, result.output
    assert len(received) == 1
    msg = received[0]
    assert msg["To"] == "boss@example.com" and "2026-10" in msg["Subject"]
    attachments = [p for p in msg.walk() if p.get_content_type() == "application/pdf"]
    assert attachments and attachments[0].get_payload(decode=True).startswith(b"%PDF")
    body = next(p for p in msg.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert "3 / 4 (75.0%)" in body


def test_smtp_failure_is_reported(app, tmp_path, data):
    out = tmp_path / "october.pdf"
    result = app.test_cli_runner().invoke(args=["depot", "report", "--month", "2026-10", "--out", str(out),
                                                "--email", "boss@example.com"])
    assert result.exit_code == 1
    assert "could not e-mail" in result.output
    assert out.exists()  # the PDF is still written
