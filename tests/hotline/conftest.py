"""Hotline fixtures: brands and departments, a CS user and helpers."""
from __future__ import annotations

from datetime import date, datetime, time

import pytest

from core.calendar import SHANGHAI


def at(day: date, hour: int = 10) -> datetime:
    """An aware moment on a Shanghai day."""
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


@pytest.fixture()
def desk(app):
    """Two brands and the departments; returns their ids by code."""
    from core.directory.models import Brand, Department
    from core.extensions import db

    with app.app_context():
        rows = [Brand(code="MAXELL", name="Maxell"), Brand(code="TEAM", name="十铨"),
                Department(code="product", name="产品部", email="product@depot.example"),
                Department(code="channel", name="渠道部", email="channel@depot.example")]
        db.session.add_all(rows)
        db.session.commit()
        return {r.code: r.id for r in rows}
