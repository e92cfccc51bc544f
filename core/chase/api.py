"""``/api/v1/overdue``: every provider's overdue items, by section, in the reader's language.

Without ``section`` each section answers its first ``per_page`` items (most overdue first),
its ``total`` and ``next``; ``?section=<kind>&after=<next>`` goes on through that one
section a page at a time until ``next`` is null. The sections' order and kinds are the
registered providers' (core.chase).
"""
from __future__ import annotations

from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from core import chase
from core.accounts.auth import actor, roles_required
from core.accounts.roles import Role
from core.api import Blueprint
from core.calendar import local_today
from core.errors import ValidationFailed
from core.pagination import CURSOR_MAX_LENGTH, MAX_PER_PAGE

blp = Blueprint("chase_api", __name__, url_prefix="/api/v1", description="Overdue work, everything with a deadline")

READER_ROLES = (Role.SUPERVISOR, Role.SERVICE)


class ChaseItemSchema(Schema):
    kind = fields.String()
    item_id = fields.Integer()
    reference = fields.String(metadata={"description": "Serial, RMA, application or shipment number, office code."})
    description = fields.Function(lambda i: str(i.description), metadata={"description": "What is late, in words."})
    owner = fields.Function(lambda i: i.owner.title, metadata={"description": "Whose clock ran out."})
    owner_key = fields.Function(lambda i: i.owner.key)
    due = fields.Date()
    late = fields.Integer(metadata={"description": "Days past the due date, counted in late_unit."})
    late_unit = fields.String(metadata={"description": "working or calendar"})
    link = fields.String(metadata={"description": "Path of the item's page."})


class ChaseSectionSchema(Schema):
    kind = fields.Function(lambda s: s.provider.kind, metadata={"description": "Pass as `section` to page on."})
    title = fields.Function(lambda s: str(s.provider.title))
    total = fields.Integer(metadata={"description": "The section's overdue records in all (every page); a DOA "
                                                    "application waiting for two departments is one record, "
                                                    "two items."})
    next = fields.String(allow_none=True, metadata={"description": "Pass as `after` with `section` for the "
                                                                   "section's next page; null on its last page."})
    link = fields.String(allow_none=True, metadata={"description": "Path of the section's own full list, if any."})
    items = fields.List(fields.Nested(ChaseItemSchema))


class OverdueSchema(Schema):
    today = fields.Date()
    sections = fields.List(fields.Nested(ChaseSectionSchema))


class OverdueArgs(Schema):
    section = fields.String(load_default=None, validate=validate.Length(max=60),
                            metadata={"description": "One section's kind: only that section, paged by `after`."})
    after = fields.String(load_default=None, validate=validate.Length(max=CURSOR_MAX_LENGTH),
                          metadata={"description": "The section's `next` from the page before (needs `section`)."})
    per_page = fields.Integer(load_default=chase.SECTION_ITEMS, validate=validate.Range(min=1, max=MAX_PER_PAGE),
                              metadata={"description": "Items (records) of each section on this page."})


@blp.route("/overdue")
class Overdue(MethodView):
    @roles_required(*READER_ROLES)
    @blp.arguments(OverdueArgs, location="query")
    @blp.response(200, OverdueSchema)
    def get(self, args):
        """Everything overdue today (repairs, DOA, factory reports, office counts, dealer tasks...), by section:
        each section's first items, most overdue first, with its total; ``section`` and ``after`` page on
        through one section."""
        today = local_today()
        if args["section"] is None:
            if args["after"]:
                message = str(_l("A page link needs its section."))
                raise ValidationFailed(message, errors={"section": [message]})
            return {"today": today, "sections": chase.first_pages(today, actor(), per_page=args["per_page"])}
        provider = chase.provider_of(args["section"])
        page = chase.section_page(provider, today, actor(), after=args["after"], per_page=args["per_page"])
        return {"today": today, "sections": [page]}
