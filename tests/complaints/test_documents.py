"""The complaint forms as PDFs: form code, CS number and every field, read back from the PDF."""
from __future__ import annotations

from tests.complaints.conftest import ID_NUMBER
from tests.complaints.test_personal_data import AGREEMENT


def pdf_text(data: bytes) -> str:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()


def _flat(text: str) -> str:
    return "".join(text.split())


def _very_serious(api, world):
    import io

    from tests.complaints.conftest import PDF

    cs, boss, gm = api("service"), api("supervisor"), api("gm_assistant")
    number = cs.post("/api/v1/complaints", json={"dealer_code": "D0001", "tier": "very_serious",
                                                 "subject": "数据丢失索赔", "description": "U盘数据丢失",
                                                 "received_on": "2026-09-30"}).get_json()["number"]
    cs.post(f"/api/v1/complaints/{number}/letters", data={"file": (io.BytesIO(PDF), "l.pdf")},
            content_type="multipart/form-data")
    cs.post(f"/api/v1/complaints/{number}/steps/refer", json={"department_id": world["product"], "text": "请核查批次"})
    cs.post(f"/api/v1/complaints/{number}/steps/department_answer", json={"text": "批次质量问题"})
    cs.post(f"/api/v1/complaints/{number}/steps/report", json={"text": "同意赔偿", "compensation": "1234.50"})
    boss.post(f"/api/v1/complaints/{number}/steps/sign_off", json={})
    gm.post(f"/api/v1/complaints/{number}/steps/gm_approve", json={})
    assert gm.post(f"/api/v1/complaints/{number}/mediation", json=AGREEMENT).status_code == 201
    return number


def test_each_form_carries_its_code_the_cs_number_and_its_fields(as_user, api, world):
    number = _very_serious(api, world)
    boss = as_user("supervisor")
    expect = {
        "dealer-letter": ["ZFKFBFJ007", "代理商客诉反馈函", "北京数码商行", "数据丢失索赔", "U盘数据丢失"],
        "internal-letter": ["ZFKFBFJ008", "内部客诉反馈函", "内部专用", "产品部", "请核查批次", "批次质量问题"],
        "report": ["ZFKFBFJ009", "客诉处理报告", "同意赔偿", "1234.50", "渠道部", "客服主管", "supervisor",
                   "客服专员", "service", "总经理助理审批", "gm_assistant"],
        "mediation": ["ZFKFBFJ0010", "顾客投诉调解协议", "TJ-2026-01", "张三丰", "北京市海淀区中关村大街1号",
                      "13912345678", ID_NUMBER, "置富科技", "深圳市南山区", "0755-12345678", "李四",
                      "2026年10月12日", "2026年9月30日", "U盘64G", "不再就此投诉", "赔偿1234.50元", "王五",
                      "授权代表", "盖章"],
    }
    for kind, words in expect.items():
        resp = boss.get(f"/complaints/{number}/forms/{kind}.pdf")
        assert resp.status_code == 200 and resp.mimetype == "application/pdf", kind
        text = _flat(pdf_text(resp.data))
        assert "客服部编号" in text and number in text, kind
        for word in words:
            assert _flat(word) in text, (kind, word)


def test_the_agreement_pdf_is_for_the_roles_with_the_need(as_user, api, world):
    number = _very_serious(api, world)
    assert as_user("service").get(f"/complaints/{number}/forms/mediation.pdf").status_code == 403
    assert as_user("gm_assistant").get(f"/complaints/{number}/forms/mediation.pdf").status_code == 200
    assert as_user("service").get(f"/complaints/{number}/forms/report.pdf").status_code == 200


def test_the_api_serves_the_same_forms(api, world):
    number = _very_serious(api, world)
    cs, gm = api("service"), api("gm_assistant")
    resp = cs.get(f"/api/v1/complaints/{number}/forms/report")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert f'filename="{number}-ZFKFBFJ009.pdf"' in resp.headers["Content-Disposition"]
    text = _flat(pdf_text(resp.data))
    assert "客诉处理报告" in text and number in text and "1234.50" in text
    refused = cs.get(f"/api/v1/complaints/{number}/forms/mediation")
    assert refused.status_code == 403 and refused.is_json
    assert gm.get(f"/api/v1/complaints/{number}/forms/mediation").status_code == 200
    assert cs.get(f"/api/v1/complaints/{number}/forms/nonsense").status_code == 404
    assert cs.get("/api/v1/complaints/KS0000-0001/forms/report").status_code == 404
