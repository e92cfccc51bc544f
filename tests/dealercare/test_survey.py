"""The quarterly dealer satisfaction survey, walked through a quarter over real HTTP.

A real SMTP server (aiosmtpd) on loopback receives the links; an anonymous visitor follows the
link from the mail and answers; the summary is read back from its XLSX (openpyxl) and PDF.
"""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest

from tests.repairs.test_sweep import smtp  # noqa: F401  (fixture: aiosmtpd on 127.0.0.1)

LINK_RE = re.compile(r"https?://[^/\s]+(/dealer-survey/[A-Za-z0-9_.\-]+)")


def _quarter(day) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


@pytest.fixture()
def world(app, make_office):
    """Four dealers in two regions (one without e-mail, one inactive), two brands, two departments."""
    from core.directory.models import Brand, Dealer, Department
    from core.extensions import db

    office = make_office("BJ")
    with app.app_context():
        dealers = [Dealer(code="D1", name="华北一", region="华北", email="d1@dealer.example", office_id=office),
                   Dealer(code="D2", name="华北二", region="华北", email="d2@dealer.example", office_id=office),
                   Dealer(code="D3", name="华东三", region="华东", email="d3@dealer.example", office_id=office),
                   Dealer(code="D4", name="无邮箱", region="华东", email=None, office_id=office),
                   Dealer(code="D5", name="停用", region="华东", email="d5@dealer.example", active=False)]
        brands = [Brand(code="MX", name="Maxell"), Brand(code="ZF", name="置富")]
        db.session.add_all(dealers + brands + [Department(code="channel", name="渠道部", email="channel@depot.example"),
                                               Department(code="product", name="产品部", email="product@depot.example"),
                                               Department(code="none", name="无邮箱部门", email=None)])
        db.session.commit()
        return {"dealers": {d.code: d.id for d in dealers}, "brands": {b.code: b.id for b in brands}}


def _start(api, questions, brands):
    from core.calendar.service import local_today

    today = local_today()
    resp = api.post("/api/v1/dealer-care/surveys",
                    json={"quarter": _quarter(today), "deadline": (today + timedelta(days=14)).isoformat()})
    assert resp.status_code == 201, resp.get_json()
    survey_id = resp.get_json()["id"]
    for text, brand in questions:
        body = {"text": text, "brand_id": brands[brand] if brand else None}
        resp = api.post(f"/api/v1/dealer-care/surveys/{survey_id}/questions", json=body)
        assert resp.status_code == 201, resp.get_json()
    return survey_id, resp.get_json()["questions"]


def _links(smtp):  # noqa: F811
    out = {}
    for rcpts, msg in smtp.messages:
        found = LINK_RE.search(msg.get_content())
        if found:
            out.setdefault(rcpts[0], []).append(found.group(1))
    return out


def _answer(app, path, scores, comment=""):
    """An anonymous visitor opens the link and sends the form with its CSRF token."""
    visitor = app.test_client()
    data = {f"q{qid}": str(v) for qid, v in scores.items()}
    data["comment"] = comment
    return visitor.submit(path, data)


def _pdf_text(data: bytes) -> str:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()


QUESTIONS = [("服务态度满意吗?", None), ("Maxell 维修速度", "MX"), ("置富 备品供应", "ZF")]


def test_a_quarter_from_questionnaire_to_summary(app, login, api_as, world, smtp):  # noqa: F811
    from openpyxl import load_workbook

    cs_api = api_as("service")
    survey_id, questions = _start(cs_api, QUESTIONS, world["brands"])
    assert [q["text"] for q in questions] == [t for t, _b in QUESTIONS]
    q1, q2, q3 = (q["id"] for q in questions)
    base = f"/dealer-care/surveys/{survey_id}"

    # One command on the page sends every active dealer with an e-mail a personal link.
    cs = login("service")
    assert cs.submit(f"{base}/send", form_page=base).status_code == 302
    assert sorted(r[0] for r, _m in [(m[0], m[1]) for m in smtp.messages]) == [
        "d1@dealer.example", "d2@dealer.example", "d3@dealer.example"]
    assert cs_api.post(f"/api/v1/dealer-care/surveys/{survey_id}/send").status_code == 409
    resp = cs_api.post(f"/api/v1/dealer-care/surveys/{survey_id}/questions", json={"text": "late"})
    assert resp.status_code == 409 and "no longer change" in resp.get_json()["message"]
    links = _links(smtp)

    # D1 follows its link without signing in and answers; the page shows the questions.
    page = app.test_client().get(links["d1@dealer.example"][0])
    assert page.status_code == 200 and "服务态度满意吗?" in page.get_data(as_text=True)
    resp = _answer(app, links["d1@dealer.example"][0], {q1: 5, q2: 4, q3: 3}, "很好")
    assert resp.status_code == 200 and "recorded" in resp.get_data(as_text=True)
    # A second answer and the replayed link are refused, readably.
    again = _answer(app, links["d1@dealer.example"][0], {q1: 1, q2: 1, q3: 1})
    assert again.status_code == 409 and "already on record" in again.get_data(as_text=True)
    replay = app.test_client().get(links["d1@dealer.example"][0])
    assert replay.status_code == 409 and "already on record" in replay.get_data(as_text=True)
    # An incomplete form is shown again with the message; nothing is recorded.
    partial = _answer(app, links["d2@dealer.example"][0], {q1: 2})
    assert partial.status_code == 422 and "rate every question" in partial.get_data(as_text=True)
    assert cs_api.get("/api/v1/tasks?process=dealercare").get_json()["items"] == []

    # D2 scores low twice in one answer: exactly one follow-up task, due in one working day.
    assert _answer(app, links["d2@dealer.example"][0], {q1: 2, q2: 1, q3: 4}).status_code == 200
    from core.calendar.service import add_working_days, local_today

    tasks = cs_api.get("/api/v1/tasks?process=dealercare").get_json()["items"]
    assert [t["kind"] for t in tasks] == ["survey_follow_up"]
    assert tasks[0]["due_on"] == add_working_days(local_today(), 1).isoformat()
    page = cs.get("/tasks?process=dealercare", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "D2 华北二" in page

    # Reminders go only to D3, who has not answered; a second run the same day mails nobody.
    before = len(smtp.messages)
    resp = cs_api.post(f"/api/v1/dealer-care/surveys/{survey_id}/reminders")
    assert resp.status_code == 200 and resp.get_json()["mailed"] == 1
    assert [m[0] for m in smtp.messages[before:]] == [["d3@dealer.example"]]
    assert "Reminder" in smtp.messages[-1][1]["Subject"]
    assert cs_api.post(f"/api/v1/dealer-care/surveys/{survey_id}/reminders").get_json()["mailed"] == 0
    assert len(smtp.messages) == before + 1

    # Results by hand: 2 of 3 answered; Q1 (5+2)/2 = 3.5, Q2 (4+1)/2 = 2.5, Q3 (3+4)/2 = 3.5, all 19/6 = 3.17.
    # 华北: 2 of 2, average 19/6; 华东: 0 of 1. Maxell: Q2 only, 2.5; 置富: Q3 only, 3.5.
    res = cs_api.get(f"/api/v1/dealer-care/surveys/{survey_id}/results").get_json()
    assert (res["invited"], res["answered"], res["rate"], res["average"], res["low_answers"]) == (3, 2, 66.7, 3.17, 1)
    assert [q["average"] for q in res["questions"]] == [3.5, 2.5, 3.5]
    regions = {r["name"]: r for r in res["regions"]}
    assert (regions["华北"]["answered"], regions["华北"]["rate"], regions["华北"]["per_question"]) == (2, 100.0, [3.5, 2.5, 3.5])
    assert (regions["华东"]["invited"], regions["华东"]["answered"], regions["华东"]["average"]) == (1, 0, None)
    brands = {b["name"]: b["average"] for b in res["brands"]}
    assert brands == {"Maxell": 2.5, "置富": 3.5}

    # The summary as XLSX, read back.
    xlsx = cs.get(f"{base}/summary.xlsx")
    assert xlsx.status_code == 200
    wb = load_workbook(io.BytesIO(xlsx.data), read_only=True)
    rows = {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    region_rows = {r[0]: r for r in rows["Region"][1:]}
    assert region_rows["华北"][1:8] == [2, 2, 100.0, 3.17, 3.5, 2.5, 3.5]
    assert region_rows["华东"][1:4] == [1, 0, 0.0]
    brand_rows = {r[0]: r for r in rows["Brand"][1:]}
    assert brand_rows["Maxell"][4] == 2.5 and brand_rows["置富"][4] == 3.5
    question_rows = [r for r in rows["Questions"] if r and isinstance(r[0], int)]
    assert [(r[1], r[4], r[5]) for r in question_rows] == [("服务态度满意吗?", 3.5, 1), ("Maxell 维修速度", 2.5, 1),
                                                           ("置富 备品供应", 3.5, 0)]
    assert ["D1 华北一", "很好"] in rows["Comments"]

    # The PDF, decoded.
    pdf = cs.get(f"{base}/summary.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = _pdf_text(pdf.data)
    assert "66.7%" in text and "华北" in text and "华东" in text and "置富" in text
    assert "3.17" in text and "2.50" in text and "3.50" in text

    # Mailed to the departments with an e-mail, both files attached, once.
    before = len(smtp.messages)
    assert cs.submit(f"{base}/summary-mail", form_page=base).status_code == 302
    assert cs_api.post(f"/api/v1/dealer-care/surveys/{survey_id}/summary-mail").status_code == 409
    assert len(smtp.messages) == before + 1
    rcpts, msg = smtp.messages[-1]
    assert sorted(rcpts) == ["channel@depot.example", "product@depot.example"]
    names = [p.get_filename() for p in msg.iter_attachments()]
    assert names == [f"dealer-survey-{res['quarter']}.xlsx", f"dealer-survey-{res['quarter']}.pdf"]
    attached = load_workbook(io.BytesIO(next(msg.iter_attachments()).get_content()), read_only=True)
    assert "Region" in attached.sheetnames
    html = cs.get(base, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "渠道部" not in html or "channel@depot.example" in html


def test_forged_expired_and_foreign_links_get_a_readable_page(app, api_as, world, smtp, monkeypatch):  # noqa: F811
    import itsdangerous
    from itsdangerous import URLSafeTimedSerializer

    from core.extensions import db
    from dealercare import survey
    from dealercare.models import Survey

    cs_api = api_as("service")
    survey_id, questions = _start(cs_api, QUESTIONS[:1], world["brands"])
    assert cs_api.post(f"/api/v1/dealer-care/surveys/{survey_id}/send").get_json()["mailed"] == 3
    good = _links(smtp)["d3@dealer.example"][0]
    token = good.rsplit("/", 1)[1]
    anon = app.test_client()
    assert anon.get(good).status_code == 200

    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for path in (f"/dealer-survey/{forged}", "/dealer-survey/not-a-token", "/dealer-survey/x.y.z"):
        resp = anon.get(path)
        assert resp.status_code == 404 and "not valid" in resp.get_data(as_text=True), path
    with app.app_context():
        # Signed with the right key but another salt, or naming a dealer that was not sent the link.
        other = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="another").dumps({"s": survey_id, "d": 1})
        stranger = survey.make_link_token(db.session.get(Survey, survey_id), world["dealers"]["D4"])
        # Signed a year ago: before this quarter's links went out.
        real_time = itsdangerous.timed.time.time
        monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() - 365 * 86400)
        old = survey.make_link_token(db.session.get(Survey, survey_id), world["dealers"]["D3"])
        monkeypatch.undo()
    assert anon.get(f"/dealer-survey/{other}").status_code == 404
    assert anon.get(f"/dealer-survey/{stranger}").status_code == 404
    resp = anon.get(f"/dealer-survey/{old}")
    assert resp.status_code == 410 and "closed" in resp.get_data(as_text=True)
    csrf = anon.csrf_token(good)
    resp = anon.post(f"/dealer-survey/{old}", data={f"q{questions[0]['id']}": "5", "csrf_token": csrf})
    assert resp.status_code == 410

    # A form without its CSRF token is refused; nothing is recorded.
    assert anon.post(good, data={f"q{questions[0]['id']}": "5"}).status_code == 400

    # Past the deadline the real link is expired too (time shifted: the deadline moved to yesterday).
    with app.app_context():
        row = db.session.get(Survey, survey_id)
        row.deadline = row.deadline - timedelta(days=30)
        db.session.commit()
    resp = anon.get(good)
    assert resp.status_code == 410 and "closed" in resp.get_data(as_text=True)
    assert cs_api.post(f"/api/v1/dealer-care/surveys/{survey_id}/reminders").status_code == 409
    assert cs_api.get(f"/api/v1/dealer-care/surveys/{survey_id}/results").get_json()["answered"] == 0


def test_the_answer_page_is_rate_limited(app, api_as, world, smtp):  # noqa: F811
    cs_api = api_as("service")
    survey_id, _q = _start(cs_api, QUESTIONS[:1], world["brands"])
    cs_api.post(f"/api/v1/dealer-care/surveys/{survey_id}/send")
    app.config["DEALER_SURVEY_RATE_LIMIT"] = "3 per minute"
    try:
        anon = app.test_client()
        codes = [anon.get(f"/dealer-survey/guess-{i}").status_code for i in range(5)]
        assert codes[:3] == [404, 404, 404] and codes[3:] == [429, 429]
    finally:
        app.config["DEALER_SURVEY_RATE_LIMIT"] = "20 per minute"


def test_questionnaire_rules_and_pages(app, login, api_as, world):
    cs_api = api_as("service")
    survey_id, questions = _start(cs_api, QUESTIONS, world["brands"])
    quarter = cs_api.get(f"/api/v1/dealer-care/surveys/{survey_id}").get_json()["quarter"]
    from dealercare.survey import quarter_bounds

    resp = cs_api.post("/api/v1/dealer-care/surveys",
                       json={"quarter": quarter, "deadline": quarter_bounds(quarter)[1].isoformat()})
    assert resp.status_code == 409
    for body in ({"quarter": "2026-Q5", "deadline": "2030-01-01"}, {"quarter": "0000-Q1", "deadline": "2000-01-01"},
                 {"quarter": "2029-Q4", "deadline": "9999-12-31"}, {"quarter": "2029-Q4", "deadline": "2029-09-30"}):
        assert cs_api.post("/api/v1/dealer-care/surveys", json=body).status_code == 422, body
    resp = cs_api.post(f"/api/v1/dealer-care/surveys/{survey_id}/questions", json={"text": "x", "brand_id": 987654})
    assert resp.status_code == 422
    resp = cs_api.delete(f"/api/v1/dealer-care/surveys/{survey_id}/questions/{questions[0]['id']}")
    assert resp.status_code == 200 and [q["text"] for q in resp.get_json()["questions"]] == [t for t, _b in QUESTIONS[1:]]
    assert cs_api.delete(f"/api/v1/dealer-care/surveys/{survey_id}/questions/{questions[0]['id']}").status_code == 404
    # The next quarter starts with this quarter's questions.
    year, q = int(quarter[:4]), int(quarter[-1])
    nxt = f"{year + (q == 4)}-Q{q % 4 + 1}"
    resp = cs_api.post("/api/v1/dealer-care/surveys", json={"quarter": nxt, "deadline": quarter_bounds(nxt)[1].isoformat()})
    assert [x["text"] for x in resp.get_json()["questions"]] == [t for t, _b in QUESTIONS[1:]]
    # Pages in Chinese; clerks are kept out.
    c = login("supervisor")
    html = c.get("/dealer-care/surveys", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert quarter in html and "代理商满意度调查" in html
    html = c.get(f"/dealer-care/surveys/{survey_id}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "Maxell 维修速度" in html and "发送给所有代理商" in html
    assert api_as("clerk").get("/api/v1/dealer-care/surveys").status_code == 403
    resp = c.submit("/dealer-care/surveys", {"quarter": "bad", "deadline": "2030-01-01"}, form_page="/dealer-care/surveys")
    assert resp.status_code == 303


def test_a_late_call_back_is_chased_like_other_tasks(app, api_as, world, smtp):  # noqa: F811
    from datetime import datetime, timezone

    from core.extensions import db
    from dealercare import survey
    from dealercare.models import Survey

    cs_api = api_as("service")
    survey_id, questions = _start(cs_api, QUESTIONS[:1], world["brands"])
    cs_api.post(f"/api/v1/dealer-care/surveys/{survey_id}/send")
    with app.app_context():
        row = db.session.get(Survey, survey_id)
        token = survey.make_link_token(row, world["dealers"]["D1"])
        # Answered on Monday 2026-11-02 (sent that morning): the call-back was due on Tuesday.
        row.sent_at = datetime(2026, 11, 2, 1, tzinfo=timezone.utc)
        survey.submit_answer(token, {questions[0]["id"]: 1}, "慢", at=datetime(2026, 11, 2, 2, tzinfo=timezone.utc))
        db.session.commit()
    tasks = cs_api.get("/api/v1/tasks?process=dealercare").get_json()["items"]
    assert [(t["kind"], t["due_on"]) for t in tasks] == [("survey_follow_up", "2026-11-03")]
    overdue = cs_api.get("/api/v1/overdue").get_json()
    section = next(s for s in overdue["sections"] if s["kind"] == "dealercare_follow_up")
    assert [i["reference"] for i in section["items"]] == ["D1"]
    assert "华北一" in section["items"][0]["description"]
