"""CSRF for cookie sessions, and security headers on every response."""
from flask import g, request

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


def add_security_headers(response):
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if not request.path.startswith("/api/docs"):
        headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; media-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
        )
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if getattr(g, "token_auth", False) or request.path.startswith("/api/"):
        headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app) -> None:
    app.before_request(protect_from_csrf)
    app.after_request(add_security_headers)
