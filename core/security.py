"""Cookie sessions, CSRF for them, and security headers on every response."""
from flask import g, request
from flask.sessions import SecureCookieSessionInterface

from core.accounts.auth import bearer_token
from core.extensions import csrf

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def protect_from_csrf():
    """Check the CSRF token on every unsafe request made with a session cookie.

    Requests carrying a bearer token are not driven by a browser's cookies,
    so they need (and have) no CSRF token.
    """
    if request.method in SAFE_METHODS or bearer_token() is not None:
        return None
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
    if getattr(g, "token_auth", False) or request.path.startswith("/api/"):
        wanted.append(("Cache-Control", "no-store"))
    for key, value in wanted:
        if key.lower() not in present:
            headers.add(key, value)
    return response


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
