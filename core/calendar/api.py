"""Calendar API: working days, deadline arithmetic, company closures (admins edit)."""
from datetime import timedelta

from flask.views import MethodView
from core.api import Blueprint

from core.accounts.auth import login_required, roles_required
from core.accounts.roles import Role
from core.calendar import schemas as s
from core.calendar import service

blp = Blueprint("calendar_api", __name__, url_prefix="/api/v1", description="Working-day calendar")


@blp.route("/calendar/working-days")
class WorkingDays(MethodView):
    @login_required
    @blp.arguments(s.WorkingDaysArgs, location="query")
    @blp.response(200, s.WorkingDaysSchema)
    def get(self, args):
        """Each day from ``from`` to ``to`` (inclusive) with its kind, and the number of working days."""
        start, end = args["from_"], args["to"]
        cal = service.current_calendar()
        reasons = {c.day: c.reason for c in service.closures()}
        days = []
        day = start
        while day <= end:
            days.append(service.describe_day(day, cal, reasons))
            day += timedelta(days=1)
        return {"from_": start, "to": end, "working_days": sum(d["working"] for d in days), "days": days}


@blp.route("/calendar/add")
class AddWorkingDays(MethodView):
    @login_required
    @blp.arguments(s.AddWorkingDaysArgs, location="query")
    @blp.response(200, s.AddWorkingDaysSchema)
    def get(self, args):
        """The ``n``-th working day after ``day`` (a deadline)."""
        return {"day": args["day"], "n": args["n"], "result": service.add_working_days(args["day"], args["n"])}


@blp.route("/calendar/closures")
class Closures(MethodView):
    @login_required
    @blp.arguments(s.ClosureListArgs, location="query")
    @blp.response(200, s.ClosureSchema(many=True))
    def get(self, args):
        """Company closures (optionally of one year)."""
        rows = service.closures()
        if args["year"]:
            rows = [c for c in rows if c.day.year == args["year"]]
        return rows

    @roles_required(Role.ADMIN)
    @blp.arguments(s.ClosureCreateArgs)
    @blp.response(201, s.ClosureSchema)
    def post(self, args):
        """Close the company on a day (admins)."""
        return service.add_closure(args["day"], args["reason"])


@blp.route("/calendar/closures/<int:closure_id>")
class ClosureItem(MethodView):
    @roles_required(Role.ADMIN)
    @blp.arguments(s.ClosureUpdateArgs)
    @blp.response(200, s.ClosureSchema)
    def patch(self, args, closure_id):
        """Change a closure's reason (admins)."""
        return service.update_closure(closure_id, args["reason"])

    @roles_required(Role.ADMIN)
    @blp.response(204)
    def delete(self, closure_id):
        """Remove a closure (admins)."""
        service.remove_closure(closure_id)
