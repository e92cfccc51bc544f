"""Office scoping: an office user reads and writes only its own office's data."""
from __future__ import annotations

from core.accounts.roles import Role
from core.errors import Forbidden


def visible_office_id(user) -> int | None:
    """The one office this user is limited to, or None for HQ staff who see all."""
    if user is None:
        raise Forbidden("Sign in first.")
    if user.is_hq or user.has_role(Role.SUPERVISOR):
        return None
    if Role.OFFICE in user.roles:
        return user.office_id
    # Department approvers see no office stock.
    return -1


def ensure_office_access(user, office_id: int | None) -> None:
    """Raise Forbidden unless ``user`` may see data of ``office_id``."""
    limit = visible_office_id(user)
    if limit is not None and limit != office_id:
        raise Forbidden("This record belongs to another office.")
