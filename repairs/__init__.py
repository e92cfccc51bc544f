"""After-sales repairs (售后返修): from the dealer's parcel back to the dealer (DOMAIN.md A)."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core import extensions
from core.accounts.roles import Role
from core.audit.labels import register_value_labels
from core.directory.brands import register_branded_units
from core.handover import register_repair_intake
from core.lookup import register_model_names
from core.nav import register_nav
from repairs import api as repairs_api
from repairs import (
    chase,  # noqa: F401  (what `flask depot sweep` and the overdue page chase)
    demo,  # noqa: F401  (registers the demo loader)
    models,
    public,
    receiving,
    views,
)
from repairs.notices import DATA_WIPE


def _priced_models():
    """The models on the paid-repair price list (the "*" default row is no model)."""
    price = models.RepairPrice
    return select(price.model).where(price.model != "*", price.model != "")


def init_app(app) -> None:
    """Register this package's blueprints, navigation, commands and demo data, and what it
    offers other processes (taking a unit in as a repair, the priced models)."""


    # `flask depot fill-brands` gives its units recorded without a brand their model's brand.
    register_branded_units(models.RepairUnit.__table__)
    register_value_labels("return_parcel", "source", views.SOURCE_LABELS)

    app.register_blueprint(views.bp)
    app.register_blueprint(public.bp)
    # The data-wipe notice, one text for every page that shows it (repairs/_data_wipe_notice.html).
    app.add_template_global(DATA_WIPE, "DATA_WIPE")
    extensions.api.register_blueprint(repairs_api.blp)
    hands = (Role.CLERK, Role.SERVICE, Role.SUPERVISOR)
    register_nav(_l("Scan station"), "repairs.scan_station", roles=(Role.CLERK,), order=20)
    register_nav(_l("Return parcels"), "repairs.parcels", roles=hands + (Role.OFFICE,), order=21)
    register_nav(_l("Where is my unit?"), "repairs.lookup", roles=hands + (Role.OFFICE,), order=22)
    register_nav(_l("Overdue repairs"), "repairs.overdue", roles=(Role.SUPERVISOR, Role.SERVICE), order=24)
    register_nav(_l("Repair prices"), "repairs.prices", roles=(Role.SUPERVISOR,), order=60)
    register_nav(_l("Serial patterns"), "repairs.serial_patterns", roles=(Role.SUPERVISOR,), order=61)
    register_repair_intake(receiving.open_received_repair)
    register_model_names(_priced_models)
