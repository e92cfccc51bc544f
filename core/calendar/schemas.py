"""API input (*Args) and output (*Schema) schemas for the working-day calendar."""
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

MAX_RANGE_DAYS = 800


class WorkingDaysArgs(Schema):
    from_ = fields.Date(required=True, data_key="from", metadata={"description": "First day (YYYY-MM-DD)."})
    to = fields.Date(required=True, metadata={"description": "Last day (YYYY-MM-DD), inclusive."})

    @validates_schema
    def _range(self, data, **_kwargs):
        if "from_" in data and "to" in data:
            if data["to"] < data["from_"]:
                raise ValidationError(str(_l("Must not be before the first day.")), "to")
            if (data["to"] - data["from_"]).days > MAX_RANGE_DAYS:
                raise ValidationError(str(_l("At most %(n)s days at once.", n=MAX_RANGE_DAYS)), "to")


class AddWorkingDaysArgs(Schema):
    day = fields.Date(required=True, metadata={"description": "Start day; not itself counted."})
    n = fields.Integer(required=True, validate=validate.Range(min=0, max=365),
                       metadata={"description": "Working days to add."})


class DaySchema(Schema):
    day = fields.Date()
    working = fields.Boolean()
    kind = fields.String(metadata={"description": "working, makeup (调休 working weekend day), weekend, holiday, closure"})
    name = fields.String()


class WorkingDaysSchema(Schema):
    from_ = fields.Date(data_key="from")
    to = fields.Date()
    working_days = fields.Integer(metadata={"description": "Working days from 'from' to 'to', both included."})
    days = fields.List(fields.Nested(DaySchema))


class AddWorkingDaysSchema(Schema):
    day = fields.Date()
    n = fields.Integer()
    result = fields.Date()


class ClosureListArgs(Schema):
    year = fields.Integer(load_default=None, validate=validate.Range(min=2000, max=2100))


class ClosureCreateArgs(Schema):
    day = fields.Date(required=True, metadata={"label": _l("Day")},
                      error_messages={"invalid": _l("Give the day as YYYY-MM-DD.")})
    reason = fields.String(load_default="", validate=validate.Length(max=200), metadata={"label": _l("Reason")})


class ClosureUpdateArgs(Schema):
    reason = fields.String(required=True, validate=validate.Length(max=200))


class ClosureSchema(Schema):
    id = fields.Integer()
    day = fields.Date()
    reason = fields.String()
