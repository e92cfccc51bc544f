"""Who is calling with a bearer token, read in one plain query and kept a few seconds.

Scanners call the API many times a minute, each call with its token. Loading the
token's user as an ORM object (with its roles and office) costs more than the
scan itself, so a token request gets a :class:`TokenPrincipal` instead: the same
questions answered (``id``, ``username``, ``has_role``, ``office_id`` ...) from one
Core query. Code that needs the user's database record asks for it with
:func:`user_record`.

Each server process keeps what it read for ``DEPOT_TOKEN_RECHECK_SECONDS``
(default 1, at most 1; 0 reads the token on every request) in a
:class:`PrincipalCache`: a scanner's burst of scans skips the query. Revoking a
token, or changing or deactivating its user, through Depot takes effect at once
in the process that did it and within that second in the others.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from time import monotonic
from typing import ClassVar

from flask import current_app, has_app_context
from flask_babel import gettext
from sqlalchemy import bindparam, select

from core.accounts.models import ApiToken, User, UserRole
from core.accounts.roles import Role, RoleChecks
from core.directory.models import Office
from core.errors import NotFound
from core.extensions import db


@dataclass(frozen=True, eq=False)
class TokenPrincipal(RoleChecks):
    """The user behind a bearer token, as Flask-Login's ``current_user``."""

    id: int
    username: str
    display_name: str
    email: str | None
    office_id: int | None
    locale: str | None
    roles: frozenset[Role]
    token_id: int

    is_authenticated: ClassVar[bool] = True
    is_active: ClassVar[bool] = True
    is_anonymous: ClassVar[bool] = False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def office(self):
        """The user's office (loaded on use: pages show it, the API rarely needs it)."""
        return db.session.get(Office, self.office_id) if self.office_id is not None else None

    def __repr__(self) -> str:
        return f"<TokenPrincipal {self.username}>"


_token = ApiToken.__table__
_user = User.__table__
_role = UserRole.__table__
# One row per role (at least one row for a user with none).
PRINCIPAL_BY_TOKEN_HASH = (
    select(_token.c.id, _token.c.revoked_at, _token.c.last_used_at, _user.c.id.label("user_id"),
           _user.c.username, _user.c.display_name, _user.c.email, _user.c.office_id, _user.c.locale,
           _user.c.active, _role.c.role)
    .select_from(_token.join(_user, _user.c.id == _token.c.user_id).outerjoin(_role, _role.c.user_id == _user.c.id))
    .where(_token.c.token_hash == bindparam("token_hash"))
)


def principal_from_rows(rows) -> TokenPrincipal | None:
    """The principal the rows of :data:`PRINCIPAL_BY_TOKEN_HASH` describe (None: no rows)."""
    if not rows:
        return None
    first = rows[0]
    return TokenPrincipal(
        id=first.user_id, username=first.username, display_name=first.display_name or "", email=first.email,
        office_id=first.office_id, locale=first.locale, token_id=first.id,
        roles=frozenset(Role(r.role) for r in rows if r.role is not None),
    )


def user_record(actor) -> User:
    """The actor's database record (a User as is; a token principal's user loaded)."""
    if isinstance(actor, User):
        return actor
    user = db.session.get(User, actor.id)
    if user is None:  # deleted since the request began

        raise NotFound(gettext("No such user."))
    return user


class PrincipalCache:
    """Token principals this process has read, each trusted for ``seconds`` (0: none kept)."""

    def __init__(self, seconds: float, size: int = 1024):
        self.seconds = float(seconds)
        self.size = size
        self._entries: dict[str, tuple[float, TokenPrincipal]] = {}
        self._lock = threading.Lock()

    def get(self, token_hash: str) -> TokenPrincipal | None:
        """The principal read for this token less than ``seconds`` ago, or None."""
        entry = self._entries.get(token_hash)
        if entry is None:
            return None
        if monotonic() >= entry[0]:
            self._entries.pop(token_hash, None)
            return None
        return entry[1]

    def put(self, token_hash: str, principal: TokenPrincipal) -> None:
        if self.seconds <= 0:
            return
        with self._lock:
            if len(self._entries) >= self.size:
                self._entries.clear()  # tokens in use fill it again in a request each
            self._entries[token_hash] = (monotonic() + self.seconds, principal)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def forget_token(self, token_id: int) -> None:
        """Stop trusting a token (it was revoked)."""
        with self._lock:
            for key, (_until, principal) in list(self._entries.items()):
                if principal.token_id == token_id:
                    del self._entries[key]

    def forget_user(self, user_id: int) -> None:
        """Stop trusting a user's tokens (the user changed or was deactivated)."""
        with self._lock:
            for key, (_until, principal) in list(self._entries.items()):
                if principal.id == user_id:
                    del self._entries[key]


def principal_cache() -> PrincipalCache | None:
    """This app's cache (None outside an app, e.g. in a bare script)."""
    return current_app.extensions.get("depot_principals") if has_app_context() else None


def init_app(app) -> None:
    app.extensions["depot_principals"] = PrincipalCache(app.config.get("DEPOT_TOKEN_RECHECK_SECONDS", 1))
