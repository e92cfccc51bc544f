"""Chase fixtures: a real SMTP server on loopback, the mailboxes of the owners, and a sweep runner."""
from __future__ import annotations

from collections import Counter

import pytest

from tests.repairs.test_sweep import smtp  # noqa: F401  (fixture: aiosmtpd on 127.0.0.1, SUPERVISOR_EMAIL set)

SUPERVISOR = "cs-boss@depot.example"
FACTORY_SHIPPING = "shipping@factory.example"


@pytest.fixture()
def departments(app):
    """The approving departments with their addresses, and the factory shipping department's mailbox."""
    from core.directory.models import Department
    from core.extensions import db

    saved = app.config.get("FACTORY_SHIPPING_EMAIL")
    app.config["FACTORY_SHIPPING_EMAIL"] = FACTORY_SHIPPING
    with app.app_context():
        for code, name in (("channel", "渠道部"), ("product", "产品部"), ("purchasing", "采购部")):
            db.session.add(Department(code=code, name=name, email=f"{code}@depot.example"))
        db.session.commit()
    yield
    app.config["FACTORY_SHIPPING_EMAIL"] = saved


@pytest.fixture()
def mailboxes(departments, smtp):  # noqa: F811
    """The loopback SMTP server's inbox, with every owner's address set up."""
    return smtp


def sweep(app, day: str, *extra: str):
    """Run ``flask depot sweep --date day``; returns the CLI result."""
    return app.test_cli_runner().invoke(args=["depot", "sweep", "--date", day, *extra])


def mails_to(inbox, address: str) -> list:
    """The messages whose recipients include ``address``."""
    return [m for rcpt, m in inbox.messages if address in rcpt]


def recipient_sets(inbox) -> Counter:
    """How many e-mails went to each recipient list."""
    return Counter(tuple(sorted(rcpt)) for rcpt, _m in inbox.messages)
