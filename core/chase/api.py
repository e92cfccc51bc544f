"""``/api/v1/overdue``: every provider's overdue items, by section, in the reader's language."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields

from core import chase
from core.accounts.auth import actor, roles_required
from core.accounts.roles import Role
from core.api import Blueprint
from core.calendar import local_today

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
    kind = fields.Function(lambda s: s.provider.kind)
    title = fields.Function(lambda s: str(s.provider.title))
    items = fields.List(fields.Nested(ChaseItemSchema))


class OverdueSchema(Schema):
    today = fields.Date()
    sections = fields.List(fields.Nested(ChaseSectionSchema))


@blp.route("/overdue")
class Overdue(MethodView):
    @roles_required(*READER_ROLES)
    @blp.response(200, OverdueSchema)
    def get(self):
        """Everything overdue today (repairs, DOA, factory reports, office counts, dealer tasks), by section."""
        today = local_today()
        return {"today": today, "sections": chase.sections(today, actor())}
