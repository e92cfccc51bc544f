"""What the DOA labels say (the labels package draws them)."""
from __future__ import annotations

from flask_babel import gettext as _

from doa import states as st
from doa.lookup import get_application
from doa.service import require_role


def label_data(actor, number: str) -> list[dict]:
    """What the DOA labels say, for the labels package (which draws them).

    The application label carries the DOA number (scanned at the receive
    station to start and finish a receipt); then one label per declared unit
    carrying its serial. Plain dicts (``code``, ``title``, ``lines``,
    ``notice``) keep repairs free of any import from labels.
    """
    require_role(actor, *st.HANDS)
    app = get_application(actor, number)
    dealer = f"{app.dealer.name} ({app.dealer.code})" if app.dealer else ""
    notice = None
    if app.state in st.PENDING_APPROVAL:
        notice = _("Not approved yet: a unit that arrives now is not accepted as DOA.")
    out = [{"code": app.number, "title": _("DOA application"), "notice": notice, "lines": [
        dealer,
        _("%(n)s unit(s) · %(r)s", n=len(app.declared_units), r=str(st.REQUEST_LABELS[app.request])),
        # No state: the label stays on the parcel while the case moves on.
    ]}]
    for unit in app.declared_units:
        out.append({"code": unit.serial, "title": _("DOA unit"), "notice": None,
                    "lines": [unit.model, _("%(n)s · line %(l)s", n=app.number, l=unit.line_no), dealer]})
    return out
