"""Who is asking: session login for pages, bearer tokens for the API, role checks."""
from __future__ import annotations

import functools

from flask import abort, g, request, session
from flask_login import current_user, login_user

from core.accounts.models import User
from core.accounts.principal import principal_cache
from core.accounts.roles import Role
from core.accounts.service import user_for_token
from core.authz import require
from core.extensions import db, login_manager


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return None


# The session key holding the user's session version at sign-in.
SESSION_VERSION_KEY = "_depot_sv"


def start_session(user) -> None:
    """Sign ``user`` in on this request's (fresh) session, bound to their current session version."""
    login_user(user)
    session[SESSION_VERSION_KEY] = user.session_version


def keep_session(user) -> None:
    """After the signed-in user's own session version changed: keep this session valid."""
    session[SESSION_VERSION_KEY] = user.session_version


@login_manager.user_loader
def load_user(user_id: str):
    """The session's user, if still active and the session is not older than their
    last sign-out or password change."""
    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    if user is None or not user.active or session.get(SESSION_VERSION_KEY) != user.session_version:
        return None
    return user


@login_manager.request_loader
def load_user_from_request(req):
    token = bearer_token()
    if token is None:
        return None
    user = user_for_token(token, principal_cache())
    if user is not None:
        g.token_auth = True
    return user


def roles_required(*roles: Role | str):
    """Allow the view only to signed-in users holding one of ``roles``.

    Anonymous users get 401 (pages redirect to the login), others 403
    (:func:`core.authz.require`, the check services make too).
    Admins pass every check. With no roles, any signed-in user passes.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            user = actor()
            if user is None:
                abort(401)
            require(user, *roles)
            return view(*args, **kwargs)

        wrapped._depot_roles = tuple(Role(r) for r in roles)
        return wrapped

    return decorator


login_required = roles_required()


def actor():
    """The signed-in user, for passing into services (services never read request state)."""
    # One look through the proxy (each costs a context look-up; this runs several times a request).
    user = current_user._get_current_object()
    return user if user.is_authenticated else None
