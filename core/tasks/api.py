"""Tasks API under /api/v1/tasks: every process's tasks, one answer and one settlement."""
from __future__ import annotations

from flask.views import MethodView

from core.accounts.auth import actor, roles_required
from core.accounts.roles import Role
from core.api import Blueprint
from core.idempotency import idempotent
from core.tasks import schemas as s
from core.tasks import service

blp = Blueprint("tasks_api", __name__, url_prefix="/api/v1/tasks",
                description="Tasks: contact the dealer or a department, answer, settle (every process)")

READERS = (Role.SERVICE, Role.SUPERVISOR, Role.OFFICE)


@blp.route("")
class Tasks(MethodView):
    @roles_required(*READERS)
    @blp.arguments(s.TaskListArgs, location="query")
    @blp.response(200, s.TaskPageSchema)
    def get(self, args):
        """Tasks the caller may see, earliest due first (``status=disputed`` is the supervisor's queue),
        a page at a time (``after``: the previous page's ``next``)."""
        status = None if args["status"] == "all" else args["status"]
        page = service.tasks_page(actor(), process=args["process"], status=status, after=args["after"],
                                  per_page=args["per_page"])
        page.loaded = service.preload(page.items)  # held until the page is written out
        return page


@blp.route("/<int:task_id>")
class TaskOne(MethodView):
    @roles_required(*READERS)
    @blp.response(200, s.TaskSchema)
    def get(self, task_id):
        """One task."""
        return service.get_task(actor(), task_id)


@blp.route("/<int:task_id>/answer")
class TaskAnswer(MethodView):
    @roles_required(*service.ANSWER_ROLES)
    @idempotent
    @blp.arguments(s.TaskDecisionArgs)
    @blp.response(200, s.TaskSchema)
    def post(self, args, task_id):
        """Record the answer to an open task (a second answer is a 409)."""
        task = service.get_task(actor(), task_id)
        return service.answer(actor(), task, args["decision"], args["note"], **args["terms"])


@blp.route("/<int:task_id>/settle")
class TaskSettle(MethodView):
    @roles_required(*service.SETTLE_ROLES)
    @idempotent
    @blp.arguments(s.TaskDecisionArgs)
    @blp.response(200, s.TaskSchema)
    def post(self, args, task_id):
        """The supervisor settles a disputed task."""
        task = service.get_task(actor(), task_id)
        return service.settle(actor(), task, args["decision"], args["note"], **args["terms"])
