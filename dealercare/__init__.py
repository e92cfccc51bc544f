"""Dealer care (代理商回访, manual ch. 3 二.1): the new dealer's welcome call, the welcome pack and the
hand-off of the dealer's file to the channel department; and the quarterly dealer satisfaction survey
(ch. 1 3.3, ch. 3 二.1.4: ``dealercare.survey``).

A dealer created through the directory opens its welcome call on the shared task
model (due in one working day); core only announces the new dealer
(:data:`core.directory.service.dealer_created`), it never imports this package.
"""
from flask_babel import lazy_gettext as _l

from core import extensions
from core.directory.service import dealer_created
from core.nav import register_nav
from dealercare import api as dealercare_api
from dealercare import (
    chase,  # noqa: F401  (registers the survey call-backs with core.chase on import)
    greeting_api,
    greeting_views,
    greetings,
    models,  # noqa: F401
    onboarding,
    survey,
    survey_public,
    survey_views,  # noqa: F401  (the survey pages, on the dealer-care blueprint)
    tasks,  # noqa: F401  (registers the dealer-care task process on import)
    views,
)


def init_app(app) -> None:
    """Register the dealer-care pages, API and menu entry, and listen for new dealers."""
    app.config.setdefault("DEALER_DOCUMENT_MAX_BYTES", 10 * 1024 * 1024)
    app.config.setdefault("DEALER_SURVEY_RATE_LIMIT", "20 per minute")
    app.register_blueprint(views.bp)
    app.register_blueprint(survey_public.bp)
    extensions.api.register_blueprint(dealercare_api.blp)
    register_nav(_l("Dealer care"), "dealercare.index", roles=onboarding.STAFF, order=65)
    register_nav(_l("Dealer survey"), "dealercare.survey_index", roles=survey.STAFF, order=66)
    dealer_created.connect(onboarding.on_dealer_created, weak=False)
    # Birthday and holiday greetings (二.10, 2.3).
    app.register_blueprint(greeting_views.bp)
    extensions.api.register_blueprint(greeting_api.blp)
    register_nav(_l("Greetings to dealers"), "dealercare_greetings.index", roles=greetings.READERS, order=67)
