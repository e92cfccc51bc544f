"""Greetings API under /api/v1/dealer-care/greetings: open a batch, edit its text, send it once, retry the failed."""
from __future__ import annotations

from flask.views import MethodView

from core.accounts.auth import actor, roles_required
from core.api import Blueprint
from core.idempotency import idempotent
from core.pagination import paginate
from core.schemas import PageArgs
from dealercare import greeting_schemas as s
from dealercare import greetings

blp = Blueprint("dealercare_greetings_api", __name__, url_prefix="/api/v1/dealer-care/greetings",
                description="Dealer care: birthday and holiday greetings to dealers, sent as a batch")


@blp.route("")
class Batches(MethodView):
    @roles_required(*greetings.READERS)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, s.GreetingBatchPageSchema)
    def get(self, args):
        """Greeting batches, newest first."""
        return paginate(greetings.batches(actor()), args["page"], args["per_page"])

    @roles_required(*greetings.SENDERS)
    @idempotent
    @blp.arguments(s.GreetingBatchCreateArgs)
    @blp.response(201, s.GreetingBatchSchema)
    def post(self, args):
        """Open a batch: birthdays in a range, or a holiday; the recipients are fixed now, nothing is sent yet."""
        return greetings.open_batch(actor(), **args)


@blp.route("/holidays")
class Holidays(MethodView):
    @roles_required(*greetings.READERS)
    @blp.arguments(s.GreetingHolidayArgs, location="query")
    @blp.response(200, s.GreetingHolidayListSchema)
    def get(self, args):
        """The official China holidays of ``year`` (first day each), to choose a holiday batch's day."""
        return {"items": [{"day": day, "name": name} for day, name in greetings.holiday_choices(args["year"])]}


@blp.route("/<int:batch_id>")
class BatchOne(MethodView):
    @roles_required(*greetings.READERS)
    @blp.response(200, s.GreetingBatchSchema)
    def get(self, batch_id):
        """One batch with each dealer's mail."""
        return greetings.get_batch(actor(), batch_id)

    @roles_required(*greetings.SENDERS)
    @blp.arguments(s.GreetingTextArgs)
    @blp.response(200, s.GreetingBatchSchema)
    def put(self, args, batch_id):
        """Set the greeting's subject and text before sending (409 once sent)."""
        user = actor()
        return greetings.edit_text(user, greetings.get_batch(user, batch_id), **args)


@blp.route("/<int:batch_id>/send")
class BatchSend(MethodView):
    @roles_required(*greetings.SENDERS)
    @blp.response(200, s.GreetingBatchSchema)
    def post(self, batch_id):
        """Send every dealer's greeting, once (a second send is a 409); failed mails are recorded as failed."""
        user = actor()
        return greetings.send_batch(user, greetings.get_batch(user, batch_id))


@blp.route("/<int:batch_id>/retry")
class BatchRetry(MethodView):
    @roles_required(*greetings.SENDERS)
    @blp.response(200, s.GreetingBatchSchema)
    def post(self, batch_id):
        """Send again only the failed mails (409 when none failed)."""
        user = actor()
        return greetings.retry_failed(user, greetings.get_batch(user, batch_id))
