"""The hotline and e-mail desk (热线邮件, DOMAIN.md E, manual ch. 3 part 二, 4): the log of every
question by brand and category, the standard answers library, questions sent to a department
(one working day), and the service mailbox read over IMAP and answered over SMTP."""
from flask_babel import lazy_gettext as _l

from core import extensions
from core.audit.labels import register_value_labels
from core.nav import register_nav
from hotline import api as hotline_api
from hotline import (
    chase,  # noqa: F401  (what the overdue page and the sweep chase)
    cli,  # noqa: F401  (adds `flask depot hotline fetch-mail`)
    demo,  # noqa: F401  (registers the demo loader)
    models,  # noqa: F401
    service,
    tasks,  # noqa: F401  (registers the hotline task process on import)
    views,
)
from hotline import states as st


def init_app(app) -> None:
    """Register the hotline pages, API, navigation and the words of its stored values."""
    register_value_labels("hotline_entry", "state", st.EntryState.labels())
    register_value_labels("hotline_entry", "asker", st.Asker.labels())
    register_value_labels("hotline_entry", "channel", st.Channel.labels())
    register_value_labels("hotline_entry", "category", st.Category.labels())
    register_value_labels("hotline_answer", "category", st.Category.labels())
    app.config.setdefault("HOTLINE_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024)
    app.register_blueprint(views.bp)
    extensions.api.register_blueprint(hotline_api.blp)
    register_nav(_l("Hotline"), "hotline.index", roles=service.READERS, order=27)
