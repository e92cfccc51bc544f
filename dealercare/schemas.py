"""What the dealer-care API reads and answers."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from core.ids import ID_RANGE
from core.schemas import Line, PageArgs, PageSchema


class OnboardingListArgs(PageArgs):
    """``?open=true`` (default): dealers not yet handed to the channel department; ``false``: every one."""

    open = fields.Boolean(load_default=True, metadata={"label": "Open only"})


class OnboardingSchema(Schema):
    dealer_id = fields.Integer()
    dealer_code = fields.String(attribute="dealer.code")
    dealer_name = fields.String(attribute="dealer.name")
    call_task_id = fields.Integer(allow_none=True)
    call_due_on = fields.Date(attribute="call_task.due_on", allow_none=True)
    call_status = fields.String(attribute="call_task.status", allow_none=True)
    started_at = fields.DateTime()
    pack_sent_at = fields.DateTime(allow_none=True)
    pack_sent_by = fields.String(allow_none=True)
    pack_sent_to = fields.String(allow_none=True)
    handed_off_at = fields.DateTime(allow_none=True)
    handed_off_by = fields.String(allow_none=True)
    handed_off_to = fields.String(allow_none=True)


class OnboardingPageSchema(PageSchema):
    items = fields.List(fields.Nested(OnboardingSchema))


# --------------------------------------------------------------------------- the quarterly survey

class SurveyArgs(Schema):
    """A new quarter's survey: the quarter (``2026-Q4``) and the last day dealers may answer."""

    quarter = Line(required=True, validate=validate.Regexp(r"^20\d\d-Q[1-4]$", error=_l("A quarter like 2026-Q4.")),
                   metadata={"label": _l("Quarter")})
    deadline = fields.Date(required=True, metadata={"label": _l("Answer deadline")})


class QuestionArgs(Schema):
    """A question rated 1-5, about one brand or none."""

    text = Line(required=True, validate=validate.Length(min=1, max=300), metadata={"label": _l("Question")})
    brand_id = fields.Integer(load_default=None, allow_none=True, validate=ID_RANGE, metadata={"label": _l("Brand")})


class AnswerArgs(Schema):
    """A dealer's answer: a score 1-5 for each question (by question id) and an optional comment."""

    scores = fields.Dict(keys=fields.Integer(validate=ID_RANGE), values=fields.Integer(validate=validate.Range(1, 5)),
                         required=True, validate=validate.Length(max=30), metadata={"label": _l("Scores")})
    comment = fields.String(load_default="", validate=validate.Length(max=2000), metadata={"label": _l("Comment")})


class QuestionSchema(Schema):
    id = fields.Integer()
    position = fields.Integer()
    text = fields.String()
    brand_id = fields.Integer(allow_none=True)
    brand_name = fields.String(attribute="brand.name", allow_none=True)


class SurveySchema(Schema):
    id = fields.Integer()
    quarter = fields.String()
    deadline = fields.Date()
    created_at = fields.DateTime()
    created_by = fields.String()
    sent_at = fields.DateTime(allow_none=True)
    sent_by = fields.String(allow_none=True)
    summary_sent_at = fields.DateTime(allow_none=True)
    summary_sent_by = fields.String(allow_none=True)
    summary_sent_to = fields.String(allow_none=True)
    questions = fields.List(fields.Nested(QuestionSchema))


class SurveyPageSchema(PageSchema):
    items = fields.List(fields.Nested(SurveySchema))


class SentSchema(Schema):
    """How many dealers an action mailed."""

    survey = fields.Nested(SurveySchema)
    mailed = fields.Integer()


class QuestionResultSchema(Schema):
    position = fields.Integer()
    text = fields.String()
    brand = fields.String()
    count = fields.Integer()
    average = fields.Float(allow_none=True)
    low = fields.Integer()


class GroupResultSchema(Schema):
    name = fields.String()
    invited = fields.Integer()
    answered = fields.Integer()
    rate = fields.Float(allow_none=True)
    average = fields.Float(allow_none=True)
    per_question = fields.List(fields.Float(allow_none=True))


class ResultsSchema(Schema):
    quarter = fields.String(attribute="survey.quarter")
    invited = fields.Integer()
    answered = fields.Integer()
    rate = fields.Float(allow_none=True)
    average = fields.Float(allow_none=True)
    low_answers = fields.Integer()
    questions = fields.List(fields.Nested(QuestionResultSchema))
    regions = fields.List(fields.Nested(GroupResultSchema))
    brands = fields.List(fields.Nested(GroupResultSchema))
