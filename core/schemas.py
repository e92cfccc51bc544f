"""Schema fields shared by every package's API."""
from marshmallow import fields


class Money(fields.Decimal):
    """A money amount with two decimals, sent as a string so no precision is lost.

    Documented in OpenAPI as ``{"type": "string", "format": "decimal"}`` (plain
    Decimal fields would be documented as numbers and then violate their schema).
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("places", 2)
        kwargs.setdefault("as_string", True)
        metadata = {"type": "string", "format": "decimal", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)
