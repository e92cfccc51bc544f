"""The labels package: Code 128 labels (A4 sheets, thermal rolls, ZPL) and packing slips.

``labels.render`` is the engine (no database); ``labels.sources`` turns units,
parcels, shipments, locations and parts into label specs with the access
rules; ``labels.views`` and ``labels.api`` serve the files.
"""

from flask_babel import lazy_gettext as _l

from core import extensions
from core.nav import register_nav
from labels import api as labels_api
from labels import models, sources, views  # noqa: F401  (models: the printer and job tables)


def init_app(app) -> None:
    """Register this package's blueprints, navigation, commands and demo data."""
    app.register_blueprint(views.bp)
    extensions.api.register_blueprint(labels_api.blp)
    register_nav(_l("Labels"), "labels.index", sources.STAFF, order=60)
