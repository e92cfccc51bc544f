"""Double-request scenarios for the hotline desk (log, answers, referrals, the standard answers)."""
from __future__ import annotations

from tests.concurrency.doubles import Case, count, exempt, scenario

exempt("A reply is an e-mail to the asker; each is a new message by design (a second reply is a follow-up). "
       "Its first step answers a waiting entry through the guarded workflow (a second is 409), and the page "
       "and API carry an Idempotency-Key, so a double submit is sent once.",
       "hotline_api.EntryReply", "hotline.reply")


def _brand_and_dept():
    from core.directory.models import Brand, Department
    from core.extensions import db

    brand = Brand(code="DBLBR", name="Double brand")
    dept = Department(code="dblprod", name="Double product")
    db.session.add_all([brand, dept])
    db.session.flush()
    return brand.id, dept.id


def _entry(env, *, answered: bool = False):
    from core.authz import SYSTEM
    from hotline import log

    brand, dept = _brand_and_dept()
    entry = log.log_question(SYSTEM, asker="end_customer", channel="phone", category="warranty",
                             question="保修期多久?", brand_id=brand, answer="五年。" if answered else "")
    return entry, brand, dept


def _events(entry_id, action):
    from hotline.models import HotlineEvent

    return count(HotlineEvent, HotlineEvent.entry_id == entry_id, HotlineEvent.action == action)


NEW = {"asker": "end_customer", "channel": "phone", "category": "warranty", "question": "保修期多久?"}


@scenario("hotline_api.Entries")
def api_log(env, _):
    from hotline.models import HotlineEntry

    brand, _dept = _brand_and_dept()
    return Case("POST", "/api/v1/hotline/entries", env.user("service"), count(HotlineEntry),
                json={**NEW, "brand_id": brand}, idempotency_key=True,
                note="each question is a new entry; one Idempotency-Key logs it once")


@scenario("hotline.create")
def page_log(env, _):
    from hotline.models import HotlineEntry

    brand, _dept = _brand_and_dept()
    return Case("POST", "/hotline", env.user("service"), count(HotlineEntry), api=False,
                form={**NEW, "brand_id": str(brand)}, idempotency_key=True, form_page="/hotline")


@scenario("hotline_api.EntryAnswer")
def api_answer(env, _):
    entry, _b, _d = _entry(env)
    return Case("POST", f"/api/v1/hotline/entries/{entry.id}/answer", env.user("service"),
                _events(entry.id, "answer"), json={"answer": "五年。"})


@scenario("hotline.answer")
def page_answer(env, _):
    entry, _b, _d = _entry(env)
    return Case("POST", f"/hotline/{entry.number}/answer", env.user("service"), _events(entry.id, "answer"),
                api=False, form={"answer": "五年。"}, form_page=f"/hotline/{entry.number}")


@scenario("hotline_api.EntryRefer")
def api_refer(env, _):
    from core.tasks.models import Task

    entry, _b, dept = _entry(env)
    return Case("POST", f"/api/v1/hotline/entries/{entry.id}/refer", env.user("service"), count(Task),
                json={"department_id": dept})


@scenario("hotline.refer")
def page_refer(env, _):
    from core.tasks.models import Task

    entry, _b, dept = _entry(env)
    return Case("POST", f"/hotline/{entry.number}/refer", env.user("service"), count(Task), api=False,
                form={"department_id": str(dept)}, form_page=f"/hotline/{entry.number}")


@scenario("hotline_api.EntryOne", "PATCH")
def api_classify(env, _):
    from hotline.models import HotlineEntry

    entry, _b, _d = _entry(env)
    return Case("PATCH", f"/api/v1/hotline/entries/{entry.id}", env.user("service"), count(HotlineEntry), delta=0,
                same_result=True, json={"category": "repair"})


@scenario("hotline.classify")
def page_classify(env, _):
    from hotline.models import HotlineEntry

    entry, _b, _d = _entry(env)
    return Case("POST", f"/hotline/{entry.number}/classify", env.user("service"), count(HotlineEntry), delta=0,
                api=False, form={"category": "repair", "asker": "dealer"})


@scenario("hotline_api.EntryToLibrary")
def api_to_library(env, _):
    from hotline.models import StandardAnswer

    entry, _b, _d = _entry(env, answered=True)
    return Case("POST", f"/api/v1/hotline/entries/{entry.id}/standard-answer", env.user("service"),
                count(StandardAnswer), json={}, note="one entry makes one new standard answer; the second is 409")


@scenario("hotline.to_library")
def page_to_library(env, _):
    from hotline.models import StandardAnswer

    entry, _b, _d = _entry(env, answered=True)
    return Case("POST", f"/hotline/{entry.number}/standard-answer", env.user("service"), count(StandardAnswer),
                api=False, form={}, form_page=f"/hotline/{entry.number}")


ANSWER = {"category": "warranty", "question": "保修期多久?", "answer": "五年。"}


@scenario("hotline_api.Answers")
def api_new_answer(env, _):
    from hotline.models import StandardAnswer

    return Case("POST", "/api/v1/hotline/answers", env.user("service"), count(StandardAnswer), json=ANSWER,
                idempotency_key=True, note="one Idempotency-Key adds one standard answer")


@scenario("hotline.add_answer")
def page_new_answer(env, _):
    from hotline.models import StandardAnswer

    return Case("POST", "/hotline/answers", env.user("service"), count(StandardAnswer), api=False, form=ANSWER,
                idempotency_key=True, form_page="/hotline/answers")


def _answer():
    from core.authz import SYSTEM
    from hotline import answers

    return answers.create(SYSTEM, **ANSWER).id


@scenario("hotline_api.AnswerOne", "PATCH")
def api_edit_answer(env, _):
    from hotline.models import StandardAnswer

    return Case("PATCH", f"/api/v1/hotline/answers/{_answer()}", env.user("service"), count(StandardAnswer),
                delta=0, same_result=True, json={"answer": "五年有限保修。"})


@scenario("hotline.edit_answer")
def page_edit_answer(env, _):
    from hotline.models import StandardAnswer

    return Case("POST", f"/hotline/answers/{_answer()}", env.user("service"), count(StandardAnswer), delta=0,
                api=False, form={"answer": "五年有限保修。"})
