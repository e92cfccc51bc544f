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
    from figures import export, service
    from figures.periods import parse_month

    with app.app_context():
        report = service.compute_report(parse_month("2026-10"), service.Scope(None))
        report.generated_at = sh(2026, 11, 3, 7, 45)  # 2026-11-02 23:45 UTC
        pdf = _pdf_text(export.report_pdf(report))
        assert "2026-11-03 07:45" in pdf and "UTC" not in pdf
        book = load_workbook(io.BytesIO(export.report_xlsx(report)))
        cover = {r[0]: r[1] for r in book.worksheets[0].iter_rows(values_only=True) if r and r[0]}
        stamp = cover["Generated"]
        assert str(stamp).startswith("2026-11-03 07:45")


def test_the_monthly_pdf_embeds_its_chinese_font(app, data, login, tmp_path):
    """A mail client or print server without Chinese fonts still shows the Chinese of the summary."""
    import shutil
    import subprocess

    from flask_babel import force_locale

    from figures import export, service
    from figures.periods import parse_month

    if shutil.which("pdffonts") is None:
        pytest.skip("pdffonts (poppler-utils) is not installed")
    with app.test_request_context(), force_locale("zh_CN"):
        report = service.compute_report(parse_month("2026-10"), service.Scope(None))
        pdf = export.report_pdf(report)
    path = tmp_path / "month.pdf"
    path.write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    assert "STSong" not in fonts
    cjk = [line for line in fonts.splitlines() if "DepotCJK" in line or "WenQuanYi" in line]
    assert cjk and cjk[0].split()[-5:-2] == ["yes", "yes", "yes"], fonts
