"""Navigation by role: each package registers its menu entries at import."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import url_for
from werkzeug.routing import BuildError


@dataclass(frozen=True)
class NavItem:
    label: object  # a lazy gettext string
    endpoint: str
    roles: tuple = ()
    order: int = 100
    kwargs: dict = field(default_factory=dict, hash=False, compare=False)


_ITEMS: list[NavItem] = []


def register_nav(label, endpoint: str, roles=(), order: int = 100) -> None:
    """Add a menu entry shown to users holding one of ``roles`` (any user if empty)."""
    item = NavItem(label, endpoint, tuple(roles), order)
    if all(i.endpoint != endpoint for i in _ITEMS):
        _ITEMS.append(item)


def optional_url(endpoint: str, **values) -> str | None:
    """``url_for`` that gives None when another package's endpoint is not registered in this app
    (templates offer the link only when it leads somewhere)."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def nav_for(user) -> list[tuple[str, str, str]]:
    """(label, url, endpoint) of the entries the user may see, in menu order."""
    if user is None or not user.is_authenticated:
        return []
    out = []
    for item in sorted(_ITEMS, key=lambda i: (i.order, str(i.label))):
        if not item.roles or user.has_role(*item.roles):
            out.append((str(item.label), url_for(item.endpoint), item.endpoint))
    return out
