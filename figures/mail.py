"""The monthly summary e-mail (sent with core.mail.send, the MAIL_* settings)."""
from __future__ import annotations

import re
from email.message import EmailMessage

from flask import current_app
from flask_babel import gettext as _

from core.errors import ValidationFailed

_ADDRESS_RE = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


def check_address(address: str) -> str:
    """One plain e-mail address, or a clear 422."""
    value = (address or "").strip()
    if not _ADDRESS_RE.match(value) or len(value) > 254:
        message = _("%(a)s is not an e-mail address.", a=value[:80] or "—")
        raise ValidationFailed(message, errors={"email": [message]})
    return value


def compose(report, pdf: bytes, address: str, filename: str) -> EmailMessage:
    """The summary mail: a short text body with the headline figures and the PDF attached."""
    msg = EmailMessage()
    msg["Subject"] = _("Depot figures %(p)s", p=report.period.key)
    msg["From"] = current_app.config.get("MAIL_SENDER", "depot@localhost")
    msg["To"] = address
    lines = [str(_("Depot figures: %(p)s", p=report.period.label)), str(report.scope_label), ""]
    for row in report.table("summary").rows:
        figure = row[2] if row[3] is None else f"{row[2]} / {row[3]} ({'–' if row[4] is None else f'{row[4]:.1f}%'})"
        lines.append(f"- {row[0]}: {figure}")
    lines += ["", str(_("The full summary is attached as a PDF.")), "", "— Depot"]
    msg.set_content("\n".join(lines))
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)
    return msg

