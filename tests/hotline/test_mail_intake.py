"""The service mailbox against real servers: a private dovecot (IMAP) and aiosmtpd (SMTP) on loopback.

Five messages arrive: a question, a reply in its thread, one with a GBK body, one with an
attachment, and the GBK one delivered a second time. Fetched twice (and once interrupted), the
log holds three entries and four e-mails: the reply sits in its question's entry, the duplicate
is imported once. A reply sent from the record carries In-Reply-To and References, and the
asker's answer to it joins the same entry.
"""
from __future__ import annotations

from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr

import pytest
from sqlalchemy import func, select

from tests.hotline.mailserver import DOVECOT, PASSWORD, USER, Dovecot
from tests.repairs.test_sweep import smtp  # noqa: F401  (fixture: aiosmtpd on 127.0.0.1)

pytestmark = pytest.mark.skipif(DOVECOT is None, reason="dovecot is not installed (apt-get install dovecot-imapd; "
                                                        "`make mailserver` does it)")

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture()
def mailbox(app, desk):
    server = Dovecot()
    server.start()
    saved = {k: app.config.get(k) for k in ("IMAP_HOST", "IMAP_PORT", "IMAP_SSL", "IMAP_USER", "IMAP_PASSWORD",
                                            "IMAP_MAILBOX", "HOTLINE_MAIL_FROM")}
    app.config.update(IMAP_HOST="127.0.0.1", IMAP_PORT=server.port, IMAP_SSL=False, IMAP_USER=USER,
                      IMAP_PASSWORD=PASSWORD, IMAP_MAILBOX="INBOX", HOTLINE_MAIL_FROM="service@maxell.example")
    yield server
    app.config.update(saved)
    server.stop()


def _question() -> bytes:
    msg = MIMEText("你好,Maxell U盘的保修期是多久?", "plain", "utf-8")
    msg["From"] = formataddr((str(Header("李女士", "utf-8")), "li@customer.example"))
    msg["To"] = "service@maxell.example"
    msg["Subject"] = Header("Maxell U盘保修", "utf-8")
    msg["Message-ID"] = "<q1@customer.example>"
    msg["Date"] = "Mon, 30 Nov 2026 09:00:00 +0800"
    return msg.as_bytes()


def _reply_in_thread() -> bytes:
    msg = MIMEText("补充一下:是去年买的。", "plain", "utf-8")
    msg["From"] = "li@customer.example"
    msg["To"] = "service@maxell.example"
    msg["Subject"] = Header("Re: Maxell U盘保修", "utf-8")
    msg["Message-ID"] = "<q1-2@customer.example>"
    msg["In-Reply-To"] = "<q1@customer.example>"
    msg["References"] = "<q1@customer.example>"
    msg["Date"] = "Mon, 30 Nov 2026 09:30:00 +0800"
    return msg.as_bytes()


def _gbk() -> bytes:
    msg = MIMEText("我的存储卡在相机里无法识别,怎么办?", "plain", "gbk")
    msg["From"] = "wang@customer.example"
    msg["To"] = "service@maxell.example"
    msg["Subject"] = Header("存储卡无法识别", "gbk")
    msg["Message-ID"] = "<gbk1@customer.example>"
    msg["Date"] = "Mon, 30 Nov 2026 10:00:00 +0800"
    return msg.as_bytes()


def _with_attachment() -> bytes:
    msg = MIMEMultipart()
    msg["From"] = "zhao@customer.example"
    msg["To"] = "service@maxell.example"
    msg["Subject"] = "SSD 坏了,附照片"
    msg["Message-ID"] = "<att1@customer.example>"
    msg.attach(MIMEText("照片见附件。", "plain", "utf-8"))
    part = MIMEApplication(PNG, "png")
    part.add_header("Content-Disposition", "attachment", filename="照片.png")
    msg.attach(part)
    return msg.as_bytes()


def _deliver_five(server: Dovecot) -> None:
    for n, raw in enumerate([_question(), _reply_in_thread(), _gbk(), _with_attachment(), _gbk()]):
        server.deliver(raw, f"17000000{n}.M{n}P1.depot")


def _fetch(app):
    result = app.test_cli_runner().invoke(args=["depot", "hotline", "fetch-mail"])
    assert result.exit_code == 0, result.output
    return result.output


def test_five_messages_fetched_twice(app, mailbox):
    from core.extensions import db
    from hotline.models import HotlineAttachment, HotlineEntry, HotlineMessage

    _deliver_five(mailbox)
    first = _fetch(app)
    assert "new questions: 3, replies joined: 1, already imported: 1" in first
    second = _fetch(app)
    assert "new questions: 0, replies joined: 0, already imported: 0" in second
    with app.app_context():
        assert db.session.scalar(select(func.count(HotlineMessage.id))) == 4
        entries = {e.contact: e for e in db.session.scalars(select(HotlineEntry))}
        assert len(entries) == 3
        thread = entries["li@customer.example"]
        assert [m.message_id for m in thread.messages] == ["<q1@customer.example>", "<q1-2@customer.example>"]
        assert thread.channel == "email" and thread.asker_name == "李女士"
        assert thread.brand is not None and thread.brand.code == "MAXELL"   # named in the subject
        gbk = entries["wang@customer.example"]
        assert gbk.question == "我的存储卡在相机里无法识别,怎么办?"
        assert gbk.subject == "存储卡无法识别"
        files = list(db.session.scalars(select(HotlineAttachment)))
        assert [(f.original_name, f.size) for f in files] == [("照片.png", len(PNG))]
        assert files[0].entry_id == entries["zhao@customer.example"].id


def test_interrupted_fetch_imports_each_message_once(app, mailbox):
    from core.extensions import db
    from hotline import mail_intake
    from hotline.models import HotlineMessage

    _deliver_five(mailbox)
    calls = {"n": 0}

    def commit_then_die():
        calls["n"] += 1
        db.session.commit()
        if calls["n"] == 3:   # the mailbox state, then two messages
            raise KeyboardInterrupt

    with app.app_context():
        with pytest.raises(KeyboardInterrupt):
            mail_intake.fetch_mail(commit_then_die, db.session.rollback)
        db.session.remove()
        assert db.session.scalar(select(func.count(HotlineMessage.id))) == 2
        # The mailbox read again from its start (a new UIDVALIDITY): still nothing twice.
        from hotline.models import MailboxState
        db.session.execute(MailboxState.__table__.update().values(last_uid=0))
        db.session.commit()
    _fetch(app)
    with app.app_context():
        assert db.session.scalar(select(func.count(HotlineMessage.id))) == 4


def test_reply_goes_out_threaded_and_the_answer_joins(app, mailbox, smtp, api_as):  # noqa: F811
    from core.extensions import db
    from hotline.models import HotlineEntry

    _deliver_five(mailbox)
    _fetch(app)
    with app.app_context():
        entry_id = db.session.scalar(select(HotlineEntry.id).where(HotlineEntry.contact == "li@customer.example"))
    api = api_as("service")
    resp = api.post(f"/api/v1/hotline/entries/{entry_id}/reply", json={"body": "您好,U盘保修五年。"})
    assert resp.status_code == 201, resp.get_json()
    sent_id = resp.get_json()["message_id"]
    [(rcpts, sent)] = smtp.messages
    assert rcpts == ["li@customer.example"]
    assert sent["In-Reply-To"] == "<q1-2@customer.example>"
    assert sent["References"].split() == ["<q1@customer.example>", "<q1-2@customer.example>"]
    assert sent["Message-ID"] == sent_id and sent["Subject"].startswith("Re: ")
    entry = api.get(f"/api/v1/hotline/entries/{entry_id}").get_json()
    assert entry["state"] == "answered" and entry["answer"] == "您好,U盘保修五年。"

    answer = MIMEText("谢谢,还想问一下换货流程。", "plain", "utf-8")
    answer["From"] = "li@customer.example"
    answer["Subject"] = "Re: Maxell U盘保修"
    answer["Message-ID"] = "<q1-3@customer.example>"
    answer["In-Reply-To"] = sent_id
    answer["References"] = f"<q1@customer.example> <q1-2@customer.example> {sent_id}"
    mailbox.deliver(answer.as_bytes(), "1700000099.M99P1.depot")
    assert "replies joined: 1" in _fetch(app)
    entry = api.get(f"/api/v1/hotline/entries/{entry_id}").get_json()
    assert entry["state"] == "open"   # the asker wrote again: back to CS
    assert [m["direction"] for m in entry["messages"]] == ["in", "in", "out", "in"]


def test_mailbox_unreachable_is_one_line(app, desk):
    from hotline.mail_intake import MailboxError  # noqa: F401

    saved = {k: app.config.get(k) for k in ("IMAP_HOST", "IMAP_PORT", "IMAP_SSL", "IMAP_USER")}
    from tests.hotline.mailserver import free_port
    app.config.update(IMAP_HOST="127.0.0.1", IMAP_PORT=free_port(), IMAP_SSL=False, IMAP_USER="x")
    try:
        result = app.test_cli_runner().invoke(args=["depot", "hotline", "fetch-mail"])
    finally:
        app.config.update(saved)
    assert result.exit_code == 1 and "cannot be read now" in result.output
