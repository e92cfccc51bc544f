"""DOA new-unit exchanges (新品换货, DOMAIN.md B): apply first, ship after; a replacement or a refund."""


def init_app(app) -> None:
    """Register the DOA pages, the dealer's no-login pages, the API, navigation and demo data."""
    from flask_babel import lazy_gettext as _l

    from core.accounts.roles import Role
    from core.extensions import api
    from core.nav import register_nav
    from repairs.doa import models  # noqa: F401
    from repairs.doa import api as doa_api
    from repairs.doa import demo  # noqa: F401  (registers the demo loader)
    from repairs.doa import public, service, views
    from repairs.doa import chase  # noqa: F401  (what `flask depot sweep` and the overdue page chase)
    from core.audit.labels import register_value_labels
    from core.task_states import TASK_STATUS_LABELS
    from repairs.doa import states

    register_value_labels("doa_application", "state", states.STATE_LABELS)
    register_value_labels("doa_application", "request", states.REQUEST_LABELS)
    register_value_labels("doa_application", "channel_decision", states.DECISION_LABELS)
    register_value_labels("doa_application", "product_decision", states.DECISION_LABELS)
    register_value_labels("doa_task", "kind", states.TASK_KIND_LABELS)
    register_value_labels("doa_task", "status", TASK_STATUS_LABELS)
    register_value_labels("doa_task", "resolution", states.TASK_RESOLUTION_LABELS)
    register_value_labels("doa_hold", "status", views.HOLD_STATUS_LABELS)
    register_value_labels("doa_hold", "reason", views.HOLD_REASON_LABELS)

    app.config.setdefault("DOA_MAX_ATTACHMENT_BYTES", 5 * 1024 * 1024)
    app.config.setdefault("DOA_WINDOW_DAYS", service.DOA_WINDOW_DAYS)
    app.config.setdefault("DOA_PUBLIC_RATE_LIMIT", "10 per minute")
    app.register_blueprint(views.bp)
    app.register_blueprint(public.bp)
    api.register_blueprint(doa_api.blp)
    register_nav(_l("DOA exchanges"), "doa.index", roles=service.READER_ROLES, order=25)
    register_nav(_l("DOA receive"), "doa.receive_station", roles=(Role.CLERK,), order=26)
