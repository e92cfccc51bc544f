"""What the dealer-care API reads and answers."""
from __future__ import annotations

from marshmallow import Schema, fields

from core.schemas import PageArgs, PageSchema


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
