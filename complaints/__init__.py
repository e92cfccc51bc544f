"""Dealer complaints (客诉, DOMAIN.md E; manual ch. 3 part 6, forms 附件6-9): three tiers, the internal
letter to the department, the signed handling report, the GM assistant's approval, the return visit."""
from flask_babel import lazy_gettext as _l

from complaints import api as complaints_api
from complaints import (
    chase,  # noqa: F401  (what the overdue page and `flask depot sweep` chase)
    demo,  # noqa: F401  (registers the demo loader)
    models,  # noqa: F401
    service,
    tasks,  # noqa: F401  (registers the complaints task process on import)
    views,
)
from complaints import states as st
from core import extensions
from core.audit.labels import register_value_labels
from core.nav import register_nav


def init_app(app) -> None:
    """Register the complaint pages, the API, the menu entry and the audit log's words."""
    register_value_labels("complaint", "state", st.ComplaintState.labels())
    register_value_labels("complaint", "tier", st.Tier.labels())
    app.config.setdefault("COMPLAINT_MAX_ATTACHMENT_BYTES", 5 * 1024 * 1024)
    app.register_blueprint(views.bp)
    extensions.api.register_blueprint(complaints_api.blp)
    register_nav(_l("Complaints"), "complaints.index", roles=service.READER_ROLES, order=27)
