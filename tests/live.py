"""A real threaded HTTP server on loopback for the tests that fire two requests at once."""
from __future__ import annotations

import threading

import requests
from werkzeug.serving import make_server


class LiveServer:
    """The test app served by werkzeug's threaded server on a free loopback port."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(10)


def bearer(app, username: str) -> dict:
    """Authorization headers with a new API token of ``username``."""
    from core.accounts.service import create_token, get_user
    from core.extensions import db

    with app.app_context():
        _, token = create_token(get_user(username), "concurrency test")
        db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def twice(method: str, url: str, headers, **kwargs) -> list:
    """Send the same request from two threads released together; both answers.

    ``headers``: one dict for both, or a list of two (two tabs with their own tokens, so the
    token's own bookkeeping cannot serialise the two requests).
    """
    barrier = threading.Barrier(2)
    out: list = [None, None]
    per_thread = headers if isinstance(headers, list) else [headers, headers]

    def run(i):
        barrier.wait(30)
        try:
            out[i] = requests.request(method, url, headers=per_thread[i], timeout=120, **kwargs)
        except requests.RequestException as exc:
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    return out
