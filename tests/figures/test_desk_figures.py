"""The desks in the monthly report, computed by hand for October 2026 (National Day: 10-01..07 off).

Hotline (brand K = Kingston): three questions in October, one in November.
- H1 K/warranty, phone, asked 10-09, due 10-09, answered 10-09: on time;
- H2 K/warranty, e-mail, asked 10-09, due 10-10 (the make-up Saturday), answered 10-12: late;
- H3 no brand/repair, phone, asked 10-20, due 10-21, not answered;
- H4 asked 11-02: not October's.

Complaints (office BJ's dealer D1 unless said):
- C1 ordinary, received 10-08, due 10-12, answered 10-12 (on time), closed 10-20;
- C2 serious, received 10-09, due 10-20, answered 10-22 (late), compensation 300.00, still open;
- C3 very serious, received 10-28, due 11-10, not answered, open: 3 days old at 10-31's end (4 days);
- C4 ordinary, received 09-25, answered 09-27, open at October's end (fixed, visit due): 37 days old;
- C5 ordinary about CS staff (office SH dealer), received 10-15, open: counted for the supervisor only.
Brands: C1 and C2 are about Kingston, the others about no brand; per brand in October:
Kingston received 2, on time 1 (C1), answered both, open 1 (C2), 300.00; no brand received 2 (C3, C5), none answered.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.figures.data import seed, sh


@pytest.fixture()
def desk_data(app):
    from complaints.models import Complaint
    from core.directory.models import Brand, Dealer
    from core.extensions import db
    from hotline.models import HotlineEntry

    with app.app_context():
        ids = seed()
        brand = Brand(code="K", name="Kingston")
        db.session.add(brand)
        db.session.flush()
        d1 = db.session.query(Dealer).filter_by(code="D1").one()
        d2 = db.session.query(Dealer).filter_by(code="D2").one()

        def entry(number, channel, category, asked, due, answered=None, brand_id=None, dealer=d1):
            db.session.add(HotlineEntry(number=number, asker="dealer", channel=channel, category=category,
                                        question="?", due_on=due, asked_at=asked, answered_at=answered,
                                        brand_id=brand_id, dealer_id=dealer.id,
                                        state="answered" if answered else "open"))

        entry("H1", "phone", "warranty", sh(2026, 10, 9, 10), date(2026, 10, 9), sh(2026, 10, 9, 15), brand.id)
        entry("H2", "email", "warranty", sh(2026, 10, 9, 11), date(2026, 10, 10), sh(2026, 10, 12, 9), brand.id)
        entry("H3", "phone", "repair", sh(2026, 10, 20, 11), date(2026, 10, 21))
        entry("H4", "phone", "repair", sh(2026, 11, 2, 11), date(2026, 11, 2))

        def complaint(number, tier, received, due, answered=None, closed=None, compensation=None, dealer=d1,
                      about_staff=False, state="registered", brand_id=None):
            db.session.add(Complaint(number=number, tier=tier, dealer_id=dealer.id, office_id=dealer.office_id,
                                     brand_id=brand_id,
                                     about_staff=about_staff, subject="s", received_on=received, answer_due=due,
                                     answered_at=answered, closed_at=closed, compensation=compensation,
                                     state=state))

        complaint("C1", "ordinary", date(2026, 10, 8), date(2026, 10, 12), sh(2026, 10, 12, 16), sh(2026, 10, 20),
                  state="closed", brand_id=brand.id)
        complaint("C2", "serious", date(2026, 10, 9), date(2026, 10, 20), sh(2026, 10, 22, 10),
                  compensation=Decimal("300.00"), state="answered", brand_id=brand.id)
        complaint("C3", "very_serious", date(2026, 10, 28), date(2026, 11, 10))
        complaint("C4", "ordinary", date(2026, 9, 25), date(2026, 9, 29), sh(2026, 9, 27), state="fixed")
        complaint("C5", "ordinary", date(2026, 10, 15), date(2026, 10, 19), dealer=d2, about_staff=True)
        db.session.commit()
        return ids


def _table(body, key):
    return next(t for t in body["tables"] if t["key"] == key)


def test_the_desks_of_october_for_the_supervisor(api_as, desk_data):
    body = api_as("supervisor").get("/api/v1/figures/report?month=2026-10").get_json()
    hotline = _table(body, "hotline")["rows"]
    assert [r[:7] for r in hotline] == [["(no brand)", "repair progress", 1, 1, 0, 0, 0],
                                        ["Kingston", "warranty and policy", 2, 1, 1, 2, 1],
                                        ["All", "", 3, 2, 1, 2, 1]]
    assert round(float(hotline[-1][7]), 1) == 33.3
    tiers = {r[0]: r[1:] for r in _table(body, "complaints")["rows"]}
    assert tiers["ordinary"][:2] == [2, 1] and tiers["ordinary"][3:5] == [1, 1]  # C1 on time; C5 open
    assert tiers["serious"][:2] == [1, 0] and Decimal(str(tiers["serious"][5])) == Decimal("300.00")
    assert tiers["very serious, with compensation"][:2] == [1, 0]
    assert tiers["All"][0] == 4 and Decimal(str(tiers["All"][5])) == Decimal("300.00")
    brands = {r[0]: r[1:] for r in _table(body, "complaints_brand")["rows"]}
    assert brands["Kingston"][:5] == [2, 1, 50.0, 0, 1] and Decimal(str(brands["Kingston"][5])) == Decimal("300.00")
    assert brands["(no brand)"][:2] == [2, 0] and brands["(no brand)"][3] == 2
    assert brands["All"][:2] == tiers["All"][:2]
    ages = {r[0]: r[1] for r in _table(body, "complaints_open")["rows"]}
    # Open at 11-01: C2 (23 days), C3 (4), C5 (17), C4 (37).
    assert ages == {"0–2 days": 0, "3–7 days": 1, "8–14 days": 0, "15 days or more": 3}


def test_an_office_sees_its_own_desk_figures_without_staff_complaints(api_as, desk_data):
    office = api_as("office", office_id=desk_data["sh"])
    body = office.get("/api/v1/figures/report?month=2026-10").get_json()
    assert _table(body, "hotline")["rows"] == []
    tiers = {r[0]: r[1:] for r in _table(body, "complaints")["rows"]}
    assert tiers["All"][0] == 0  # C5 is about CS staff: the supervisor's alone


def test_the_desks_in_the_pdf_in_chinese(login, desk_data):
    from tests.figures.test_web import _pdf_text

    c = login("service")
    pdf = c.get("/figures/report.pdf?month=2026-10", headers={"Accept-Language": "zh-CN"})
    assert pdf.status_code == 200
    text = _pdf_text(pdf.data)
    assert "Kingston" in text and "300.00" in text
