"""Schema fields and schemas shared by every package's API."""
from marshmallow import Schema, ValidationError, fields, validate

from core.input_limits import single_line_problem
from core.pagination import MAX_PAGE, MAX_PER_PAGE


class Line(fields.String):
    """One line of text: a name or a code. Control characters, line breaks and tabs are refused.

    (Every string the API loads is already checked for NUL, other control
    characters and lone surrogates by ``core.api.DepotParser``; a name also
    must not carry a line break into a mail header or a label.)
    """

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        problem = single_line_problem(text)
        if problem:
            raise ValidationError(problem)
        return text


class PageArgs(Schema):
    """``?page=&per_page=`` of every list (lists add their own filters)."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class PageSchema(Schema):
    """Where a page of a list stands (lists add ``items``)."""

    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()


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
