"""A count's steps short of acceptance: a recount asked for, a withdrawal, who may take which, who is liable."""
from __future__ import annotations


from flask_babel import gettext as _

from core.accounts.roles import Role
from core.accounts.scope import visible_office_id
from core.errors import Forbidden
from core.extensions import db
from inventory import service
from inventory.models import (
    FACTORY_SHIPPING, OFFICE, Location, StockCount,
)
from inventory.counts.states import BY_SUPERVISOR, COUNT_WORKFLOW, PAGE_ACTIONS
from inventory.counts.reading import is_channel_visitor


def request_recount(actor, count: StockCount, note: str = "") -> StockCount:
    """The supervisor asks for a recount of a submitted count (their note is shown to the office)."""
    COUNT_WORKFLOW.apply(actor, count, "request_recount", recount_reason=BY_SUPERVISOR,
                         recount_note=(note or "").strip())
    db.session.flush()
    return count


def _may_withdraw_as(actor, count: StockCount) -> bool:
    """Whether ``actor`` is someone who may withdraw ``count`` (whatever its state)."""
    limit = visible_office_id(actor)
    own_office = limit is not None and limit == count.location.office_id
    return actor.has_role(Role.SUPERVISOR) or own_office or count.counted_by_id == actor.id


def is_count_party(actor, count: StockCount) -> bool:
    """The office whose stock was counted, whoever counted it, or the supervisor: who answers for a count."""
    return actor is not None and _may_withdraw_as(actor, count)


def may_withdraw(actor, count: StockCount) -> bool:
    """The office whose stock was counted, whoever counted it, or the supervisor, while it is not accepted."""
    if actor is None or "withdraw" not in COUNT_WORKFLOW.possible(count):
        return False
    return _may_withdraw_as(actor, count)


def allowed_actions(actor, count: StockCount) -> list[str]:
    """The steps ``actor`` may take on ``count`` now (the page's buttons): the workflow's rule, and who withdraws."""
    actions = [a for a in COUNT_WORKFLOW.allowed_actions(count, actor) if a in PAGE_ACTIONS]
    if "withdraw" in actions and not _may_withdraw_as(actor, count):
        actions.remove("withdraw")
    return actions


def withdraw_count(actor, count: StockCount, note: str = "") -> StockCount:
    """Take back a count that has not been accepted: by the office it counted, whoever counted it, or the supervisor."""
    if actor is None:
        raise Forbidden(_("Sign in first."))
    if not is_channel_visitor(actor):  # channel staff: their own spot checks only (may_withdraw)
        service.ensure_location_access(actor, count.location)
    if not _may_withdraw_as(actor, count) and "withdraw" in COUNT_WORKFLOW.possible(count):
        raise Forbidden(_("Only the office that counted, the person who counted or the supervisor can withdraw a count."))
    COUNT_WORKFLOW.apply(actor, count, "withdraw")
    if note:
        count.note = (count.note + "\n" + note.strip()).strip()
    db.session.flush()
    return count


def liable_party(location: Location) -> tuple[str, int | None]:
    """Who answers for a shortfall: the office, the factory shipping dept (vendor pool, DOMAIN D.6), or CS."""
    root = location.parent if location.parent_id else location
    if root.kind == OFFICE:
        return "office", root.office_id
    if root.kind == FACTORY_SHIPPING:
        return "factory_shipping", None
    return "cs", None
