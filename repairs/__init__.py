"""After-sales repairs (售后返修): from the dealer's parcel back to the dealer (DOMAIN.md A)."""


def init_app(app) -> None:
    """Register this package's blueprints, navigation, commands and demo data."""
    from flask_babel import lazy_gettext as _l

    from core.accounts.roles import Role
    from core.extensions import api
    from core.nav import register_nav
    from repairs import models  # noqa: F401
    from repairs import api as repairs_api
    from repairs import chase  # noqa: F401  (what `flask depot sweep` and the overdue page chase)
    from repairs import demo  # noqa: F401  (registers the demo loader)
    from repairs import public, views
    from repairs.notices import DATA_WIPE

    app.register_blueprint(views.bp)
    app.register_blueprint(public.bp)
    # The data-wipe notice, one text for every page that shows it (repairs/_data_wipe_notice.html).
    app.add_template_global(DATA_WIPE, "DATA_WIPE")
    api.register_blueprint(repairs_api.blp)
    hands = (Role.CLERK, Role.SERVICE, Role.SUPERVISOR)
    register_nav(_l("Scan station"), "repairs.scan_station", roles=(Role.CLERK,), order=20)
    register_nav(_l("Return parcels"), "repairs.parcels", roles=hands + (Role.OFFICE,), order=21)
    register_nav(_l("Where is my unit?"), "repairs.lookup", roles=hands + (Role.OFFICE,), order=22)
    register_nav(_l("Dealer tasks"), "repairs.tasks", roles=(Role.SERVICE, Role.SUPERVISOR, Role.OFFICE), order=23)
    register_nav(_l("Overdue repairs"), "repairs.overdue", roles=(Role.SUPERVISOR, Role.SERVICE), order=24)
    register_nav(_l("Repair prices"), "repairs.prices", roles=(Role.SUPERVISOR,), order=60)
    register_nav(_l("Serial patterns"), "repairs.serial_patterns", roles=(Role.SUPERVISOR,), order=61)
