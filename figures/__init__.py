"""Figures (DOMAIN.md A.8, C.2): weekly and monthly reports, a dashboard, CSV/XLSX/PDF exports.

Reads repairs, inventory and shipments records; nothing here writes them.

Charting: the dashboard uses Chart.js (MIT, maintained), vendored from the npm
registry as ``static/vendor/chart.umd.min.js`` with its licence. It runs in
the browser without any CDN, so it works offline and under the strict CSP
(``script-src 'self'``, no inline script): ``static/figures.js`` finds each
``<canvas data-src=...>`` and fetches that chart's numbers as JSON from the
same origin. The same numbers are one click away as an HTML table (and CSV),
which also serves readers without script. Server-side SVG was the
alternative; Chart.js gives tooltips, legends that toggle series, and
responsive sizing for free, and keeps the Python side to plain data.
"""

from flask_babel import lazy_gettext as _l

from core import extensions
from core.nav import register_nav
from figures import api as figures_api
from figures import (
    cli,  # noqa: F401  (adds `flask depot report`)
    models,  # noqa: F401  (the period indexes on repair_unit / return_parcel)
    service,
    views,
)


def init_app(app) -> None:
    """Register the figures pages, API, menu entry and the ``flask depot report`` command."""
    app.register_blueprint(views.bp)
    extensions.api.register_blueprint(figures_api.blp)
    register_nav(_l("Figures"), "figures.dashboard", roles=service.VIEWER_ROLES, order=70)
