"""Figures through the pages, the API and the exports: scoping, bad input, XLSX and PDF contents."""
from __future__ import annotations

import io

import pytest

from tests.figures.data import seed


@pytest.fixture()
def data(app):
    with app.app_context():
        return seed()


def _pdf_text(data: bytes) -> str:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()


def test_report_page_supervisor(login, data):
    c = login("supervisor")
    resp = c.get("/figures/report?month=2026-10")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Month 2026-10" in html and "75.0%" in html and "66.7%" in html
    assert "Dealer One" in html and "Dealer Two" in html


def test_report_page_week(login, data):
    c = login("supervisor")
    resp = c.get("/figures/report?week=2026-W42")
    assert resp.status_code == 200
    assert "2026-10-12" in resp.get_data(as_text=True)


@pytest.mark.parametrize("query, field", [
    ("week=garbage", "week"), ("month=2026-13", "month"), ("month=26-10", "month"),
    ("week=2026-W60", "week"), ("month=2026-10&week=2026-W42", "week"),
])
def test_bad_period_is_a_clear_error(login, api_as, data, query, field):
    c = login("supervisor")
    resp = c.get(f"/figures/report?{query}")
    assert resp.status_code == 422
    assert "YYYY" in resp.get_data(as_text=True) or "not both" in resp.get_data(as_text=True)
    api = api_as("supervisor")
    resp = api.get(f"/api/v1/figures/report?{query}")
    assert resp.status_code == 422
    body = resp.get_json()
    assert field in body["errors"]


def test_office_user_sees_only_own_office(login, api_as, data):
    c = login("office", office_id=data["bj"])
    html = c.get("/figures/report?month=2026-10").get_data(as_text=True)
    assert "Dealer One" in html and "Dealer Two" not in html
    assert c.get("/figures/report?month=2026-10&office=SH").status_code == 403
    assert c.get("/figures/report.xlsx?month=2026-10&office=SH").status_code == 403
    assert c.get("/figures/charts/freight_by_month.json?month=2026-10&office=SH").status_code == 403
    api = api_as("office", office_id=data["bj"])
    resp = api.get("/api/v1/figures/report?month=2026-10")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["office"] == "BJ"
    dealers = next(t for t in body["tables"] if t["key"] == "by_dealer")
    assert [r[0] for r in dealers["rows"]] == ["D1"]
    assert api.get("/api/v1/figures/report?month=2026-10&office=SH").status_code == 403
    assert api.get("/api/v1/figures/charts/ontime_by_week?office=SH").status_code == 403


def test_roles(login, api_as, data):
    assert login("clerk").get("/figures/").status_code == 403
    assert api_as("finance").get("/api/v1/figures/report").status_code == 403


def test_supervisor_filters_by_office(api_as, data):
    api = api_as("supervisor")
    body = api.get("/api/v1/figures/report?month=2026-10&office=sh").get_json()
    assert body["office"] == "SH"
    summary = next(t for t in body["tables"] if t["key"] == "summary")
    assert summary["rows"][0][1:3] == [1, 2]  # P2: U3, U4
    resp = api.get("/api/v1/figures/report?month=2026-10&office=NOPE")
    assert resp.status_code == 404
    assert api.get("/api/v1/figures/report?month=2026-10&bogus=1").status_code == 422
    freight = next(t for t in api.get("/api/v1/figures/report?month=2026-10").get_json()["tables"] if t["key"] == "freight")
    assert freight["rows"][0] == ["cs", "Customer service", 3, "55.50", 1]


def test_dashboard_and_chart_numbers(login, data):
    c = login("supervisor")
    resp = c.get("/figures/?month=2026-10")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "vendor/chart.umd.min.js" in html and "figures.js" in html
    assert "<script>" not in html  # CSP: no inline script
    for name in ("ontime_by_week", "backlog_by_age", "variance_by_office", "freight_by_month"):
        assert f"/figures/charts/{name}.json?month=2026-10" in html
        data_ = c.get(f"/figures/charts/{name}.json?month=2026-10").get_json()
        assert data_["key"] == name and data_["labels"]
        numbers = c.get(f"/figures/charts/{name}?month=2026-10")
        assert numbers.status_code == 200
    table = c.get("/figures/charts/freight_by_month?month=2026-10").get_data(as_text=True)
    assert "55.50" in table and "40.00" in table
    csv_ = c.get("/figures/charts/ontime_by_week?month=2026-10&format=csv")
    assert csv_.mimetype == "text/csv" and "2026-W42" in csv_.get_data(as_text=True)
    assert c.get("/figures/charts/nope?month=2026-10").status_code == 404
    static = c.get("/figures/static/figures/vendor/chart.umd.min.js")
    assert static.status_code == 200
    static.close()


def test_csv_export(login, data):
    c = login("supervisor")
    resp = c.get("/figures/report/by_dealer.csv?month=2026-10")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    text = resp.get_data().decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Dealer,Name,Received")
    assert "D1,Dealer One,2,2,2,2,1,2,50.0" in text
    assert c.get("/figures/report/nope.csv?month=2026-10").status_code == 404


def test_csv_cells_never_become_formulas(app, login, data):
    from core.extensions import db
    from repairs.models import RepairUnit

    with app.app_context():
        unit = db.session.scalar(db.select(RepairUnit).where(RepairUnit.serial == "U3"))
        unit.fault = "=HYPERLINK(\"http://x\")"
        db.session.commit()
    c = login("supervisor")
    text = c.get("/figures/report/by_fault.csv?month=2026-10").get_data().decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(c.get("/figures/report.xlsx?month=2026-10").get_data()))
    # In XLSX the text is a string cell as typed, never a formula.
    cells = [row[0] for row in wb["by_fault"].iter_rows()]
    hyperlink = next(cell for cell in cells if cell.value == "=HYPERLINK(\"http://x\")")
    assert hyperlink.data_type == "s"


def test_xlsx_export(login, data):
    from openpyxl import load_workbook

    c = login("supervisor")
    resp = c.get("/figures/report.xlsx?month=2026-10")
    assert resp.status_code == 200
    assert "depot-figures-2026-10.xlsx" in resp.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(resp.get_data()))
    for sheet in ("summary", "turnaround", "by_route", "by_dealer", "by_model", "by_fault", "doa",
                  "spare_stock", "counts", "variance", "freight"):
        assert sheet in wb.sheetnames
    rows = {r[0]: r for r in wb["summary"].iter_rows(values_only=True) if r and r[0]}
    assert rows["Sent to the factory within 2 working days"][2:] == (3, 4, 75.0)
    turnaround = list(wb["turnaround"].iter_rows(values_only=True))[-1]
    assert turnaround == (3, 7.33, 8, 7, 8)
    spare = {r[0]: r for r in wb["spare_stock"].iter_rows(values_only=True) if r and r[0]}
    assert spare["BJ"][2:4] == (9, 450.0)
    assert wb["Report"]["B2"].value == "2026-10"


def test_pdf_export(login, data):
    c = login("supervisor")
    resp = c.get("/figures/report.pdf?month=2026-10")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    pdf = resp.get_data()
    assert pdf.startswith(b"%PDF") and len(pdf) < 200_000
    text = _pdf_text(pdf)
    assert "Depot figures" in text and "2026-10" in text
    assert "75.0%" in text and "66.7%" in text
    assert "Dealer One" in text and "450.00" in text and "95.50" in text


def test_office_pdf_only_own(login, data):
    c = login("office", office_id=data["bj"])
    text = _pdf_text(c.get("/figures/report.pdf?month=2026-10").get_data())
    assert "Dealer One" in text and "Dealer Two" not in text


def test_openapi_lists_figures(client):
    spec = client.get("/api/openapi.json").get_json()
    assert "/api/v1/figures/report" in spec["paths"]
    assert "/api/v1/figures/charts/{name}" in spec["paths"]


def test_anonymous_is_refused(client):
    assert client.get("/api/v1/figures/report").status_code == 401
    resp = client.get("/figures/report")
    assert resp.status_code in (302, 401)
