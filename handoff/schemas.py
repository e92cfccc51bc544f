"""Hand-off letter API input (``*Args``) and output (``*Schema``); the pages load their forms through the same Args."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from core.ids import ID_RANGE
from core.schemas import Line, PageArgs, PageSchema
from handoff import states as st

STATE_FILTERS = validate.OneOf([str(m) for m in st.LetterState])


class LetterListArgs(PageArgs):
    state = fields.String(load_default=None, validate=STATE_FILTERS,
                          metadata={"description": "sent, accepted, done or returned (leave out: every letter)."})
    department_id = fields.Integer(load_default=None, validate=ID_RANGE,
                                   metadata={"description": "Letters to or from this department."})


class LetterCreateArgs(Schema):
    from_department_id = fields.Integer(required=True, validate=ID_RANGE, metadata={"label": _l("From department")})
    to_department_id = fields.Integer(required=True, validate=ID_RANGE, metadata={"label": _l("To department")})
    subject = Line(required=True, validate=validate.Length(min=1, max=200), metadata={"label": _l("Subject")})
    body = fields.String(load_default="", validate=validate.Length(max=5000), metadata={"label": _l("Details")})
    committed_on = fields.Date(required=True, metadata={"label": _l("Committed completion date"),
                                                        "description": "A working day, not in the past."})


class LetterAcceptArgs(Schema):
    committed_on = fields.Date(load_default=None, metadata={
        "label": _l("Committed completion date"),
        "description": "Another working day the receiving department commits to (leave out: the letter's day)."})
    note = fields.String(load_default="", validate=validate.Length(max=400), metadata={"label": _l("Note")})


class LetterDoneArgs(Schema):
    note = fields.String(load_default="", validate=validate.Length(max=400), metadata={"label": _l("Note")})


class LetterReturnArgs(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500),
                           metadata={"label": _l("Reason for returning")})


class LetterEventSchema(Schema):
    action = fields.String()
    from_state = fields.String(allow_none=True)
    to_state = fields.String(allow_none=True)
    actor_name = fields.String()
    at = fields.DateTime()
    note = fields.String()
    data = fields.Dict()


class LetterSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    from_department_id = fields.Integer()
    from_department = fields.String(attribute="from_department.name")
    to_department_id = fields.Integer()
    to_department = fields.String(attribute="to_department.name")
    subject = fields.String()
    body = fields.String()
    committed_on = fields.Date()
    first_committed_on = fields.Date()
    state = fields.String()
    task_id = fields.Integer(allow_none=True)
    task_status = fields.String(attribute="task.status", allow_none=True)
    return_reason = fields.String()
    created_at = fields.DateTime()
    created_by = fields.String()
    accepted_at = fields.DateTime(allow_none=True)
    accepted_by = fields.String(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    closed_by = fields.String(allow_none=True)


class LetterPageSchema(PageSchema):
    items = fields.List(fields.Nested(LetterSchema))
