"""The inventory package: spare stock, its ledger, counts, the office spare cycle and the vendor pool."""
from flask_babel import lazy_gettext as _l

from core import extensions
from core.accounts.roles import Role
from core.nav import register_nav
from inventory import api as inv_api
from inventory import cli, demo, models, views  # noqa: F401
from inventory import chase  # noqa: F401  (what `flask depot sweep` and the overdue page chase)
from inventory.reasons import reason_label


def init_app(app) -> None:
    """Register this package's blueprints, navigation, commands and demo data."""
    app.config.setdefault("INVENTORY_RECOUNT_THRESHOLD", 500)
    app.add_template_filter(reason_label, "reason_label")
    app.register_blueprint(views.bp)
    extensions.api.register_blueprint(inv_api.blp)
    staff = (Role.CLERK, Role.SERVICE, Role.SUPERVISOR, Role.OFFICE)
    register_nav(_l("Stock"), "inventory.stock", staff, order=20)
    register_nav(_l("Movements"), "inventory.movements", staff, order=21)
    register_nav(_l("Counts"), "inventory.counts", staff + (Role.CHANNEL,), order=22)  # channel: spot checks
    register_nav(_l("Office requests"), "inventory.requests", staff, order=23)
    register_nav(_l("Vendor pool"), "inventory.vendor_pool", (Role.CLERK, Role.SERVICE, Role.SUPERVISOR), order=24)
