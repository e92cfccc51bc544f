"""The ``flask depot`` command group; each package adds its commands to it."""
from __future__ import annotations

import functools

import click
from flask.cli import AppGroup

from core.errors import DomainError

depot_cli = AppGroup("depot", help="Depot administration commands.")


def fail_on_domain_error(fn):
    """Turn a domain error into one line on stderr and exit status 1."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except DomainError as exc:
            raise click.ClickException(exc.message) from None

    return wrapper


def init_app(app) -> None:
    app.cli.add_command(depot_cli)
