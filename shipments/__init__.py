"""The shipments package: every leg a unit or spare travels, receipts, freight bills."""
import os

from flask_babel import lazy_gettext as _l

from core import extensions
from core.accounts.roles import Role
from core.audit.labels import register_value_labels
from core.nav import register_nav
from shipments import api as shipments_api
from shipments import (  # noqa: F401  (models: metadata; cli, demo: register)
    chase,  # noqa: F401  (what `flask depot sweep` and the overdue page chase)
    cli,
    demo,
    models,
    views,
)


def init_app(app) -> None:
    """Register this package's blueprints, navigation, commands and demo data."""


    register_value_labels("shipment", "status", views.STATUS_LABELS)
    register_value_labels("shipment", "leg", views.LEG_LABELS)
    register_value_labels("shipment", "paying_account", views.ACCOUNT_LABELS)
    register_value_labels("shipment_line", "receive_state", views.LINE_STATE_LABELS)
    register_value_labels("shipment_line", "kind", {"unit": _l("unit"), "part": _l("part")})
    register_value_labels("freight_bill", "status", views.BILL_STATUS_LABELS)

    # The factory shipping department's mailbox: overdue waybill reports are mailed there.
    app.config.setdefault("FACTORY_SHIPPING_EMAIL", os.environ.get("DEPOT_FACTORY_SHIPPING_EMAIL"))

    app.register_blueprint(views.bp)
    extensions.api.register_blueprint(shipments_api.blp)
    staff = (Role.CLERK, Role.SERVICE, Role.SUPERVISOR, Role.OFFICE)
    register_nav(_l("Shipments"), "shipments.index", staff, order=30)
    register_nav(_l("Receive"), "shipments.receive_start", staff, order=31)
    register_nav(_l("Late reports"), "shipments.late_reports", (Role.CLERK, Role.SERVICE, Role.SUPERVISOR), order=32)
    register_nav(_l("Freight bills"), "shipments.freight_bills", (Role.SUPERVISOR,), order=33)
