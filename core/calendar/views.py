"""Calendar page: a month of working days; admins add and remove company closures."""
from __future__ import annotations

import calendar as pycal
from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.accounts.auth import roles_required
from core.accounts.roles import Role
from core.calendar import schemas as s
from core.calendar import service
from core.calendar.service import local_today
from core.errors import DomainError
from core.forms import read_form, refused
from core.nav import register_nav

bp = Blueprint("calendar", __name__, template_folder="templates", url_prefix="/calendar")

VIEW_ROLES = (Role.CLERK, Role.SERVICE, Role.SUPERVISOR, Role.ADMIN)


def _month_arg(raw: str | None) -> tuple[int, int] | None:
    """(year, month) from "2026-10", or None if missing or not a real month."""
    try:
        year, month = (int(part) for part in (raw or "").split("-"))
    except ValueError:
        return None
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        return None
    return year, month


def _shift(year: int, month: int, delta: int) -> str:
    index = year * 12 + (month - 1) + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@bp.route("/")
@roles_required(*VIEW_ROLES)
def month():
    """One month, Monday first, with holidays, make-up working days and closures marked."""
    today = local_today()
    chosen = _month_arg(request.args.get("month"))
    if request.args.get("month") and chosen is None:
        flash(_("Give the month as YYYY-MM."), "error")
    year, mon = chosen or (today.year, today.month)
    cal = service.current_calendar()
    all_closures = service.closures()
    reasons = {c.day: c.reason for c in all_closures}
    locale = get_locale()
    # Babel may name it zh_Hans_CN; the language is what matters.
    language = "zh_CN" if locale is not None and locale.language == "zh" else "en_US"
    weeks = [[service.describe_day(d, cal, reasons, language) | {"in_month": d.month == mon} for d in week]
             for week in pycal.Calendar(firstweekday=0).monthdatescalendar(year, mon)]
    working = sum(1 for week in weeks for d in week if d["in_month"] and d["working"])
    month_closures = [c for c in all_closures if (c.day.year, c.day.month) == (year, mon)]
    return render_template(
        "calendar/month.html", weeks=weeks, year=year, month=mon, today=today, working=working,
        closures=month_closures, upcoming=[c for c in all_closures if c.day >= today][:20],
        prev_month=_shift(year, mon, -1), next_month=_shift(year, mon, 1), this_month=f"{year:04d}-{mon:02d}",
        default_day=date(year, mon, 1).isoformat(),
    )


@bp.route("/closures", methods=["POST"])
@roles_required(Role.ADMIN)
def add_closure():
    """Add a company closure (admins)."""
    back = request.form.get("month") or None
    try:
        args = read_form(s.ClosureCreateArgs)
    except DomainError as err:
        return refused(err, url_for("calendar.month", month=back))
    day = args["day"]
    try:
        service.add_closure(day, args["reason"])
    except DomainError as err:
        return refused(err, url_for("calendar.month", month=day.strftime("%Y-%m")))
    flash(_("%(day)s is now a company closure.", day=day.isoformat()), "success")
    return redirect(url_for("calendar.month", month=day.strftime("%Y-%m")))


@bp.route("/closures/<int:closure_id>/delete", methods=["POST"])
@roles_required(Role.ADMIN)
def remove_closure(closure_id):
    """Remove a company closure (admins)."""
    service.remove_closure(closure_id)
    flash(_("Closure removed."), "success")
    return redirect(url_for("calendar.month", month=request.form.get("month") or None))


register_nav(_l("Calendar"), "calendar.month", roles=VIEW_ROLES, order=80)
