"""The hotline pages: an e-mail entry with its thread and file, a refused step shown in words, zh-CN."""
from __future__ import annotations

from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText


def _mail() -> bytes:
    msg = MIMEMultipart()
    msg["From"] = "zhao@customer.example"
    msg["To"] = "service@maxell.example"
    msg["Subject"] = "Maxell SSD 无法识别"
    msg["Message-ID"] = "<page1@customer.example>"
    msg.attach(MIMEText("插上电脑后无法识别。", "plain", "gbk"))
    part = MIMEApplication(b"%PDF-1.4 invoice", "pdf")
    part.add_header("Content-Disposition", "attachment", filename="发票.pdf")
    msg.attach(part)
    return msg.as_bytes()


def test_email_entry_page_thread_file_and_refusal(app, desk, login):
    from core.extensions import db
    from hotline import mail_intake

    with app.app_context():
        outcome, entry = mail_intake.import_message(_mail())
        assert mail_intake.import_message(_mail()) == ("duplicate", None)
        db.session.commit()
        number, brand = entry.number, entry.brand_id
    assert outcome == "new" and brand == desk["MAXELL"]
    c = login("service")
    page = c.get(f"/hotline/{number}").get_data(as_text=True)
    assert "插上电脑后无法识别。" in page and "发票.pdf" in page and "Reply by e-mail" in page
    listing = c.get("/hotline?state=waiting&channel=email").get_data(as_text=True)
    assert number in listing
    files = c.get(f"/hotline/{number}")
    assert files.status_code == 200
    with app.app_context():
        from hotline.models import HotlineAttachment
        att = db.session.query(HotlineAttachment).one()
    download = c.get(f"/hotline/attachments/{att.id}")
    assert download.status_code == 200 and download.data == b"%PDF-1.4 invoice"
    assert "attachment" in download.headers["Content-Disposition"]

    sent = c.submit(f"/hotline/{number}/refer", {"department_id": str(desk["product"])},
                    form_page=f"/hotline/{number}", follow_redirects=True)
    assert "with the department" in sent.get_data(as_text=True)
    again = c.submit(f"/hotline/{number}/refer", {"department_id": str(desk["product"])},
                     form_page="/hotline", follow_redirects=True)
    text = again.get_data(as_text=True)
    assert again.status_code == 200 and "cannot be done now" in text
    missing = c.submit(f"/hotline/{number}/answer", {"answer": ""}, form_page="/hotline", follow_redirects=True)
    assert "Some fields need correcting." in missing.get_data(as_text=True)


def test_pages_in_chinese_and_closed_to_clerks(app, desk, login):
    c = login("service")
    page = c.get("/hotline", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "热线邮件" in page and "登记咨询" in page
    clerk = login("clerk")
    assert clerk.get("/hotline").status_code == 403
    assert clerk.get("/hotline/answers").status_code == 403
