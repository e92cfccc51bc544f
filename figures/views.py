"""Figures pages: the dashboard, a chart's numbers, the report and its exports."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request

from core.accounts.auth import actor, roles_required
from core.directory.models import Office
from core.extensions import db
from core.sheets import download
from figures import export, service
from figures.periods import resolve_period

bp = Blueprint("figures", __name__, url_prefix="/figures", template_folder="templates",
               static_folder="static", static_url_path="/static/figures")

VIEWERS = service.VIEWER_ROLES


def _args():
    """The period and office asked for in the query string (period errors are a 422 page)."""
    period = resolve_period(month=request.args.get("month"), week=request.args.get("week"))
    return period, (request.args.get("office") or None)


def _offices_for(user):
    """Offices a supervisor can pick from (office users have no choice)."""
    scope = service.resolve_scope(user)
    if scope.office_id is not None:
        return []
    return list(db.session.scalars(db.select(Office).where(Office.active.is_(True)).order_by(Office.code)))


@bp.app_template_filter("figure")
def figure_filter(value, kind="text"):
    """Show a figures cell: percentages, money and working days formatted, blanks as a dash."""
    return export.format_value(value, kind)




def _stem(report: service.Report) -> str:
    suffix = f"-{report.office_code}" if report.office_code else ""
    return f"depot-figures-{report.period.key}{suffix}"


@bp.route("/")
@roles_required(*VIEWERS)
def dashboard():
    """Four charts (on-time rate by week, backlog by age, variance by office, freight by month)."""
    user = actor()
    period, office = _args()
    scope = service.resolve_scope(user, office)
    return render_template("figures/dashboard.html", period=period, scope=scope, charts=service.CHARTS,
                           titles=service.chart_titles(), offices=_offices_for(user))


@bp.route("/charts/<name>")
@roles_required(*VIEWERS)
def chart_numbers(name):
    """The numbers behind one chart, as a table (or CSV with ``?format=csv``)."""
    period, office = _args()
    chart = service.build_chart(actor(), name, period, office)
    table = chart.as_table()
    if request.args.get("format") == "csv":
        return download(export.table_csv(table), f"depot-{name}-{period.key}.csv")
    return render_template("figures/chart.html", chart=chart, table=table, period=period, office=office)


@bp.route("/charts/<name>.json")
@roles_required(*VIEWERS)
def chart_json(name):
    """A chart's data for the dashboard script (same origin, session cookie)."""
    period, office = _args()
    return jsonify(service.build_chart(actor(), name, period, office).as_json())


@bp.route("/report")
@roles_required(*VIEWERS)
def report():
    """The weekly or monthly report as tables, with links to every export."""
    user = actor()
    period, office = _args()
    rep = service.build_report(user, period, office)

    def link(p):
        return {"office": office, p.kind: p.key}

    return render_template("figures/report.html", report=rep, period=period, office=office,
                           offices=_offices_for(user), args=link(period), prev_args=link(period.previous()),
                           next_args=link(period.next()))


@bp.route("/report.xlsx")
@roles_required(*VIEWERS)
def report_xlsx():
    """Every table of the report as one workbook (a sheet per table)."""
    period, office = _args()
    rep = service.build_report(actor(), period, office)
    return download(export.report_xlsx(rep), _stem(rep) + ".xlsx")


@bp.route("/report.pdf")
@roles_required(*VIEWERS)
def report_pdf():
    """The summary PDF, the same one ``flask depot report`` mails."""
    period, office = _args()
    rep = service.build_report(actor(), period, office)
    return download(export.report_pdf(rep), _stem(rep) + ".pdf")


@bp.route("/report/<table>.csv")
@roles_required(*VIEWERS)
def report_csv(table):
    """One table of the report as CSV."""
    period, office = _args()
    rep = service.build_report(actor(), period, office)
    return download(export.table_csv(rep.table(table)), f"{_stem(rep)}-{table}.csv")
