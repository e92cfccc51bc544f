"""Hand-off letter API under /api/v1/handoff-letters: write a letter, record the receiving department's answers."""
from __future__ import annotations

from flask.views import MethodView

from core.accounts.auth import actor, roles_required
from core.api import Blueprint
from core.idempotency import idempotent
from core.pagination import paginate
from handoff import schemas as s
from handoff import service
from handoff import states as st

blp = Blueprint("handoff_api", __name__, url_prefix="/api/v1/handoff-letters",
                description="Internal hand-off letters (部门工作提交函): work handed to a department by a committed day")


@blp.route("")
class Letters(MethodView):
    @roles_required(*st.DESK)
    @blp.arguments(s.LetterListArgs, location="query")
    @blp.response(200, s.LetterPageSchema)
    def get(self, args):
        """Letters, newest first (``state``: in that state; ``department_id``: to or from it)."""
        stmt = service.letters(actor(), state=args["state"], department_id=args["department_id"])
        return paginate(stmt, args["page"], args["per_page"])

    @roles_required(*st.DESK)
    @idempotent
    @blp.arguments(s.LetterCreateArgs)
    @blp.response(201, s.LetterSchema)
    def post(self, args):
        """Send a letter: the receiving department's task opens, due the committed day (a working day, not past)."""
        return service.create_letter(actor(), **args)


@blp.route("/<int:letter_id>")
class LetterOne(MethodView):
    @roles_required(*st.DESK)
    @blp.response(200, s.LetterSchema)
    def get(self, letter_id):
        """One letter."""
        return service.get_letter(actor(), letter_id)


@blp.route("/<int:letter_id>/accept")
class LetterAccept(MethodView):
    @roles_required(*st.DESK)
    @blp.arguments(s.LetterAcceptArgs)
    @blp.response(200, s.LetterSchema)
    def post(self, args, letter_id):
        """The receiving department accepts, optionally committing to another working day (409 unless sent)."""
        user = actor()
        return service.accept(user, service.get_letter(user, letter_id), **args)


@blp.route("/<int:letter_id>/done")
class LetterDone(MethodView):
    @roles_required(*st.DESK)
    @blp.arguments(s.LetterDoneArgs)
    @blp.response(200, s.LetterSchema)
    def post(self, args, letter_id):
        """The receiving department reports the work done; its task closes (409 unless accepted)."""
        user = actor()
        return service.complete(user, service.get_letter(user, letter_id), **args)


@blp.route("/<int:letter_id>/return")
class LetterReturn(MethodView):
    @roles_required(*st.DESK)
    @blp.arguments(s.LetterReturnArgs)
    @blp.response(200, s.LetterSchema)
    def post(self, args, letter_id):
        """The receiving department returns the letter with its reason; its task closes (409 once finished)."""
        user = actor()
        return service.return_letter(user, service.get_letter(user, letter_id), **args)
