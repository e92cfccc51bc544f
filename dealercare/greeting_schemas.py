"""What the greetings API reads and answers; the greetings page loads its forms through the same Args."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from core.schemas import Line, PageSchema
from dealercare import greetings


class GreetingBatchCreateArgs(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(greetings.KINDS),
                         metadata={"label": _l("Occasion"), "description": "birthday or holiday."})
    starts_on = fields.Date(load_default=None, metadata={"label": _l("Birthdays from"),
                                                         "description": "birthday: first day of the range."})
    ends_on = fields.Date(load_default=None, metadata={"label": _l("Birthdays until"),
                                                       "description": "birthday: last day of the range."})
    holiday_on = fields.Date(load_default=None, metadata={
        "label": _l("Holiday"), "description": "holiday: the first day of an official China holiday "
                                              "(see /greetings/holidays)."})
    subject = Line(load_default=None, validate=validate.Length(max=200), metadata={"label": _l("Subject")})
    body = fields.String(load_default=None, validate=validate.Length(max=5000), metadata={"label": _l("Text")})


class GreetingTextArgs(Schema):
    subject = Line(required=True, validate=validate.Length(min=1, max=200), metadata={"label": _l("Subject")})
    body = fields.String(required=True, validate=validate.Length(min=1, max=5000),
                         metadata={"label": _l("Text"), "description": "{name} becomes each dealer's contact."})


class GreetingHolidayArgs(Schema):
    year = fields.Integer(required=True, validate=validate.Range(min=1900, max=2199))


class GreetingHolidaySchema(Schema):
    day = fields.Date()
    name = fields.String()


class GreetingHolidayListSchema(Schema):
    items = fields.List(fields.Nested(GreetingHolidaySchema))


class GreetingMailSchema(Schema):
    dealer_id = fields.Integer()
    dealer_code = fields.String(attribute="dealer.code")
    dealer_name = fields.String(attribute="dealer.name")
    email = fields.String()
    status = fields.String()
    error = fields.String()
    attempts = fields.Integer()
    sent_at = fields.DateTime(allow_none=True)


class GreetingBatchSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    occasion = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    subject = fields.String()
    body = fields.String()
    state = fields.String()
    created_at = fields.DateTime()
    created_by = fields.String()
    sent_at = fields.DateTime(allow_none=True)
    sent_by = fields.String(allow_none=True)
    mails = fields.List(fields.Nested(GreetingMailSchema))


class GreetingBatchSummarySchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    occasion = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    subject = fields.String()
    state = fields.String()
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)


class GreetingBatchPageSchema(PageSchema):
    items = fields.List(fields.Nested(GreetingBatchSummarySchema))
