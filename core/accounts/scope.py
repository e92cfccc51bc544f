"""Office scoping: an office user reads and writes only its own office's data.

Kept for the callers that import it from here; the rules live in :mod:`core.authz`.
"""
from __future__ import annotations

from core.authz import require_office, visible_office_id


def ensure_office_access(user, office_id: int | None) -> None:
    """Raise Forbidden unless ``user`` may see data of ``office_id``."""
    require_office(user, office_id)


__all__ = ["ensure_office_access", "visible_office_id"]
