"""DOA new-unit exchanges (新品换货, DOMAIN.md B): apply first, ship after; a replacement or a refund."""
from flask_babel import lazy_gettext as _l

from core import extensions
from core.accounts.roles import Role
from core.audit.labels import register_value_labels
from core.directory.brands import register_branded_units
from core.lookup import register_lookup
from core.nav import register_nav
from core.open_records import OpenRecords, register_open_records
from core.scan_modes import register_scan_mode
from doa import api as doa_api
from doa import (
    applications,
    chase,  # noqa: F401  (what `flask depot sweep` and the overdue page chase)
    demo,  # noqa: F401  (registers the demo loader)
    lookup,
    models,
    public,
    receipt,
    service,
    tasks,  # noqa: F401  (registers the DOA task process on import)
    views,
)
from doa import states as st

# The scan station's DOA receive mode is registered on import, before any package's init_app:
# the app factory imports every package first, so the repairs API documents the mode too.
register_scan_mode("doa_receive", _l("DOA receive"), receipt.scan_station_mode)


def init_app(app) -> None:
    """Register the DOA pages, the dealer's no-login pages, the API, navigation and demo data,
    and what repairs shows of DOA (look-up section, open cases)."""
    # `flask depot fill-brands` gives its units recorded without a brand their model's brand.
    register_branded_units(models.DoaUnit.__table__)
    register_value_labels("doa_application", "state", st.STATE_LABELS)
    register_value_labels("doa_application", "request", st.REQUEST_LABELS)
    register_value_labels("doa_application", "channel_decision", st.DECISION_LABELS)
    register_value_labels("doa_application", "product_decision", st.DECISION_LABELS)
    register_value_labels("doa_hold", "status", views.HOLD_STATUS_LABELS)
    register_value_labels("doa_hold", "reason", views.HOLD_REASON_LABELS)
    app.config.setdefault("DOA_MAX_ATTACHMENT_BYTES", 5 * 1024 * 1024)
    app.config.setdefault("DOA_WINDOW_DAYS", applications.DOA_WINDOW_DAYS)
    app.config.setdefault("DOA_PUBLIC_RATE_LIMIT", "10 per minute")
    app.register_blueprint(views.bp)
    app.register_blueprint(public.bp)
    extensions.api.register_blueprint(doa_api.blp)
    register_nav(_l("DOA exchanges"), "doa.index", roles=service.READER_ROLES, order=25)
    register_nav(_l("DOA receive"), "doa.receive_station", roles=(Role.CLERK,), order=26)
    # What repairs shows of DOA, without either importing the other: the status look-up's
    # section and the serials a DOA case holds open (the scan mode is registered above).
    register_lookup("doa_results", "doa/_lookup_results.html", lookup.lookup_views)
    register_open_records(OpenRecords(kind="doa", rows=lookup.open_case_rows, open_on=lookup.open_case_on,
                                      state_label=st.state_label, endpoint="doa.detail", number_arg="number",
                                      message=lookup.open_case_message))
