"""The service mailbox (4.1.1): e-mails fetched over IMAP become log entries with channel e-mail.

- Threads: a message whose In-Reply-To or References names a message Depot already holds
  (received or sent as a reply) joins that entry; an answered entry opens again.
- Once only: ``hotline_message.message_id`` is unique, each message is committed on its own
  together with the mailbox's last UID, so a repeated or interrupted fetch never imports a
  message twice (a message without a Message-ID is known by a digest of its bytes).
- Any charset (GBK, GB18030, Big5, ...) is decoded by the ``email`` package; attachments are
  kept with the record under ``UPLOAD_FOLDER/hotline/`` (``core.stored_files``).
"""
from __future__ import annotations

import hashlib
import imaplib
import logging
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.authz import SYSTEM
from core.directory.models import Brand, Dealer
from core.errors import DomainError, ValidationFailed
from core.extensions import db
from core.stored_files import write_file
from core.types import utcnow
from hotline import log
from hotline import states as st
from hotline.models import HotlineAttachment, HotlineEntry, HotlineMessage, MailboxState

logger = logging.getLogger("depot.hotline")

_MSGID = re.compile(r"<[^<>\s]+>")
DEFAULT_MAX_ATTACHMENT = 10 * 1024 * 1024
MAX_ATTACHMENTS = 20


class MailboxError(DomainError):
    """The mailbox cannot be reached or refuses (a 502 for whoever asked)."""

    status = 502
    code = "mailbox_unavailable"


@dataclass
class FetchResult:
    """What one fetch did."""

    new_entries: int = 0
    joined: int = 0
    duplicates: int = 0
    refused: int = 0


# --------------------------------------------------------------------------- one message

def message_ids(value: str | None) -> list[str]:
    """The ``<...>`` ids in a Message-ID, In-Reply-To or References header, in order."""
    return _MSGID.findall(str(value or ""))


def _message_id(msg: EmailMessage, raw: bytes) -> str:
    found = message_ids(msg.get("Message-ID"))
    if found:
        return found[0][:250]
    # Without a Message-ID the message is known by its bytes: fetched again, it is the same.
    return f"<{hashlib.sha256(raw).hexdigest()}@no-message-id.depot>"


def _decoded(part) -> str:
    """A text part's words, whatever charset it declares (an unknown charset is read as GB18030,
    then with replacement characters rather than refused)."""
    try:
        return part.get_content()
    except (LookupError, UnicodeDecodeError):
        payload = part.get_payload(decode=True) or b""
        for charset in (part.get_content_charset() or "", "gb18030", "utf-8"):
            try:
                return payload.decode(charset) if charset else payload.decode("gb18030")
            except (LookupError, UnicodeDecodeError):
                continue
        return payload.decode("utf-8", errors="replace")


def body_text(msg: EmailMessage) -> str:
    """The message's text: its plain part, else its HTML part with the tags taken out."""
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = _decoded(part)
    if part.get_content_subtype() == "html":
        text = re.sub(r"(?is)<(script|style).*?</\1>", " ", text)
        text = re.sub(r"(?s)<[^>]+>", " ", text)
        text = re.sub(r"[ \t\r\f\v]+", " ", text)
    return text.replace("\r\n", "\n").strip()


def _header(msg: EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
    except (ValueError, IndexError):   # a header the library cannot parse: treated as absent
        return ""
    return " ".join(str(value or "").split())


def _sender(msg: EmailMessage) -> tuple[str, str]:
    """(display name, address) of the From header, decoded."""
    try:
        addresses = getattr(msg.get("From"), "addresses", ())
    except (ValueError, IndexError):
        addresses = ()
    if addresses:
        return str(addresses[0].display_name or ""), str(addresses[0].addr_spec or "")
    return parseaddr(_header(msg, "From"))


def _asked_at(msg: EmailMessage) -> datetime:
    now = utcnow()
    try:
        sent = parsedate_to_datetime(_header(msg, "Date"))
    except (TypeError, ValueError, IndexError):
        return now
    if sent is None or sent.tzinfo is None or sent > now or sent.year < 2000:
        return now
    return sent.astimezone(UTC)


def _brand_for(*texts: str) -> int | None:
    """The brand a message names (its code or name in the address or subject), if exactly one."""
    haystack = " ".join(texts).lower()
    found = [b.id for b in db.session.scalars(select(Brand).where(Brand.active.is_(True)))
             if b.code.lower() in haystack or (b.name and b.name.lower() in haystack)]
    return found[0] if len(found) == 1 else None


def _dealer_for(address: str) -> int | None:
    if not address:
        return None
    return db.session.scalar(select(Dealer.id).where(Dealer.email == address).limit(1))


def _thread_entry(refs: list[str]) -> HotlineEntry | None:
    if not refs:
        return None
    entry_id = db.session.scalar(select(HotlineMessage.entry_id).where(HotlineMessage.message_id.in_(refs[-50:]))
                                 .order_by(HotlineMessage.id.desc()).limit(1))
    return db.session.get(HotlineEntry, entry_id) if entry_id is not None else None


def _folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "hotline"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _keep_attachments(msg: EmailMessage, entry: HotlineEntry, message: HotlineMessage) -> None:
    limit = int(current_app.config.get("HOTLINE_MAX_ATTACHMENT_BYTES") or DEFAULT_MAX_ATTACHMENT)
    for count, part in enumerate(msg.iter_attachments()):
        if count >= MAX_ATTACHMENTS:
            logger.warning("%s: more than %s attachments, the rest not kept", message.message_id, MAX_ATTACHMENTS)
            break
        data = part.get_payload(decode=True) or b""
        if not data or len(data) > limit:
            logger.warning("%s: attachment of %s bytes not kept", message.message_id, len(data))
            continue
        original = os.path.basename(str(part.get_filename() or "").replace("\\", "/")).strip()[:200]
        suffix = Path(original).suffix.lower()
        ext = suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ".bin"
        stored = f"{secrets.token_hex(16)}{ext}"
        write_file(db.session(), _folder() / stored, data)
        db.session.add(HotlineAttachment(entry_id=entry.id, message_id=message.id, stored_name=stored,
                                         original_name=original, content_type=part.get_content_type()[:100],
                                         size=len(data), sha256=hashlib.sha256(data).hexdigest()))
    db.session.flush()


def import_message(raw: bytes) -> tuple[str, HotlineEntry | None]:
    """Import one e-mail: ("new", entry), ("joined", entry) or ("duplicate", None). Flushes only."""
    msg = message_from_bytes(raw, policy=policy.default)
    message_id = _message_id(msg, raw)
    if db.session.scalar(select(HotlineMessage.id).where(HotlineMessage.message_id == message_id)) is not None:
        return "duplicate", None
    in_reply_to = message_ids(_header(msg, "In-Reply-To"))
    references = message_ids(_header(msg, "References"))
    sender_name, sender = _sender(msg)
    recipients = ", ".join(a for _n, a in getaddresses([_header(msg, "To"), _header(msg, "Cc")]) if a)
    subject = _header(msg, "Subject")[:250]
    text = body_text(msg)
    asked_at = _asked_at(msg)
    savepoint = db.session.begin_nested()
    try:
        entry = _thread_entry([*references, *in_reply_to])
        outcome = "joined" if entry is not None else "new"
        if entry is None:
            dealer_id = _dealer_for(sender)
            entry = log.log_question(
                SYSTEM, asker=st.Asker.DEALER if dealer_id else st.Asker.END_CUSTOMER, channel=st.Channel.EMAIL,
                category=st.Category.OTHER, question=(text or subject or _("(no text)"))[:log.MAX_QUESTION],
                brand_id=_brand_for(recipients, subject), asker_name=sender_name[:120], contact=sender[:200],
                dealer_id=dealer_id, subject=subject, asked_at=asked_at)
        message = HotlineMessage(entry_id=entry.id, direction="in", message_id=message_id,
                                 in_reply_to=(in_reply_to[0] if in_reply_to else "")[:250],
                                 references=" ".join(references), sender=sender[:250], recipients=recipients[:500],
                                 subject=subject, body=text, at=asked_at, by="")
        db.session.add(message)
        db.session.flush()
        if outcome == "joined" and entry.state == st.ANSWERED:
            log.reopen(SYSTEM, entry, _("The asker wrote again: %(subject)s", subject=subject))
        savepoint.commit()
    except IntegrityError:
        # The same message imported by another fetch a moment ago.
        savepoint.rollback()
        return "duplicate", None
    _keep_attachments(msg, entry, message)
    return outcome, entry


# --------------------------------------------------------------------------- the mailbox

def _settings() -> dict:
    cfg = current_app.config
    if not cfg.get("IMAP_HOST") or not cfg.get("IMAP_USER"):
        raise ValidationFailed(_("No service mailbox is set up (DEPOT_IMAP_HOST, DEPOT_IMAP_USER)."))
    return {"host": cfg["IMAP_HOST"], "port": int(cfg.get("IMAP_PORT") or 993), "ssl": bool(cfg.get("IMAP_SSL")),
            "user": cfg["IMAP_USER"], "password": cfg.get("IMAP_PASSWORD") or "",
            "mailbox": cfg.get("IMAP_MAILBOX") or "INBOX"}


def _connect(s: dict) -> imaplib.IMAP4:
    cls = imaplib.IMAP4_SSL if s["ssl"] else imaplib.IMAP4
    try:
        imap = cls(s["host"], s["port"], timeout=30)
        imap.login(s["user"], s["password"])
        typ, _data = imap.select(s["mailbox"], readonly=True)
    except (OSError, imaplib.IMAP4.error) as err:
        logger.warning("IMAP %s:%s: %s", s["host"], s["port"], err)
        raise MailboxError(_("The service mailbox cannot be read now.")) from None
    if typ != "OK":
        imap.logout()
        raise MailboxError(_("The service mailbox cannot be read now."))
    return imap


def _uid_validity(imap: imaplib.IMAP4) -> int:
    _typ, data = imap.response("UIDVALIDITY")
    try:
        return int(data[0])
    except (TypeError, ValueError, IndexError):
        return 0


def _mailbox_state(key: str) -> MailboxState:
    state = db.session.scalar(select(MailboxState).where(MailboxState.mailbox == key))
    if state is None:
        state = MailboxState(mailbox=key, uid_validity=0, last_uid=0)
        db.session.add(state)
        db.session.flush()
    return state


def fetch_mail(commit: Callable[[], None], rollback: Callable[[], None]) -> FetchResult:
    """Fetch the messages the mailbox received since the last fetch and import each once.

    ``commit`` is called after every message (with the mailbox's last UID moved on), so an
    interrupted fetch keeps what it imported and the next one goes on from there; the unique
    Message-ID catches a message seen again (a new UIDVALIDITY, the same mail delivered twice).
    A message the log refuses is counted and passed over; anything else stops the fetch.
    """
    s = _settings()
    result = FetchResult()
    imap = _connect(s)
    try:
        key = f"{s['user']}@{s['host']}/{s['mailbox']}"[:200]
        state = _mailbox_state(key)
        validity = _uid_validity(imap)
        if validity != state.uid_validity:
            state.uid_validity, state.last_uid = validity, 0
        commit()
        typ, data = imap.uid("SEARCH", None, f"UID {state.last_uid + 1}:*")
        if typ != "OK":
            raise MailboxError(_("The service mailbox cannot be read now."))
        uids = sorted(int(u) for u in (data[0] or b"").split() if int(u) > state.last_uid)
        for uid in uids:
            typ, parts = imap.uid("FETCH", str(uid), "(BODY.PEEK[])")
            raw = next((p[1] for p in parts or [] if isinstance(p, tuple) and len(p) > 1), None)
            if typ != "OK" or raw is None:
                raise MailboxError(_("The service mailbox cannot be read now."))
            try:
                outcome, _entry = import_message(raw)
            except ValidationFailed as err:
                rollback()
                logger.warning("mail UID %s not imported: %s %s", uid, err.message, err.errors)
                outcome = "refused"
                state = _mailbox_state(key)
            state.last_uid = uid
            state.fetched_at = utcnow()
            commit()
            if outcome == "new":
                result.new_entries += 1
            elif outcome == "joined":
                result.joined += 1
            elif outcome == "duplicate":
                result.duplicates += 1
            else:
                result.refused += 1
    except (OSError, imaplib.IMAP4.error) as err:
        logger.warning("IMAP %s:%s: %s", s["host"], s["port"], err)
        raise MailboxError(_("The service mailbox cannot be read now.")) from None
    finally:
        try:
            imap.logout()
        except (OSError, imaplib.IMAP4.error):
            pass
    return result
