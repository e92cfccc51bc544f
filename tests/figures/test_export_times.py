"""Times in the figures' exports are Asia/Shanghai, like the pages."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.figures.data import seed, sh
from tests.figures.test_web import _pdf_text


@pytest.fixture()
def data(app):
    with app.app_context():
        return seed()


def test_export_times_are_shanghai_time(app, data, login):
    from repairs.figures import export, service
    from repairs.figures.periods import parse_month

    with app.app_context():
        report = service.compute_report(parse_month("2026-10"), service.Scope(None))
        report.generated_at = sh(2026, 11, 3, 7, 45)  # 2026-11-02 23:45 UTC
        pdf = _pdf_text(export.report_pdf(report))
        assert "2026-11-03 07:45" in pdf and "UTC" not in pdf
        book = load_workbook(io.BytesIO(export.report_xlsx(report)))
        cover = {r[0]: r[1] for r in book.worksheets[0].iter_rows(values_only=True) if r and r[0]}
        stamp = cover["Generated"]
        assert str(stamp).startswith("2026-11-03 07:45")
