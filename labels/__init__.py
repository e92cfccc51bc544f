"""The labels package: Code 128 labels (A4 sheets, thermal rolls, ZPL) and packing slips.

``labels.render`` is the engine (no database); ``labels.sources`` turns units,
parcels, shipments, locations and parts into label specs with the access
rules; ``labels.views`` and ``labels.api`` serve the files.
"""


def init_app(app) -> None:
    """Register this package's blueprints, navigation, commands and demo data."""
    from flask_babel import lazy_gettext as _l

    from core.extensions import api as api_ext
    from core.nav import register_nav
    from labels import api, models, sources, views  # noqa: F401  (models: the printer and job tables)

    app.register_blueprint(views.bp)
    api_ext.register_blueprint(api.blp)
    register_nav(_l("Labels"), "labels.index", sources.STAFF, order=60)
