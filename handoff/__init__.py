"""Internal hand-off letters (部门工作提交函, manual ch. 3 三.一, 附件2): one department hands work
to another with a committed completion date.

Stands on core alone: the letter's life cycle on :mod:`core.workflow`, the receiving
department's work as a :mod:`core.tasks` task (tasks page, overdue page and sweep through
:mod:`core.chase`), working days from :mod:`core.calendar`.
"""
from flask_babel import lazy_gettext as _l

from core import extensions
from core.nav import register_nav
from handoff import api as handoff_api
from handoff import (
    chase,  # noqa: F401  (registers the chase provider on import)
    models,  # noqa: F401
    tasks,  # noqa: F401  (registers the task process on import)
    views,
)
from handoff import states as st


def init_app(app) -> None:
    """Register the hand-off letter pages, API and menu entry."""
    app.register_blueprint(views.bp)
    extensions.api.register_blueprint(handoff_api.blp)
    register_nav(_l("Hand-off letters"), "handoff.index", roles=st.DESK, order=66)
