"""DOA new-unit exchanges (新品换货, DOMAIN.md B): apply first, ship after; a replacement or a refund."""


def init_app(app) -> None:
    """Register the DOA pages, the dealer's no-login pages, the API, navigation and demo data."""
    from flask_babel import lazy_gettext as _l

    from core.accounts.roles import Role
    from core.extensions import api
    from core.nav import register_nav
    from doa import models  # noqa: F401
    from doa import api as doa_api
    from doa import demo  # noqa: F401  (registers the demo loader)
    from doa import public, service, views
    from doa import chase  # noqa: F401  (what `flask depot sweep` and the overdue page chase)

    app.config.setdefault("DOA_MAX_ATTACHMENT_BYTES", 5 * 1024 * 1024)
    app.config.setdefault("DOA_WINDOW_DAYS", service.DOA_WINDOW_DAYS)
    app.config.setdefault("DOA_PUBLIC_RATE_LIMIT", "10 per minute")
    app.register_blueprint(views.bp)
    app.register_blueprint(public.bp)
    api.register_blueprint(doa_api.blp)
    register_nav(_l("DOA exchanges"), "doa.index", roles=service.READER_ROLES, order=25)
    register_nav(_l("DOA receive"), "doa.receive_station", roles=(Role.CLERK,), order=26)
