"""The end customer's personal data on a mediation agreement: encrypted, masked, validated.

The ID number is encrypted with Fernet (``cryptography``) before it reaches the
database, under ``DEPOT_PII_KEY`` (a Fernet key) or, without one, a key derived from
the app's ``SECRET_KEY``: a dump of the database alone does not reveal it. Name,
address, phone and ID number are shown in full only to the roles that need them
(the supervisor and the GM's assistant); everyone else, and every list, gets masks.
"""
from __future__ import annotations

import base64
import hashlib
import re

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

from core.accounts.roles import Role

# Who sees the customer's personal data in full (admins pass every role check).
PII_ROLES = (Role.SUPERVISOR, Role.GM_ASSISTANT)

ID_RE = re.compile(r"^\d{17}[\dX]$")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def _fernet() -> Fernet:
    key = current_app.config.get("DEPOT_PII_KEY")
    if key:
        return Fernet(key.encode() if isinstance(key, str) else key)
    # Derived, so a deployment without its own key still never stores the number in clear.
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"depot-pii\x00" + secret).digest()))


def encrypt(text: str) -> str:
    """The Fernet token of ``text`` ("" stays "")."""
    return _fernet().encrypt(text.encode()).decode() if text else ""


def decrypt(token: str) -> str:
    """The text of a token written by :func:`encrypt`; "" when it cannot be read with this key."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return ""


def normalise_id_number(value: str) -> str:
    """A resident ID number as stored: no spaces, upper-case X."""
    return re.sub(r"\s+", "", value or "").upper()


def id_number_problem(value: str) -> str | None:
    """Why ``value`` is no 18-digit resident ID number (GB 11643 check digit), or None."""
    if not ID_RE.match(value):
        return "shape"
    total = sum(int(d) * w for d, w in zip(value[:17], _WEIGHTS))
    return None if _CHECK[total % 11] == value[17] else "check"


def may_see(actor) -> bool:
    """Whether ``actor`` may read the customer's personal data in full."""
    return actor is not None and actor.has_role(*PII_ROLES)


def mask_name(name: str) -> str:
    """王伟 -> 王*; keeps the family name only."""
    name = (name or "").strip()
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""


def mask_phone(phone: str) -> str:
    """13800001234 -> 138****1234."""
    digits = (phone or "").strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 8 else "*" * (len(digits) - 4) + digits[-4:]


def mask_address(address: str) -> str:
    """The first six characters (province, city), the rest hidden."""
    address = (address or "").strip()
    return address[:6] + "***" if len(address) > 6 else ("***" if address else "")


def mask_id_number(_value: str = "") -> str:
    """An ID number is never shown even in part to those without the need."""
    return "*" * 18
