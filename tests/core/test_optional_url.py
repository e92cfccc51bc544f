"""``optional_url``: one helper in core that templates of every package use for links to another package."""
from __future__ import annotations

from core.nav import optional_url


def test_a_link_to_a_registered_endpoint_or_none(app):
    with app.test_request_context():
        assert optional_url("shipments.detail", number="SH1") == "/shipments/SH1"
        assert optional_url("no_such.endpoint") is None
        assert app.jinja_env.globals["optional_url"] is optional_url
