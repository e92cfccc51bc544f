"""The API blueprint every package uses: flask-smorest's, with argument schemas made once."""
from __future__ import annotations

import flask_smorest
from flask_smorest.utils import resolve_schema_instance


class Blueprint(flask_smorest.Blueprint):
    """A flask-smorest blueprint whose ``arguments`` take a schema class or instance.

    webargs instantiates a schema *class* on every request; a marshmallow schema
    keeps no state between loads, so one instance per route serves every request.
    """

    def arguments(self, schema, **kwargs):
        return super().arguments(resolve_schema_instance(schema), **kwargs)
