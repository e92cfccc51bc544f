"""Task API input and output."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from core.schemas import CursorArgs, CursorPageSchema, Line
from core.task_states import TASK_STATUS_LABELS
from core.tasks import service


class TaskListArgs(CursorArgs):
    process = fields.String(load_default=None, validate=validate.Length(max=20),
                            metadata={"description": "Only this process's tasks (repairs, doa); all when left out."})
    status = fields.String(load_default="open", validate=validate.OneOf([*TASK_STATUS_LABELS, "all"]))


class TaskDecisionArgs(Schema):
    decision = Line(required=True, validate=validate.Length(min=1, max=20), metadata={"label": _l("Answer")})
    note = fields.String(load_default="", validate=validate.Length(max=1000), metadata={"label": _l("Note")})
    terms = fields.Dict(keys=fields.String(validate=validate.Length(max=40)),
                        values=fields.String(allow_none=True, validate=validate.Length(max=80)), load_default=dict,
                        metadata={"description": "What goes with some decisions (repairs: substitute_model, "
                                                 "price_difference, credit_amount)."})


class TaskSchema(Schema):
    id = fields.Integer()
    process = fields.String()
    process_label = fields.Function(service.process_label)
    kind = fields.String()
    kind_label = fields.Function(service.kind_label)
    case_type = fields.String(allow_none=True)
    case_id = fields.Integer(allow_none=True)
    subject_type = fields.String(allow_none=True)
    subject_id = fields.Integer(allow_none=True)
    subject = fields.Function(lambda t: service.subject(t).label)
    dealer_id = fields.Integer(allow_none=True)
    office_id = fields.Integer(allow_none=True)
    department_id = fields.Integer(allow_none=True)
    detail = fields.Function(service.task_detail,
                             metadata={"description": "What to tell them, in the request's language."})
    due_on = fields.Date()
    status = fields.String()
    status_label = fields.Function(service.status_label)
    resolution = fields.String(allow_none=True)
    resolution_label = fields.Function(service.resolution_label)
    note = fields.String()
    created_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    closed_by = fields.String(allow_none=True)


class TaskPageSchema(CursorPageSchema):
    items = fields.List(fields.Nested(TaskSchema))
