"""Cookie sessions, CSRF for them, and security headers on every response."""
from flask import abort, current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user

from core.accounts.auth import bearer_token
from core.extensions import csrf

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def _requires_sign_in() -> bool:
    """Whether the view this request goes to lets only signed-in users in (``roles_required``)."""
    view = current_app.view_functions.get(request.endpoint)
    if view is None:
        return False
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        view = getattr(view_class, request.method.lower(), None)
    return hasattr(view, "_depot_roles")


def protect_from_csrf():
    """Check the CSRF token on every unsafe request made with a session cookie.

    Requests carrying a bearer token are not driven by a browser's cookies,
    so they need (and have) no CSRF token. An API write from nobody signed in
    is told so (401) rather than that a CSRF token is missing.
    """
    if request.method in SAFE_METHODS or bearer_token() is not None:
        return None
    if request.path.startswith("/api/") and not current_user.is_authenticated and _requires_sign_in():
        abort(401)
    csrf.protect()
    return None


_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; media-src 'self' data:; frame-ancestors 'none'; form-action 'self'")
_ALWAYS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)


def add_security_headers(response):
    """Security headers on every response; a header the view set itself is kept."""
    headers = response.headers
    # One pass over the response's headers, not one search per header we add.
    present = {key.lower() for key, _value in headers.items()}
    wanted = list(_ALWAYS)
    if not request.path.startswith("/api/docs"):
        wanted.append(("Content-Security-Policy", _CSP))
    if request.is_secure:
        wanted.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    if getattr(g, "token_auth", False) or request.path.startswith("/api/") or _signed_in_session():
        # Nothing shown to a signed-in user stays in a browser's or proxy's cache.
        wanted.append(("Cache-Control", "no-store"))
    for key, value in wanted:
        if key.lower() not in present:
            headers.add(key, value)
    return response


def _signed_in_session() -> bool:
    # From the session itself, not current_user: loading the user needs the
    # database, which may be what just failed.
    user = g.get("_login_user")
    return "_user_id" in session or bool(user is not None and user.is_authenticated)


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, opened without building its signer when the
    request has no session cookie (every scanner's API request)."""

    def open_session(self, app, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def init_app(app) -> None:
    app.session_interface = CookieSessionInterface()
    app.before_request(protect_from_csrf)
    app.after_request(add_security_headers)
