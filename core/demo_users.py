"""The demo logins: one user per role (``flask depot demo`` creates them and lists them)."""
from __future__ import annotations

# (username, roles, office code) — the password is "<username>-demo".
DEMO_USERS = [
    ("admin", ["admin"], None),
    ("supervisor", ["supervisor"], None),
    ("service", ["service"], None),
    ("clerk", ["clerk"], None),
    ("office-bj", ["office"], "BJ"),
    ("office-sh", ["office"], "SH"),
    ("channel", ["channel"], None),
    ("product", ["product"], None),
    ("finance", ["finance"], None),
    ("commerce", ["commerce"], None),
    ("sales", ["sales"], None),
    ("purchasing", ["purchasing"], None),
]


def demo_password(username: str) -> str:
    """A demo user's password."""
    return f"{username}-demo"
