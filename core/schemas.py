"""Schema fields and schemas shared by every package's API."""
from marshmallow import Schema, ValidationError, fields, validate

from core.input_limits import single_line_problem
from core.pagination import CURSOR_MAX_LENGTH, MAX_PAGE, MAX_PER_PAGE


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


class CursorArgs(Schema):
    """``?after=&per_page=`` of a keyset list: ``after`` is the ``next`` cursor of the page before."""

    after = fields.String(load_default=None, validate=validate.Length(max=CURSOR_MAX_LENGTH),
                          metadata={"description": "The previous page's `next`; leave out for the first page."})
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class CursorPageSchema(Schema):
    """Where a page of a keyset list stands (lists add ``items``)."""

    per_page = fields.Integer()
    next = fields.String(allow_none=True, metadata={"description": "Pass as `after` for the next page; "
                                                                   "null on the last page."})


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
