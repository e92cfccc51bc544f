"""Double-request scenarios for the hand-off letters and the dealers' greetings."""
from __future__ import annotations

from tests.concurrency.doubles import Case, count, scenario
from tests.concurrency.doubles_dealercare import _mail_sink


def _depts():
    from core.directory.models import Department
    from core.extensions import db

    rows = [Department(code="dblfrom", name="提交部门"), Department(code="dblto", name="接收部门")]
    db.session.add_all(rows)
    db.session.flush()
    return rows[0].id, rows[1].id


def _day(n: int = 2):
    from core.calendar import add_working_days, local_today

    return add_working_days(local_today(), n)


def _letter(env, *, accepted: bool = False):
    from core.authz import SYSTEM
    from handoff import service

    source, target = _depts()
    letter = service.create_letter(SYSTEM, from_department_id=source, to_department_id=target, subject="资料整理",
                                   committed_on=_day())
    if accepted:
        service.accept(SYSTEM, letter)
    return letter


def _events(letter_id: int, action: str):
    from handoff.models import HandoffLetterEvent

    return count(HandoffLetterEvent, HandoffLetterEvent.letter_id == letter_id, HandoffLetterEvent.action == action)


@scenario("handoff_api.Letters")
def api_create(env, _):
    from handoff.models import HandoffLetter

    source, target = _depts()
    return Case("POST", "/api/v1/handoff-letters", env.user("service"), count(HandoffLetter),
                json={"from_department_id": source, "to_department_id": target, "subject": "报价",
                      "committed_on": _day().isoformat()}, idempotency_key=True,
                note="each letter is new; one Idempotency-Key sends it once")


@scenario("handoff.create")
def page_create(env, _):
    from handoff.models import HandoffLetter

    source, target = _depts()
    return Case("POST", "/handoff", env.user("service"), count(HandoffLetter), api=False,
                form={"from_department_id": str(source), "to_department_id": str(target), "subject": "报价",
                      "committed_on": _day().isoformat()}, idempotency_key=True, form_page="/handoff/new")


@scenario("handoff_api.LetterAccept")
def api_accept(env, _):
    letter = _letter(env)
    return Case("POST", f"/api/v1/handoff-letters/{letter.id}/accept", env.user("service"),
                _events(letter.id, "accept"), json={"committed_on": _day(3).isoformat()})


@scenario("handoff_api.LetterDone")
def api_done(env, _):
    letter = _letter(env, accepted=True)
    return Case("POST", f"/api/v1/handoff-letters/{letter.id}/done", env.user("service"), _events(letter.id, "done"),
                json={"note": "完成"}, note="the task is claimed first: the second is 409")


@scenario("handoff_api.LetterReturn")
def api_return(env, _):
    letter = _letter(env)
    return Case("POST", f"/api/v1/handoff-letters/{letter.id}/return", env.user("service"),
                _events(letter.id, "return"), json={"reason": "不属于本部门"})


@scenario("handoff.step", variants=("accept", "done", "return"))
def page_step(env, variant):
    letter = _letter(env, accepted=variant == "done")
    form = {"reason": "不属于本部门"} if variant == "return" else {}
    return Case("POST", f"/handoff/{letter.id}/{variant}", env.user("service"), _events(letter.id, variant),
                api=False, form=form, form_page=f"/handoff/{letter.id}")


# --------------------------------------------------------------------------- greetings

def _dealer_with_birthday(env, code: str):
    from datetime import date

    from core.directory.models import Dealer
    from core.extensions import db

    dealer = db.session.get(Dealer, env.dealer(env.office(f"G{code[-3:]}"), code=code))
    dealer.email, dealer.birthday = f"{code.lower()}@dbl.example", date(1980, 3, 15)
    db.session.flush()
    return dealer


def _batch(env, code: str, *, sent_failing: bool = False):
    from datetime import date

    from core.authz import SYSTEM
    from dealercare import greetings

    _mail_sink(env)
    _dealer_with_birthday(env, code)
    batch = greetings.open_batch(SYSTEM, kind="birthday", starts_on=date(2027, 3, 1), ends_on=date(2027, 3, 31))
    if sent_failing:
        port = env.app.config["MAIL_PORT"]
        env.app.config["MAIL_PORT"] = 9
        try:
            greetings.send_batch(SYSTEM, batch)
        finally:
            env.app.config["MAIL_PORT"] = port
    return batch


def _sent(batch_id: int):
    from dealercare.greeting_models import GreetingMail

    return count(GreetingMail, GreetingMail.batch_id == batch_id, GreetingMail.status == "sent")


BIRTHDAYS = {"kind": "birthday", "starts_on": "2027-03-01", "ends_on": "2027-03-31"}


@scenario("dealercare_greetings_api.Batches")
def api_open_batch(env, _):
    from dealercare.greeting_models import GreetingBatch

    _dealer_with_birthday(env, "DBL-GR-OPEN")
    return Case("POST", "/api/v1/dealer-care/greetings", env.user("supervisor"), count(GreetingBatch),
                json=BIRTHDAYS, idempotency_key=True, note="each batch is new; one Idempotency-Key opens it once")


@scenario("dealercare_greetings.create")
def page_open_batch(env, _):
    from dealercare.greeting_models import GreetingBatch

    _dealer_with_birthday(env, "DBL-GR-PAGE")
    return Case("POST", "/dealer-care/greetings", env.user("supervisor"), count(GreetingBatch), api=False,
                form=BIRTHDAYS, idempotency_key=True, form_page="/dealer-care/greetings")


@scenario("dealercare_greetings_api.BatchOne", method="PUT")
def api_text(env, _):
    from dealercare.greeting_models import GreetingBatch

    batch = _batch(env, "DBL-GR-TEXT")
    return Case("PUT", f"/api/v1/dealer-care/greetings/{batch.id}", env.user("supervisor"),
                count(GreetingBatch, GreetingBatch.subject == "生日快乐!"),
                json={"subject": "生日快乐!", "body": "{name},生日快乐!"}, same_result=True,
                note="setting the text to given words: both may succeed, the result is the same")


@scenario("dealercare_greetings_api.BatchSend")
def api_send(env, _):
    batch = _batch(env, "DBL-GR-SEND")
    return Case("POST", f"/api/v1/dealer-care/greetings/{batch.id}/send", env.user("supervisor"), _sent(batch.id),
                note="a batch is sent once")


@scenario("dealercare_greetings_api.BatchRetry")
def api_retry(env, _):
    batch = _batch(env, "DBL-GR-RETRY", sent_failing=True)
    return Case("POST", f"/api/v1/dealer-care/greetings/{batch.id}/retry", env.user("supervisor"), _sent(batch.id),
                note="each failed mail is claimed before it is sent again")


@scenario("dealercare_greetings.step", variants=("text", "send", "retry"))
def page_batch_step(env, variant):
    from dealercare.greeting_models import GreetingBatch

    batch = _batch(env, f"DBL-GR-P{variant[:3].upper()}", sent_failing=variant == "retry")
    if variant == "text":
        return Case("POST", f"/dealer-care/greetings/{batch.id}/text", env.user("supervisor"),
                    count(GreetingBatch, GreetingBatch.subject == "生日快乐!"), api=False,
                    form={"subject": "生日快乐!", "body": "{name},生日快乐!"},
                    form_page=f"/dealer-care/greetings/{batch.id}")
    return Case("POST", f"/dealer-care/greetings/{batch.id}/{variant}", env.user("supervisor"), _sent(batch.id),
                api=False, form_page=f"/dealer-care/greetings/{batch.id}")
