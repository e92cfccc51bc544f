"""Database URLs given on a bench script's command line.

A relative SQLite path (``sqlite:///bench/data/x.sqlite``) means relative to the
directory the script runs in. Flask-SQLAlchemy would resolve it against the app's
instance folder instead, and a bare engine against the process's directory, so two
parts of one run could open different files; every script makes it absolute first.
"""
from __future__ import annotations

import argparse
import os

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


def database_url(value: str) -> str:
    """``value`` with a relative SQLite path made absolute (its folder created); other URLs unchanged."""
    try:
        url = make_url(value)
    except ArgumentError:
        # argparse turns this into one line and exit status 2.
        raise argparse.ArgumentTypeError(f"not a database URL: {value!r}") from None
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return value
    path = os.path.abspath(url.database)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return url.set(database=path).render_as_string(hide_password=False)
