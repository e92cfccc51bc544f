"""The ledger page names the reasons the system writes in words, and shows typed reasons as typed."""
from __future__ import annotations

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


def test_the_ledger_names_system_reasons_and_keeps_typed_ones(app, client, stock):
    from core.accounts.service import get_user
    from core.extensions import db
    from inventory import service
    from inventory.models import HQ_STORE, Part

    with app.app_context():
        usb = db.session.get(Part, stock.usb)
        hq = service.system_location(HQ_STORE)
        bj = service.office_location(stock.bj)
        service.post_movement(actor=get_user("boss"), part=usb, from_location=hq, to_location=bj, quantity=1,
                              reason="loan to the trade fair")
        db.session.commit()
    client.login("boss", "boss-pass")
    english = client.get("/inventory/movements", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Goods received" in english
    assert "loan to the trade fair" in english
    assert "收货入库" in client.get("/inventory/movements", headers=ZH).get_data(as_text=True)
