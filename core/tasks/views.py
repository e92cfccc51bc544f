"""The tasks page: every process's tasks in one list, filtered by process and status."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.accounts.auth import actor, roles_required
from core.accounts.roles import Role
from core.calendar.service import local_today
from core.errors import DomainError, ValidationFailed
from core.forms import read_form, refused
from core.idempotency import idempotent
from core.nav import register_nav
from core.pagination import decode_cursor
from core.task_states import TASK_STATUS_LABELS
from core.tasks import registry, service
from core.tasks import schemas as s

bp = Blueprint("tasks", __name__, template_folder="templates", url_prefix="/tasks")

READERS = (Role.SERVICE, Role.SUPERVISOR, Role.OFFICE)
STATUS_FILTERS = (*TASK_STATUS_LABELS, "all")
STATUS_LABELS = {"open": _l("To contact today"), "disputed": _l("Disputed (supervisor)"), "agreed": _l("Agreed"),
                 "resolved": _l("Settled"), "all": _l("all")}


@bp.app_template_global("task_detail")
def _task_detail(task) -> str:
    """Every page shows a task's detail the one way: in the reader's language."""
    return service.task_detail(task)


def filters(args) -> tuple[str | None, str]:
    """(process, status) of the page's query: unknown values fall back to every process / open tasks."""
    names = {p.name for p in registry.processes()}
    process = args.get("process") or None
    status = args.get("status") or "open"
    return (process if process in names else None), (status if status in STATUS_FILTERS else "open")


@bp.route("")
@roles_required(*READERS)
def index():
    """Tasks to answer today (and earlier) and the supervisor's disputes, of one process or all."""
    process, status = filters(request.args)
    user = actor()
    page = service.tasks_page(user, process=process, status=None if status == "all" else status,
                              after=request.args.get("after"), per_page=request.args.get("per_page"))
    loaded = service.preload(page.items)  # noqa: F841  (held while the rows are described)
    rows = [{"task": t, "subject": service.subject(t), "kind": service.kind_label(t),
             "status": service.status_label(t), "resolution": service.resolution_label(t),
             "late": service.is_late(t, local_today()), "can_answer": service.can_answer(user, t),
             "can_settle": service.can_settle(user, t), "waits": service.waits_for_supervisor(user, t),
             "process": service.process_label(t), "detail": service.task_detail(t)} for t in page.items]
    for row in rows:
        if row["can_answer"] or row["can_settle"]:
            row["choices"] = service.choices(row["task"])
            row["term_labels"] = registry.process(row["task"].process).term_labels
    return render_template("tasks/tasks.html", page=page, rows=rows, process=process, status=status,
                           processes=registry.processes(), status_labels=STATUS_LABELS)


@bp.route("/<int:task_id>/<any(answer, settle):verb>", methods=["POST"])
@roles_required(Role.SERVICE, Role.SUPERVISOR)
@idempotent
def decide(task_id, verb):
    """Record the answer to a task, or the supervisor's settlement, then back to the list it came from."""
    return record(task_id, verb)


def record(task_id: int, verb: str, *, process: str | None = None):
    """The answer (``answer``) or settlement (``settle``) from a page form; errors are shown, not raised."""
    user = actor()
    back_process, back_status = filters(request.form)
    back_after = _page_cursor(request.form.get("after"))
    task = service.get_task(user, task_id, process=process)
    step = service.answer if verb == "answer" else service.settle
    terms = {t: (request.form.get(t) or "").strip() for t in registry.process(task.process).term_labels}
    try:
        args = read_form(s.TaskDecisionArgs, {"decision": request.form.get("decision", ""),
                                              "note": request.form.get("note", ""),
                                              "terms": {k: v for k, v in terms.items() if v}})
        step(user, task, args["decision"], args["note"], **args["terms"])
    except DomainError as err:
        return refused(err, url_for("tasks.index", process=back_process, status=back_status, after=back_after))
    flash(_("Task updated."), "success")
    return redirect(url_for("tasks.index", process=back_process, status=back_status, after=back_after))


def _page_cursor(after) -> str | None:
    """The page the form was on (its cursor), to go back to after the step; a cursor this list did not
    make goes back to the first page instead (the step is recorded either way)."""
    try:
        return after if decode_cursor(after, service.TASK_KEYS) is not None else None
    except ValidationFailed:
        return None


def add_old_addresses(blueprint, prefix: str, process: str, *, list_endpoint: str, step_endpoint: str) -> None:
    """A process's former task page and its answer form's address, kept for links and bookmarks:
    the page redirects to the one tasks page, the form is recorded through it."""

    def old_list():
        return redirect(url_for("tasks.index", process=process, status=request.args.get("status", "open"),
                                after=request.args.get("after") or None))

    def old_step(task_id, verb):
        return record(task_id, "answer" if verb == "resolve" else "settle", process=process)

    blueprint.add_url_rule(f"{prefix}/tasks", list_endpoint,
                           roles_required(Role.SERVICE, Role.SUPERVISOR, Role.OFFICE)(old_list))
    blueprint.add_url_rule(f"{prefix}/tasks/<int:task_id>/<any(resolve, settle):verb>", step_endpoint,
                           roles_required(Role.SERVICE, Role.SUPERVISOR)(old_step), methods=["POST"])


register_nav(_l("Tasks"), "tasks.index", roles=READERS, order=23)
