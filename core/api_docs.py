"""Swagger UI's files served by Depot itself (``/api/docs/assets/...``), never from a CDN.

A warehouse intranet often has no route to the internet: the API docs page must
load everything from Depot. The files come from the ``flask-swagger-ui``
package's ``dist`` folder (only its files are used, not its blueprint);
``DEPOT_SWAGGER_UI_URL`` may still point elsewhere.
"""
from __future__ import annotations

import os

import flask_swagger_ui
from flask import Blueprint, send_from_directory

ASSETS_URL = "/api/docs/assets/"
DIST = os.path.join(os.path.dirname(flask_swagger_ui.__file__), "dist")
CACHE_SECONDS = 86400   # the files change only with the package version

bp = Blueprint("api_docs_assets", __name__)


@bp.route(ASSETS_URL + "<path:filename>")
def asset(filename):
    """One of Swagger UI's files (scripts, styles, icons)."""
    resp = send_from_directory(DIST, filename, max_age=CACHE_SECONDS)
    # Set here, so the API's "no-store" default (core.security) leaves it alone: nothing private in it.
    resp.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return resp
