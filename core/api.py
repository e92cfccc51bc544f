"""The API blueprint every package uses: flask-smorest's, with argument schemas made
once and every argument held to the input limits (``core.input_limits``)."""
from __future__ import annotations

import flask_smorest
from flask_smorest.utils import resolve_schema_instance
from webargs import core as webargs_core
from webargs.flaskparser import FlaskParser, is_json_request

from core import input_limits


class DepotParser(FlaskParser):
    """webargs' Flask parser, refusing over-large or over-deep JSON before parsing it,
    and bad text or out-of-bounds dates in whatever the schema loaded."""

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return webargs_core.missing
        raw = req.get_data(cache=True)
        input_limits.check_json_body(raw)
        return webargs_core.parse_json(raw)

    def parse(self, argmap, req=None, *, location=None, **kwargs):
        loaded = super().parse(argmap, req, location=location, **kwargs)
        input_limits.raise_if_problems(input_limits.value_problems(loaded))
        return loaded


class Blueprint(flask_smorest.Blueprint):
    """A flask-smorest blueprint whose ``arguments`` take a schema class or instance.

    webargs instantiates a schema *class* on every request; a marshmallow schema
    keeps no state between loads, so one instance per route serves every request.
    """

    ARGUMENTS_PARSER = DepotParser()

    def arguments(self, schema, **kwargs):
        return super().arguments(resolve_schema_instance(schema), **kwargs)
