"""A case closes only with the sales head's sign-off and the scanned signed application, or the supervisor's waiver."""
from __future__ import annotations

import io

import pytest

from core.errors import Conflict, Forbidden, ValidationFailed
from tests.doa.steps import refunded, shipped

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _attach(row):
    from core.accounts.service import get_user
    from doa import attachments

    attachments.add_attachment(get_user("service"), row, io.BytesIO(PDF), "申请单.pdf")


@pytest.mark.parametrize("outcome", [shipped, refunded])
def test_a_case_does_not_close_while_the_papers_are_pending(ctx, world, user, outcome):
    from doa import closing, service

    row = outcome()
    assert service.closing_papers_missing(row) == ["sales_signoff", "signed_scan"]
    with pytest.raises(Conflict) as caught:
        closing.close_case(user("service"), row)
    assert caught.value.status == 409
    assert "the sales head's sign-off" in caught.value.message and "the scanned signed application" in caught.value.message
    assert row.state in ("replacement_shipped", "refunded")
    closing.sales_signoff(user("sales"), row)
    with pytest.raises(Conflict) as caught:
        closing.close_case(user("service"), row)
    assert "the scanned signed application" in caught.value.message and "sign-off" not in caught.value.message
    _attach(row)
    assert service.can_close(row)
    closing.close_case(user("service"), row, note="资料齐全")
    assert row.state == "closed" and row.closed_by == "service" and row.closed_at is not None


def test_the_supervisor_waives_the_missing_papers_with_a_reason(ctx, world, user):
    from doa import closing, lookup

    row = shipped()
    with pytest.raises(Forbidden):
        closing.waive_closing_papers(user("service"), row, "原件在办事处")
    with pytest.raises(ValidationFailed) as caught:
        closing.waive_closing_papers(user("supervisor"), row, "  ")
    assert "reason" in caught.value.errors
    assert row.closing_waived_at is None
    closing.waive_closing_papers(user("supervisor"), row, "原件在办事处,已电话确认")
    assert (row.closing_waived_by, row.closing_waiver_reason) == ("supervisor", "原件在办事处,已电话确认")
    with pytest.raises(Conflict):
        closing.waive_closing_papers(user("supervisor"), row, "again")
    closing.close_case(user("service"), row)
    assert row.state == "closed"
    actions = [(e.action, e.note) for e in lookup.timeline(row)]
    assert ("closing_waiver", "原件在办事处,已电话确认") in actions and actions[-1][0] == "close"


def _shipped_number(app):
    from core.extensions import db

    with app.app_context():
        row = shipped()
        db.session.commit()
        return row.number


def test_the_api_refuses_to_close_naming_what_is_missing_then_records_the_waiver(app, world, bearer):
    number = _shipped_number(app)
    path = f"/api/v1/doa/applications/{number}"
    body = bearer("service").get(path).get_json()
    assert body["papers_missing"] == ["sales_signoff", "signed_scan"] and "close" not in body["allowed_actions"]
    refused = bearer("service").post(f"{path}/close", json={})
    assert refused.status_code == 409
    assert refused.get_json()["current_state"] == "replacement_shipped"
    assert refused.get_json()["missing"] == ["sales_signoff", "signed_scan"]
    assert bearer("service").post(f"{path}/closing-waiver", json={"reason": "x"}).status_code == 403
    assert bearer("supervisor").post(f"{path}/closing-waiver", json={}).status_code == 422
    waived = bearer("supervisor").post(f"{path}/closing-waiver", json={"reason": "原件遗失,销售部邮件确认"})
    assert waived.status_code == 200
    waived = waived.get_json()
    assert waived["closing_waiver_reason"] == "原件遗失,销售部邮件确认" and waived["closing_waived_by"] == "supervisor"
    assert "close" in waived["allowed_actions"]
    closed = bearer("service").post(f"{path}/close", json={"note": "ok"})
    assert closed.status_code == 200 and closed.get_json()["state"] == "closed"


def test_the_page_offers_close_only_when_the_guard_allows_and_shows_the_waiver(app, world, signed_in):
    number = _shipped_number(app)
    service_page = signed_in("service")
    page = service_page.get(f"/doa/{number}").get_data(as_text=True)
    assert "missing: the sales head&#39;s sign-off, the scanned signed application" in page
    assert f"/doa/{number}/step/close" not in page  # the button uses the service's guard
    resp = service_page.submit(f"/doa/{number}/step/close", {}, form_page=f"/doa/{number}")
    assert resp.status_code == 303
    assert "cannot close yet" in service_page.get(f"/doa/{number}").get_data(as_text=True)
    supervisor = signed_in("supervisor")
    assert f"/doa/{number}/step/closing-waiver" in supervisor.get(f"/doa/{number}").get_data(as_text=True)
    resp = supervisor.submit(f"/doa/{number}/step/closing-waiver", {"reason": "原件在办事处"}, form_page=f"/doa/{number}")
    assert resp.status_code == 302
    page = service_page.get(f"/doa/{number}").get_data(as_text=True)
    assert "Waived by supervisor" in page and "原件在办事处" in page and f"/doa/{number}/step/close" in page
    resp = service_page.submit(f"/doa/{number}/step/close", {}, form_page=f"/doa/{number}")
    assert resp.status_code == 302
    page = service_page.get(f"/doa/{number}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "已结案" in page
