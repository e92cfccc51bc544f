"""gunicorn settings Depot relies on (gunicorn reads ./gunicorn.conf.py by itself).

Command-line options (--workers, --bind ...) still choose the rest.
"""
import os

from core.config import per_worker_limits_warning, ratelimit_storage


def on_starting(server):
    """Warn when rate limits would be counted per worker (memory storage, several workers)."""
    warning = per_worker_limits_warning(ratelimit_storage(os.environ), server.cfg.workers)
    if warning:
        server.log.warning(warning)
