"""Figures API under /api/v1/figures: the weekly/monthly report and the dashboard charts as JSON."""
from __future__ import annotations

from decimal import Decimal

from flask.views import MethodView
from marshmallow import RAISE, Schema, fields, validate

from core.accounts.auth import actor, roles_required
from core.api import Blueprint
from figures import service
from figures.periods import resolve_period

blp = Blueprint("figures_api", __name__, url_prefix="/api/v1/figures",
                description="Weekly and monthly figures (repairs, DOA, spares, freight)")


class PeriodArgs(Schema):
    class Meta:
        unknown = RAISE  # a misspelt argument is a 422, not silently this month's report

    month = fields.String(load_default=None, validate=validate.Length(max=20),
                          metadata={"description": "A month, YYYY-MM (Shanghai calendar)."})
    week = fields.String(load_default=None, validate=validate.Length(max=20),
                         metadata={"description": "An ISO week YYYY-Www (Monday to Sunday) or a day in it."})
    office = fields.String(load_default=None, validate=validate.Length(max=20),
                           metadata={"description": "Office code (supervisors; office users get only their own)."})


class ColumnSchema(Schema):
    key = fields.String()
    label = fields.String()
    kind = fields.String()


class TableSchema(Schema):
    key = fields.String()
    title = fields.String()
    note = fields.String()
    columns = fields.List(fields.Nested(ColumnSchema))
    rows = fields.List(fields.List(fields.Raw()))


class PeriodSchema(Schema):
    kind = fields.String()
    key = fields.String()
    start = fields.Date()
    end = fields.Date(attribute="last_day")


class ReportSchema(Schema):
    period = fields.Nested(PeriodSchema)
    office = fields.String(attribute="office_code", allow_none=True)
    generated_at = fields.DateTime()
    tables = fields.List(fields.Nested(TableSchema))


class SeriesSchema(Schema):
    key = fields.String()
    label = fields.String()
    unit = fields.String()
    data = fields.List(fields.Raw())


class ChartSchema(Schema):
    key = fields.String()
    title = fields.String()
    kind = fields.String()
    labels = fields.List(fields.String())
    series = fields.List(fields.Nested(SeriesSchema))
    note = fields.String()


def _period(args):
    return resolve_period(month=args.get("month"), week=args.get("week"))


def _plain(table: service.Table) -> service.Table:
    """Money as strings (exact) and lazy labels as text, ready for JSON."""
    table.title, table.note = str(table.title), str(table.note)
    for c in table.columns:
        c.label = str(c.label)
    table.rows = [[str(v) if isinstance(v, Decimal) else (v if v is None or isinstance(v, (int, float)) else str(v))
                   for v in row] for row in table.rows]
    return table


@blp.route("/report")
class ReportResource(MethodView):
    @roles_required(*service.VIEWER_ROLES)
    @blp.arguments(PeriodArgs, location="query", unknown=RAISE)
    @blp.response(200, ReportSchema)
    def get(self, args):
        """The weekly (``week``) or monthly (``month``, default: this month) report, every table."""
        report = service.build_report(actor(), _period(args), args.get("office"))
        report.tables = [_plain(t) for t in report.tables]
        return report


@blp.route("/charts/<name>")
class ChartResource(MethodView):
    @roles_required(*service.VIEWER_ROLES)
    @blp.arguments(PeriodArgs, location="query", unknown=RAISE)
    @blp.response(200, ChartSchema)
    def get(self, args, name):
        """One dashboard chart: ontime_by_week, backlog_by_age, variance_by_office or freight_by_month."""
        return service.build_chart(actor(), name, _period(args), args.get("office")).as_json()
