"""The inventory package: spare stock, its ledger, counts, the office spare cycle and the vendor pool."""
from flask_babel import lazy_gettext as _l

from core import extensions
from core.accounts.roles import Role
from core.audit.labels import register_value_labels
from core.directory.brands import register_catalogue_brands
from core.nav import register_nav
from inventory import api as inv_api
from inventory import (  # noqa: F401
    chase,  # noqa: F401  (what `flask depot sweep` and the overdue page chase)
    cli,
    counts,  # noqa: F401
    demo,
    models,
    service,
    spares,
    vendor,
    views,
)
from inventory.reasons import reason_label, ref_type_label


def init_app(app) -> None:
    """Register this package's blueprints, navigation, commands and demo data."""



    # A unit whose model is in the catalogue with a brand is that brand's (core.directory.brands).
    register_catalogue_brands(service.catalogue_brands)
    register_value_labels("inv_count", "status", counts.STATUS_LABELS)
    register_value_labels("inv_spare_request", "status", spares.REQUEST_STATUS_LABELS)
    register_value_labels("inv_office_return", "status", spares.RETURN_STATUS_LABELS)
    register_value_labels("inv_vendor_batch", "status", vendor.BATCH_STATUS_LABELS)

    app.config.setdefault("INVENTORY_RECOUNT_THRESHOLD", counts.RECOUNT_THRESHOLD)
    app.add_template_filter(reason_label, "reason_label")
    app.add_template_filter(ref_type_label, "ref_type_label")
    app.register_blueprint(views.bp)
    extensions.api.register_blueprint(inv_api.blp)
    staff = (Role.CLERK, Role.SERVICE, Role.SUPERVISOR, Role.OFFICE)
    register_nav(_l("Stock"), "inventory.stock", staff, order=20)
    register_nav(_l("Movements"), "inventory.movements", staff, order=21)
    register_nav(_l("Counts"), "inventory.counts", staff + (Role.CHANNEL,), order=22)  # channel: spot checks
    register_nav(_l("Office requests"), "inventory.requests", staff, order=23)
    register_nav(_l("Vendor pool"), "inventory.vendor_pool", (Role.CLERK, Role.SERVICE, Role.SUPERVISOR), order=24)
