"""Directory rules: finding and keeping dealers, offices, factories, routes, vendors."""
from __future__ import annotations

from sqlalchemy import select

from core.directory.models import Dealer, Department, Factory, Office, RepairRoute, Vendor
from core.errors import NotFound
from core.extensions import db


def _by_code(model, code: str, what: str):
    obj = db.session.scalar(select(model).where(model.code == (code or "").strip()))
    if obj is None:
        raise NotFound(f"No {what} with code {code!r}.")
    return obj


def office_by_code(code: str) -> Office:
    return _by_code(Office, code, "regional office")


def dealer_by_code(code: str) -> Dealer:
    return _by_code(Dealer, code, "dealer")


def factory_by_code(code: str) -> Factory:
    return _by_code(Factory, code, "factory")


def route_by_code(code: str) -> RepairRoute:
    return _by_code(RepairRoute, code, "repair route")


def vendor_by_code(code: str) -> Vendor:
    return _by_code(Vendor, code, "vendor")


def department_by_code(code: str) -> Department:
    return _by_code(Department, code, "department")
