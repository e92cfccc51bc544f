"""A refund carries its amount and currency (default CNY), checked, and shown wherever refunds are shown or summed."""
from __future__ import annotations

from decimal import Decimal

import pytest

from core.errors import ValidationFailed
from tests.doa.conftest import PHONE_LAST4
from tests.doa.steps import finance_approved, refunded


@pytest.mark.parametrize(("amount", "currency", "field"), [
    (None, None, "amount"), ("", None, "amount"), ("0", None, "amount"), ("-5", None, "amount"),
    ("12.345", None, "amount"), ("abc", None, "amount"), ("NaN", None, "amount"), (True, None, "amount"),
    ("10", "XYZ", "currency"),
])
def test_a_credit_without_a_valid_amount_is_refused_and_nothing_changes(ctx, world, user, amount, currency, field):
    from doa import replacement

    row = finance_approved()
    with pytest.raises(ValidationFailed) as caught:
        replacement.issue_credit(user("commerce"), row, "XT1", amount=amount, currency=currency)
    assert caught.value.status == 422 and field in caught.value.errors
    assert row.state == "refund_finance_approved" and row.refund_amount is None and row.credit_number is None


@pytest.mark.parametrize(("amount", "currency", "stored"), [
    ("259.5", None, ("259.50", "CNY")), (99, "hkd", ("99.00", "HKD")), ("12.30", "", ("12.30", "CNY")),
])
def test_a_credit_records_its_amount_and_currency(ctx, world, amount, currency, stored):
    row = refunded(amount=amount, currency=currency)
    assert (str(row.refund_amount), row.refund_currency) == stored
    assert row.state == "refunded"


def test_refunds_are_summed_per_currency(ctx, world):
    from doa import replacement

    rows = [refunded(amount="100.10", serials=("SN1",)), refunded(amount="50.05", serials=("SN2",)),
            refunded(amount="20", currency="USD", serials=("SN3",)), finance_approved(serials=("SN4",))]
    assert replacement.refund_totals(rows) == {"CNY": Decimal("150.15"), "USD": Decimal("20.00")}


def _finance_approved_number(app):
    from core.extensions import db

    with app.app_context():
        row = finance_approved()
        db.session.commit()
        return row.number


def test_the_api_takes_and_shows_the_amount(app, world, bearer):
    number = _finance_approved_number(app)
    path = f"/api/v1/doa/applications/{number}"
    missing = bearer("commerce").post(f"{path}/refund/credit", json={"credit_number": "XT1"})
    assert missing.status_code == 422 and "amount" in missing.get_json()["errors"]
    too_fine = bearer("commerce").post(f"{path}/refund/credit", json={"credit_number": "XT1", "amount": 1.005})
    assert too_fine.status_code == 422 and "amount" in too_fine.get_json()["errors"]
    assert bearer("service").get(path).get_json()["state"] == "refund_finance_approved"
    ok = bearer("commerce").post(f"{path}/refund/credit", json={"credit_number": "XT1", "amount": 259.9})
    assert ok.status_code == 200
    assert (ok.get_json()["refund_amount"], ok.get_json()["refund_currency"]) == ("259.90", "CNY")
    listed = bearer("service").get(f"/api/v1/doa/applications?q={number}").get_json()["items"][0]
    assert (listed["refund_amount"], listed["refund_currency"]) == ("259.90", "CNY")


def test_the_page_takes_the_amount_and_the_dealer_sees_it(app, world, signed_in, client):
    number = _finance_approved_number(app)
    commerce = signed_in("commerce")
    form = commerce.get(f"/doa/{number}").get_data(as_text=True)
    assert 'name="amount"' in form and '<option value="CNY" selected>' in form
    bad = commerce.submit(f"/doa/{number}/step/refund-credit", {"credit_number": "XT1", "amount": "-1"},
                          form_page=f"/doa/{number}")
    assert bad.status_code == 303
    assert "must be more than 0" in commerce.get(f"/doa/{number}").get_data(as_text=True)
    ok = commerce.submit(f"/doa/{number}/step/refund-credit", {"credit_number": "XT1", "amount": "1288.00",
                                                               "currency": "CNY"}, form_page=f"/doa/{number}")
    assert ok.status_code == 302
    assert "1288.00 CNY" in commerce.get(f"/doa/{number}").get_data(as_text=True)
    status = client.submit("/doa-apply/status", {"number": number, "phone_last4": PHONE_LAST4})
    assert status.status_code == 200 and "1288.00 CNY" in status.get_data(as_text=True)
    zh = client.submit("/doa-apply/status", {"number": number, "phone_last4": PHONE_LAST4},
                       headers={"Accept-Language": "zh-CN"})
    assert "退款" in zh.get_data(as_text=True)


def test_the_monthly_figures_sum_the_refunded_amounts(app, world):
    from core.calendar import local_today
    from core.extensions import db
    from figures import service as figures
    from figures.periods import month_period

    with app.app_context():
        refunded(amount="100.10", serials=("SN1",))
        refunded(amount="20", currency="USD", serials=("SN2",))
        db.session.commit()
        today = local_today()
        report = figures.compute_report(month_period(today.year, today.month), figures.Scope(None))
        table = report.table("doa_refunds")
        assert [row[:3] for row in table.rows] == [["CNY", 1, Decimal("100.10")], ["USD", 1, Decimal("20.00")]]
