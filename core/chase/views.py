"""``/overdue/<kind>``: one section of the chase, a page at a time, for a section with no list of its own."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from core import chase
from core.accounts.auth import actor, roles_required
from core.calendar import local_today
from core.chase.api import READER_ROLES
from core.pagination import MAX_PER_PAGE, KeysetPage, page_number

bp = Blueprint("chase", __name__, url_prefix="/overdue")


@bp.route("/<kind>")
@roles_required(*READER_ROLES)
def section(kind: str):
    """Every overdue item of one section that the reader may see, most overdue first, by cursor."""
    provider = next((p for p in chase.providers() if p.kind == kind), None)
    if provider is None:
        abort(404)
    today = local_today()
    per_page = page_number(request.args.get("per_page"), field="per_page", high=MAX_PER_PAGE, default=chase.PAGE_ITEMS)
    found = chase.section_page(provider, today, actor(), after=request.args.get("after"), per_page=per_page)
    page = KeysetPage(found.items, per_page, request.args.get("after"), found.next)
    return render_template("core/chase_section.html", section=found, page=page, today=today)
