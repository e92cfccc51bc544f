"""Answering an e-mail from its record: one reply over SMTP (core.mail.send), in its thread.

The reply carries In-Reply-To (the asker's latest message) and References (the thread so
far), so the asker's mail program keeps the thread, and the asker's next answer, naming our
Message-ID, joins the same entry when the mailbox is read. The reply is recorded before it
is sent; a failed send is a 502 and the request rolls back, so nothing says it went.
"""
from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from core import mail
from core.errors import DomainError, ValidationFailed
from core.extensions import db
from core.types import utcnow
from core.workflow import who
from hotline import log, service
from hotline import states as st
from hotline.models import HotlineEntry, HotlineMessage

logger = logging.getLogger("depot.hotline")


class SendFailed(DomainError):
    """The mail server did not take the reply."""

    status = 502
    code = "mail_not_sent"


def _thread(entry: HotlineEntry) -> list[HotlineMessage]:
    return list(db.session.scalars(select(HotlineMessage).where(HotlineMessage.entry_id == entry.id)
                                   .order_by(HotlineMessage.at, HotlineMessage.id)))


def compose(entry: HotlineEntry, text: str, thread: list[HotlineMessage]) -> EmailMessage:
    """The reply to ``entry``'s latest incoming message, threaded with In-Reply-To and References."""
    cfg = current_app.config
    sender = cfg.get("HOTLINE_MAIL_FROM") or cfg.get("MAIL_SENDER")
    incoming = [m for m in thread if m.is_incoming]
    last = incoming[-1] if incoming else None
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = formataddr((entry.asker_name, entry.contact)) if entry.asker_name else entry.contact
    subject = (last.subject if last else entry.subject) or entry.number
    msg["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=(sender or "depot.localhost").rpartition("@")[2] or "depot.localhost")
    if last is not None:
        msg["In-Reply-To"] = last.message_id
        refs = [*last.references.split(), last.message_id]
        msg["References"] = " ".join(dict.fromkeys(refs))
    msg.set_content(text)
    return msg


def send_reply(actor, entry: HotlineEntry, text: str) -> HotlineMessage:
    """Send ``text`` to the asker of an e-mail entry, recorded in its thread; an entry still
    waiting is answered with it."""
    service.require_desk(actor)
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(_("Write the reply."), errors={"body": [_("Required.")]})
    if len(text) > log.MAX_ANSWER:
        raise ValidationFailed(_("Some fields need correcting."),
                               errors={"body": [_("At most %(n)s characters.", n=log.MAX_ANSWER)]})
    if not entry.is_email or "@" not in (entry.contact or ""):
        raise ValidationFailed(_("Only a question that came by e-mail is answered by e-mail."),
                               errors={"entry": [_("No e-mail address to reply to.")]})
    if entry.state in st.WAITING:
        log.answer(actor, entry, text)
    thread = _thread(entry)
    try:
        msg = compose(entry, text, thread)
    except ValueError:
        raise ValidationFailed(_("The asker's address cannot be written into an e-mail."),
                               errors={"contact": [_("Not a valid e-mail address.")]}) from None
    sent = HotlineMessage(entry_id=entry.id, direction="out", message_id=msg["Message-ID"],
                          in_reply_to=msg["In-Reply-To"] or "", references=msg["References"] or "",
                          sender=str(msg["From"])[:250], recipients=str(msg["To"])[:500],
                          subject=str(msg["Subject"])[:250], body=text, at=utcnow(), by=who(actor)[1])
    db.session.add(sent)
    db.session.flush()
    try:
        mail.send(msg)
    except (smtplib.SMTPException, OSError, ValueError) as err:
        logger.warning("hotline reply %s not sent: %s", entry.number, err)
        raise SendFailed(_("The reply could not be sent; try again later.")) from None
    return sent
