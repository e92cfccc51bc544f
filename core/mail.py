"""The one way Depot sends e-mail: SMTP with the MAIL_* settings (core/config.py)."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app


def send(message: EmailMessage) -> None:
    """Send one message over SMTP (STARTTLS and login when configured).

    Raises ``smtplib.SMTPException`` or ``OSError`` when the server cannot be
    reached or refuses, and ``ValueError`` for a header the mail library refuses.
    """
    cfg = current_app.config
    with smtplib.SMTP(cfg["MAIL_SERVER"], int(cfg["MAIL_PORT"]), timeout=30) as smtp:
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls()
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)
