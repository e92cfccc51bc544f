"""The standard answers library: Chinese search (whole text and character pairs), LIKE escaping,
brand and category, kept from an answered question, and the page."""
from __future__ import annotations

from core.authz import SYSTEM


def _library(desk):
    from hotline import answers

    made = {
        "warranty": answers.create(SYSTEM, category="warranty", question="U盘保修期是多长时间?",
                                   answer="自购买之日起五年有限保修。", brand_id=desk["MAXELL"]),
        "ssd": answers.create(SYSTEM, category="warranty", question="固态硬盘保修几年?",
                              answer="三年有限保修。", brand_id=desk["TEAM"]),
        "card": answers.create(SYSTEM, category="product", question="存储卡无法识别怎么办?",
                               answer="请先备份数据,再在相机里格式化。"),
        "percent": answers.create(SYSTEM, category="product", question="写入速度只有50%正常吗?",
                                  answer="标称速度为读取速度,写入速度约为其一半。"),
    }
    return {k: v.id for k, v in made.items()}


def test_chinese_search_finds_a_question_worded_differently(app, desk):
    from core.extensions import db
    from hotline import answers

    with app.app_context():
        ids = _library(desk)
        db.session.commit()
        # "保修期多久" is nowhere verbatim; its pairs 保修, 修期 are.
        found = answers.search(SYSTEM, "U盘保修期多久")
        assert found[0].id == ids["warranty"]
        assert answers.search(SYSTEM, "存储卡 识别")[0].id == ids["card"]
        # Brand: Maxell's answers and those for every brand, not Team's.
        assert ids["ssd"] not in {a.id for a in answers.search(SYSTEM, "保修", brand_id=desk["MAXELL"])}
        assert {a.id for a in answers.search(SYSTEM, "保修", category="warranty")} == {ids["warranty"], ids["ssd"]}


def test_like_wildcards_are_searched_as_text(app, desk):
    from core.extensions import db
    from hotline import answers

    with app.app_context():
        ids = _library(desk)
        db.session.commit()
        assert [a.id for a in answers.search(SYSTEM, "50%")] == [ids["percent"]]
        assert answers.search(SYSTEM, "%") [0].id == ids["percent"]
        assert answers.search(SYSTEM, "_") == []
        assert answers.search(SYSTEM, "\\") == []


def test_search_api_and_refusals(app, desk, api_as):
    from core.extensions import db

    with app.app_context():
        ids = _library(desk)
        db.session.commit()
    api = api_as("service")
    resp = api.get("/api/v1/hotline/answers", query_string={"q": "保修期多久", "limit": 2})
    assert resp.status_code == 200
    assert resp.get_json()["items"][0]["id"] == ids["warranty"]
    assert api.get("/api/v1/hotline/answers", query_string={"q": "x" * 101}).status_code == 422
    assert api.get("/api/v1/hotline/answers", query_string={"category": "nope"}).status_code == 422
    bad = api.post("/api/v1/hotline/answers", json={"category": "warranty", "question": "", "answer": "a"})
    assert bad.status_code == 422


def test_answered_question_goes_into_the_library(app, desk, api_as):
    api = api_as("service")
    entry = api.post("/api/v1/hotline/entries", json={
        "asker": "end_customer", "channel": "phone", "brand_id": desk["TEAM"], "category": "repair",
        "question": "返修要多久?", "answer": "七个工作日内寄回。"}).get_json()
    made = api.post(f"/api/v1/hotline/entries/{entry['id']}/standard-answer", json={})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert (body["question"], body["answer"], body["brand_id"], body["category"]) == (
        "返修要多久?", "七个工作日内寄回。", desk["TEAM"], "repair")
    assert api.get(f"/api/v1/hotline/entries/{entry['id']}").get_json()["standard_answer_id"] == body["id"]
    # A later, better answer replaces the library's words.
    second = api.post("/api/v1/hotline/entries", json={
        "asker": "dealer", "channel": "phone", "brand_id": desk["TEAM"], "category": "repair",
        "question": "返修多长时间?", "answer": "工厂收到后七个工作日内修好寄回。"}).get_json()
    updated = api.post(f"/api/v1/hotline/entries/{second['id']}/standard-answer", json={"answer_id": body["id"]})
    assert updated.status_code == 201 and updated.get_json()["answer"] == "工厂收到后七个工作日内修好寄回。"
    waiting = api.post("/api/v1/hotline/entries", json={
        "asker": "dealer", "channel": "phone", "brand_id": desk["TEAM"], "category": "repair",
        "question": "?"}).get_json()
    refused = api.post(f"/api/v1/hotline/entries/{waiting['id']}/standard-answer", json={})
    assert refused.status_code == 422


def test_library_page_and_log_page_script(app, desk, login):
    c = login("service")
    resp = c.submit("/hotline/answers", {"category": "warranty", "question": "保修?", "answer": "五年。",
                                         "brand_id": str(desk["MAXELL"])}, form_page="/hotline/answers",
                    follow_redirects=True)
    assert resp.status_code == 200 and "五年。" in resp.get_data(as_text=True)
    page = c.get("/hotline").get_data(as_text=True)
    assert "/static/hotline/suggest.js" in page and "<script>" not in page
    assert c.get("/hotline/static/hotline/suggest.js").status_code == 200
