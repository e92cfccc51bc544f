"""A count's states, its workflow (who takes each step) and the words for them."""
from __future__ import annotations


from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.accounts.roles import Role
from inventory import service
from core.workflow import LabelledEnum, Workflow
from inventory.models import (
    COUNT_LOSS, StockCount,
)



class CountStatus(LabelledEnum):
    """Where a count is; each member carries its words."""

    SUBMITTED = "submitted", _l("submitted")
    RECOUNT_REQUIRED = "recount_required", _l("recount required")
    SUPERSEDED = "superseded", _l("superseded")
    ACCEPTED = "accepted", _l("accepted")
    WITHDRAWN = "withdrawn", _l("withdrawn")


SUBMITTED, RECOUNT_REQUIRED, SUPERSEDED, ACCEPTED, WITHDRAWN = (
    CountStatus.SUBMITTED, CountStatus.RECOUNT_REQUIRED, CountStatus.SUPERSEDED, CountStatus.ACCEPTED,
    CountStatus.WITHDRAWN)
PENDING = (SUBMITTED, RECOUNT_REQUIRED)
# A count waits (submitted, or for its recount) until it is accepted, withdrawn or superseded: by its
# recount ("recount"), or by the acceptance of a later count of its location ("supersede"). A count
# too far off to accept is written as waiting for a recount (its first state, not a step).
COUNT_TRANSITIONS: dict[str, dict[str, str]] = {
    SUBMITTED: {"accept": ACCEPTED, "request_recount": RECOUNT_REQUIRED, "withdraw": WITHDRAWN,
                "supersede": SUPERSEDED},
    RECOUNT_REQUIRED: {"recount": SUPERSEDED, "withdraw": WITHDRAWN, "supersede": SUPERSEDED},
    ACCEPTED: {}, SUPERSEDED: {}, WITHDRAWN: {},
}
COUNT_ACTION_LABELS = {
    "accept": _l("accept the count"), "request_recount": _l("ask for a recount"), "withdraw": _l("withdraw the count"),
    "recount": _l("enter the recount"), "supersede": _l("supersede by a later count"),
}
# Who takes a step (admins pass every role check). Withdrawing is for the office counted, the
# counter or the supervisor (``may_withdraw``); superseding follows an acceptance.
COUNT_ROLES = {"accept": (Role.SUPERVISOR,), "request_recount": (Role.SUPERVISOR,), "supersede": (Role.SUPERVISOR,)}
# No event table: the audited flush records each step (who and when are on the count).
COUNT_WORKFLOW = Workflow(states=CountStatus, transitions=COUNT_TRANSITIONS, action_labels=COUNT_ACTION_LABELS,
                          column="status", name_attr="number", roles=COUNT_ROLES, stamp=None)
# The steps a person takes on the count's page (superseding is a consequence, never a button).
PAGE_ACTIONS = ("accept", "request_recount", "withdraw", "recount")
# Why a recount is wanted.
BY_THRESHOLD, BY_SUPERVISOR = "threshold", "supervisor"
# A count whose variance (shortfall plus surplus, at unit cost) exceeds this many yuan waits for a
# recount instead of being accepted. The manual leaves the figure to the company: app config
# INVENTORY_RECOUNT_THRESHOLD (environment DEPOT_RECOUNT_THRESHOLD) overrides it.
RECOUNT_THRESHOLD = 500
LOSS_CODE = service.SYSTEM_LOCATIONS[COUNT_LOSS][0]
SPOT = "spot"
# Who records spot checks (抽查): HQ staff, and channel staff visiting an office (manual 办事处 5.1.4).
SPOT_CHECK_ROLES = (Role.CLERK, Role.SERVICE, Role.SUPERVISOR, Role.CHANNEL)


def kind_label(kind: str) -> str:
    return {"weekly": _("weekly"), "monthly": _("monthly"), "spot": _("spot check")}.get(kind, kind)


STATUS_LABELS = CountStatus.labels()


def status_label(status: str) -> str:
    """The count's state in words."""
    return CountStatus.label_of(status)


def recount_message(count: StockCount) -> str | None:
    """Why this count waits for a recount, in words (None if it does not)."""
    if count.status != RECOUNT_REQUIRED:
        return None
    if count.recount_reason == BY_SUPERVISOR:
        note = (count.recount_note or "").strip()
        if note:
            return _("The supervisor asked for a recount: %(note)s", note=note)
        return _("The supervisor asked for a recount.")
    return _("The variance of %(v)s RMB is over the recount threshold of %(t)s RMB: count again before acceptance.",
             v=count.variance_value, t=current_app.config["INVENTORY_RECOUNT_THRESHOLD"])
