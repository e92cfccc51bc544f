"""Hotline API input (``*Args``) and output (``*Schema``); pages load their forms through the same Args."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from core.ids import ID_RANGE
from core.schemas import Line, PageArgs, PageSchema
from hotline import states as st

ASKERS = validate.OneOf([str(m) for m in st.Asker])
CHANNELS = validate.OneOf([str(m) for m in st.Channel])
CATEGORIES = validate.OneOf([str(m) for m in st.Category])
STATE_FILTERS = validate.OneOf([*[str(m) for m in st.EntryState], "waiting", "all"])


class EntryListArgs(PageArgs):
    state = fields.String(load_default="all", validate=STATE_FILTERS,
                          metadata={"description": "open, referred, answered, waiting (open or referred) or all."})
    channel = fields.String(load_default=None, validate=CHANNELS)
    brand_id = fields.Integer(load_default=None, validate=ID_RANGE)
    category = fields.String(load_default=None, validate=CATEGORIES)
    q = fields.String(load_default="", validate=validate.Length(max=100))


class EntryCreateArgs(Schema):
    asker = fields.String(required=True, validate=ASKERS, metadata={"label": _l("Who asked")})
    asker_name = Line(load_default="", validate=validate.Length(max=120), metadata={"label": _l("Name")})
    contact = Line(load_default="", validate=validate.Length(max=200), metadata={"label": _l("Phone or e-mail")})
    dealer_id = fields.Integer(load_default=None, validate=ID_RANGE, metadata={"label": _l("Dealer")})
    channel = fields.String(required=True, validate=CHANNELS, metadata={"label": _l("Channel")})
    brand_id = fields.Integer(required=True, validate=ID_RANGE, metadata={"label": _l("Brand")})
    category = fields.String(required=True, validate=CATEGORIES, metadata={"label": _l("Category")})
    question = fields.String(required=True, validate=validate.Length(min=1, max=5000),
                             metadata={"label": _l("Question")})
    answer = fields.String(load_default="", validate=validate.Length(max=5000), metadata={"label": _l("Answer")})
    standard_answer_id = fields.Integer(load_default=None, validate=ID_RANGE,
                                        metadata={"label": _l("Standard answer used")})
    department_id = fields.Integer(load_default=None, validate=ID_RANGE,
                                   metadata={"label": _l("Send to department"),
                                             "description": "The department that answers a question CS cannot "
                                                            "answer at once (leave out when answered)."})
    department_note = fields.String(load_default="", validate=validate.Length(max=400),
                                    metadata={"label": _l("Note to the department")})


class AnswerArgs(Schema):
    answer = fields.String(required=True, validate=validate.Length(min=1, max=5000), metadata={"label": _l("Answer")})
    standard_answer_id = fields.Integer(load_default=None, validate=ID_RANGE,
                                        metadata={"label": _l("Standard answer used")})


class ReferArgs(Schema):
    department_id = fields.Integer(required=True, validate=ID_RANGE, metadata={"label": _l("Department")})
    note = fields.String(load_default="", validate=validate.Length(max=400), metadata={"label": _l("Note")})


class ReplyArgs(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=5000), metadata={"label": _l("Reply")})


class ClassifyArgs(Schema):
    asker = fields.String(validate=ASKERS, metadata={"label": _l("Who asked")})
    brand_id = fields.Integer(allow_none=True, validate=ID_RANGE, metadata={"label": _l("Brand")})
    category = fields.String(validate=CATEGORIES, metadata={"label": _l("Category")})


class AnswerSearchArgs(Schema):
    q = fields.String(load_default="", validate=validate.Length(max=100))
    brand_id = fields.Integer(load_default=None, validate=ID_RANGE)
    category = fields.String(load_default=None, validate=CATEGORIES)
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=50))


class StandardAnswerArgs(Schema):
    brand_id = fields.Integer(load_default=None, allow_none=True, validate=ID_RANGE, metadata={"label": _l("Brand")})
    category = fields.String(required=True, validate=CATEGORIES, metadata={"label": _l("Category")})
    question = fields.String(required=True, validate=validate.Length(min=1, max=500),
                             metadata={"label": _l("Question")})
    answer = fields.String(required=True, validate=validate.Length(min=1, max=5000), metadata={"label": _l("Answer")})


class StandardAnswerUpdateArgs(Schema):
    brand_id = fields.Integer(allow_none=True, validate=ID_RANGE, metadata={"label": _l("Brand")})
    category = fields.String(validate=CATEGORIES, metadata={"label": _l("Category")})
    question = fields.String(validate=validate.Length(min=1, max=500), metadata={"label": _l("Question")})
    answer = fields.String(validate=validate.Length(min=1, max=5000), metadata={"label": _l("Answer")})
    active = fields.Boolean(metadata={"label": _l("Offered")})


class FromEntryArgs(Schema):
    answer_id = fields.Integer(load_default=None, validate=ID_RANGE,
                               metadata={"label": _l("Standard answer to update"),
                                         "description": "Replace this answer's words; leave out to add a new one."})
    question = fields.String(load_default=None, validate=validate.Length(min=1, max=500),
                             metadata={"label": _l("Question")})
    answer = fields.String(load_default=None, validate=validate.Length(min=1, max=5000),
                           metadata={"label": _l("Answer")})


class StandardAnswerSchema(Schema):
    id = fields.Integer()
    brand_id = fields.Integer(allow_none=True)
    brand = fields.Function(lambda a: a.brand.name if a.brand else None)
    category = fields.String()
    category_label = fields.String()
    question = fields.String()
    answer = fields.String()
    active = fields.Boolean()
    source_entry_id = fields.Integer(allow_none=True)
    updated_at = fields.DateTime()
    updated_by = fields.String()


class StandardAnswerListSchema(Schema):
    items = fields.List(fields.Nested(StandardAnswerSchema))


class MessageSchema(Schema):
    id = fields.Integer()
    direction = fields.String()
    message_id = fields.String()
    in_reply_to = fields.String()
    references = fields.String()
    sender = fields.String()
    recipients = fields.String()
    subject = fields.String()
    body = fields.String()
    at = fields.DateTime()
    by = fields.String()


class HotlineAttachmentSchema(Schema):
    id = fields.Integer()
    message_id = fields.Integer()
    original_name = fields.String()
    content_type = fields.String()
    size = fields.Integer()


class EntrySchema(Schema):
    id = fields.Integer()
    number = fields.String()
    asker = fields.String()
    asker_label = fields.String()
    asker_name = fields.String()
    contact = fields.String()
    dealer_id = fields.Integer(allow_none=True)
    channel = fields.String()
    channel_label = fields.String()
    brand_id = fields.Integer(allow_none=True)
    brand = fields.Function(lambda e: e.brand.name if e.brand else None)
    category = fields.String()
    category_label = fields.String()
    subject = fields.String()
    question = fields.String()
    answer = fields.String()
    standard_answer_id = fields.Integer(allow_none=True)
    state = fields.String()
    state_label = fields.String()
    department_id = fields.Integer(allow_none=True)
    task_id = fields.Integer(allow_none=True)
    due_on = fields.Date()
    asked_at = fields.DateTime()
    logged_by = fields.String()
    answered_at = fields.DateTime(allow_none=True)
    answered_by = fields.String(allow_none=True)


class EntryDetailSchema(EntrySchema):
    messages = fields.List(fields.Nested(MessageSchema))
    attachments = fields.List(fields.Nested(HotlineAttachmentSchema))


class EntryPageSchema(PageSchema):
    items = fields.List(fields.Nested(EntrySchema))
