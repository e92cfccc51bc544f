"""WSGI entry points for the repairs benchmark (gunicorn loads them by ``module:function()``).

``depot()`` is the real Depot app. ``bare()`` is the yardstick: a bare Flask
endpoint doing one indexed lookup and one insert per request on the same
database, with the same engine settings, and nothing else.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def depot():
    """The Depot app on $DEPOT_DATABASE_URL."""
    import logging

    from core import create_app

    app = create_app()
    logging.getLogger().setLevel(logging.WARNING)
    return app


def bare():
    """POST /bare {"code": serial}: look the unit up by serial, append one event row, commit."""
    from datetime import datetime, timezone

    from flask import Flask, jsonify, request
    from sqlalchemy import create_engine, text

    url = os.environ["DEPOT_DATABASE_URL"]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    sqlite = url.startswith("sqlite")
    options = {"pool_pre_ping": True}
    if sqlite:  # the same connection settings and pragmas as Depot's
        from core import sqlite as depot_sqlite

        depot_sqlite.engine_options(options)
        depot_sqlite.install()
    engine = create_engine(url, **options)

    app = Flask(__name__)
    stamp = (lambda: datetime.now(timezone.utc).replace(tzinfo=None)) if sqlite else (lambda: datetime.now(timezone.utc))

    @app.post("/bare")
    def bare_scan():
        code = (request.get_json(silent=True) or {}).get("code", "")
        with engine.begin() as conn:
            row = conn.execute(text("SELECT id, parcel_id, state FROM repair_unit WHERE serial = :s LIMIT 1"),
                               {"s": code}).first()
            if row is None:
                return jsonify({"ok": False}), 404
            conn.execute(text(
                "INSERT INTO repair_event (parcel_id, unit_id, action, from_state, to_state, actor_id, actor_name, at, note, data) "
                "VALUES (:p, :u, 'bench', :s, :s, NULL, 'bench', :at, '', '{}')"),
                {"p": row.parcel_id, "u": row.id, "s": row.state, "at": stamp()})
        return jsonify({"ok": True, "id": row.id, "state": row.state})

    return app
