"""The overdue sweep: e-mail the factory contact and the CS supervisor about overdue units.

Safe to run any number of times (cron): each unit is mailed at most once per
day. The notice rows are written before the mail is sent, in the same
transaction, so a failed send leaves nothing recorded (the next run retries)
and two overlapping runs cannot both claim the same unit.
"""
from __future__ import annotations

import smtplib
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app
from sqlalchemy import insert, select

from core.calendar import local_today, working_days_between
from core.extensions import db
from repairs import states as st
from repairs.models import OverdueNotice, RepairUnit
from repairs.service import overdue_units


@dataclass
class MailGroup:
    """One e-mail: a factory's overdue units (or CS's own), to its recipients."""

    key: str
    title: str
    recipients: list[str]
    units: list[RepairUnit] = field(default_factory=list)


def plan(today: date | None = None) -> list[MailGroup]:
    """Overdue units not yet mailed today, grouped by whom to tell."""
    today = today or local_today()
    supervisor = current_app.config.get("SUPERVISOR_EMAIL")
    done = set(db.session.scalars(select(OverdueNotice.unit_id).where(OverdueNotice.day == today)))
    groups: dict[str, MailGroup] = {}
    for unit in overdue_units(None, today=today):
        if unit.id in done:
            continue
        factory = unit.route.factory if unit.route is not None else None
        if unit.state == st.AT_FACTORY and factory is not None:
            # The factory owes the repair: tell its contact, and the supervisor.
            key = f"factory:{factory.id}"
            recipients = [r for r in (factory.email, supervisor) if r]
            title = factory.name
        else:
            # Not sent yet, or back and not shipped: customer service's own lateness.
            key = "cs"
            recipients = [r for r in (supervisor,) if r]
            title = "客服部 / Customer service"
        group = groups.setdefault(key, MailGroup(key, title, recipients))
        group.units.append(unit)
    return [g for g in groups.values() if g.recipients and g.units]


def compose(group: MailGroup, today: date) -> EmailMessage:
    """The overdue e-mail of one group, in Chinese and English (the readers are both)."""
    base = current_app.config.get("DEPOT_BASE_URL", "").rstrip("/")
    msg = EmailMessage()
    title = " ".join(group.title.split())  # a name is one line in a header, whatever was stored
    msg["Subject"] = f"[Depot] 返修超期 Overdue repairs: {len(group.units)} unit(s) — {title} — {today.isoformat()}"
    msg["From"] = current_app.config.get("MAIL_SENDER", "depot@localhost")
    msg["To"] = ", ".join(group.recipients)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="depot")
    lines = [
        "以下返修品已超过期限，请尽快处理。",
        "The following repair units are past their due date; please act on them today.",
        "",
    ]
    for unit in group.units:
        due = unit.next_due
        late = working_days_between(due, today) if due else 0
        clock = "寄往工厂 dispatch" if unit.state in st.DISPATCH_CLOCK else "寄回代理商 ship back"
        lines.append(
            f"- {unit.serial}  {unit.model}  {unit.parcel.rma_number}  {unit.parcel.dealer.name}  "
            f"[{unit.state}]  {clock} due {due.isoformat() if due else '-'}  ({late} working day(s) late)  "
            f"{base}/repairs/units/{unit.id}"
        )
    lines += ["", "— Depot"]
    msg.set_content("\n".join(lines))
    return msg


def send(message: EmailMessage) -> None:
    """Send one message over SMTP with the MAIL_* settings."""
    cfg = current_app.config
    with smtplib.SMTP(cfg["MAIL_SERVER"], int(cfg["MAIL_PORT"]), timeout=30) as smtp:
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls()
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)


def record(group: MailGroup, today: date) -> None:
    """Claim the group's units for today (flush; unique per unit and day)."""
    db.session.execute(insert(OverdueNotice.__table__), [
        {"unit_id": u.id, "day": today, "recipients": ", ".join(group.recipients)[:400]} for u in group.units
    ])
    db.session.flush()
