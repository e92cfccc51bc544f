"""Double-request scenarios for dealer care: the welcome pack, the hand-off, the policy documents."""
from __future__ import annotations

import io
import socket

from aiosmtpd.controller import Controller

from core.authz import SYSTEM
from tests.concurrency.doubles import Case, count, scenario

_SINK: list = []


class _Swallow:
    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        return "250 OK"


def _mail_sink(env) -> None:
    """One SMTP server on loopback for these scenarios; the app's mail goes there."""
    if not _SINK:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        controller = Controller(_Swallow(), hostname="127.0.0.1", port=port)
        controller.start()
        _SINK.append((controller, port))
    env.app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_SINK[0][1])


def _called_dealer(env, variant: str, *, pack_sent: bool = False):
    """A new dealer whose welcome call is recorded, with an e-mail and a policy document on file."""
    from sqlalchemy import select

    from core.directory.models import Dealer, Department
    from core.extensions import db
    from dealercare import documents, onboarding

    _mail_sink(env)
    office = env.office(f"DC{variant[:3].upper() or 'X'}")
    dealer = db.session.get(Dealer, env.dealer(office, code=f"DBL-DC-{variant or 'x'}"))
    dealer.email = "dealer@dbl.example"
    item = onboarding.start_onboarding(dealer)
    item.call_task.status = "agreed"
    documents.add_document(env.admin(), io.BytesIO(b"%PDF-1.4 " + variant.encode() + b"\n%%EOF\n"),
                           "policy.pdf", "Policy")
    if db.session.scalar(select(Department).where(Department.code == "channel")) is None:
        db.session.add(Department(code="channel", name="渠道部", email="channel@dbl.example"))
    db.session.flush()
    if pack_sent:
        onboarding.send_welcome_pack(SYSTEM, item)
    return dealer


def _done(column_name: str, dealer_id: int):
    from dealercare.models import Onboarding

    return count(Onboarding, Onboarding.dealer_id == dealer_id, getattr(Onboarding, column_name).is_not(None))


@scenario("dealercare_api.WelcomePack")
def api_pack(env, _):
    dealer = _called_dealer(env, "api-pack")
    return Case("POST", f"/api/v1/dealer-care/onboardings/{dealer.id}/welcome-pack", env.user("service"),
                _done("pack_sent_at", dealer.id), note="the welcome pack goes once")


@scenario("dealercare_api.HandOff")
def api_hand_off(env, _):
    dealer = _called_dealer(env, "api-hand", pack_sent=True)
    return Case("POST", f"/api/v1/dealer-care/onboardings/{dealer.id}/hand-off", env.user("service"),
                _done("handed_off_at", dealer.id), note="the file is handed over once")


@scenario("dealercare.step", variants=("welcome-pack", "hand-off"))
def page_step(env, variant):
    dealer = _called_dealer(env, variant, pack_sent=variant == "hand-off")
    column = "pack_sent_at" if variant == "welcome-pack" else "handed_off_at"
    return Case("POST", f"/dealer-care/dealers/{dealer.id}/{variant}", env.user("service"), _done(column, dealer.id),
                api=False, form_page=f"/dealer-care/dealers/{dealer.id}")


@scenario("dealercare.upload_document")
def page_upload(env, _):
    from dealercare.models import PolicyDocument

    return Case("POST", "/dealer-care/documents", env.user("supervisor"), count(PolicyDocument), api=False,
                form={"title": "Warranty terms"},
                files={"file": ("warranty.pdf", b"%PDF-1.4 warranty\n%%EOF\n", "application/pdf")},
                form_page="/dealer-care/", note="the same file twice is the natural key: the second is 409")


@scenario("dealercare.retire_document")
def page_retire(env, _):
    from dealercare import documents
    from dealercare.models import PolicyDocument

    doc = documents.add_document(env.admin(), io.BytesIO(b"%PDF-1.4 retire\n%%EOF\n"), "old.pdf", "Old terms")
    return Case("POST", f"/dealer-care/documents/{doc.id}/retire", env.user("supervisor"),
                count(PolicyDocument, PolicyDocument.active.is_(False)), api=False, form_page="/dealer-care/")


# --------------------------------------------------------------------------- the quarterly survey

def _survey(env, variant: str, *, sent: bool = False, answered: bool = False):
    """A draft survey with one question (sent to one dealer with an e-mail if ``sent``), departments on file."""
    from datetime import timedelta

    from sqlalchemy import select

    from core.calendar.service import local_today
    from core.directory.models import Dealer, Department
    from core.extensions import db
    from dealercare import survey

    _mail_sink(env)
    office = env.office(f"SV{variant[:3].upper() or 'X'}")
    dealer = db.session.get(Dealer, env.dealer(office, code=f"DBL-SV-{variant or 'x'}"))
    dealer.email = "survey@dbl.example"
    if db.session.scalar(select(Department).where(Department.code == "product")) is None:
        db.session.add(Department(code="product", name="产品部", email="product@dbl.example"))
    today = local_today()
    item = survey.create_survey(SYSTEM, f"{today.year}-Q{(today.month - 1) // 3 + 1}", today + timedelta(days=10))
    survey.add_question(SYSTEM, item, "服务满意吗?")
    if sent:
        survey.send_survey(SYSTEM, item)
    if answered:
        token = survey.make_link_token(item, dealer.id)
        survey.submit_answer(token, {item.questions[0].id: 4})
    db.session.flush()
    return item, dealer


def _surveys_sent():
    from dealercare.models import Survey

    return count(Survey, Survey.sent_at.is_not(None))


def _reminded():
    from dealercare.models import SurveyInvite

    return count(SurveyInvite, SurveyInvite.reminded_on.is_not(None))


def _summaries():
    from dealercare.models import Survey

    return count(Survey, Survey.summary_sent_at.is_not(None))


def _questions():
    from dealercare.models import SurveyQuestion

    return count(SurveyQuestion)


def _nobody_left(answer) -> bool:
    """The second reminder run finds every dealer reminded today: it mails nobody (a 200 with ``mailed: 0``)."""
    return answer.status_code == 200 and answer.json().get("mailed") == 0


@scenario("dealercare_api.Surveys")
def api_survey_create(env, _):
    from datetime import date

    from dealercare.models import Survey

    return Case("POST", "/api/v1/dealer-care/surveys", env.user("service"), count(Survey),
                json={"quarter": "2030-Q1", "deadline": date(2030, 3, 31).isoformat()}, refusals=(409, 422),
                note="the quarter is the natural key: the second is 409")


@scenario("dealercare.survey_create")
def page_survey_create(env, _):
    from dealercare.models import Survey

    return Case("POST", "/dealer-care/surveys", env.user("service"), count(Survey), api=False,
                form={"quarter": "2030-Q1", "deadline": "2030-03-31"}, form_page="/dealer-care/surveys",
                note="the quarter is the natural key: the second is refused")


@scenario("dealercare_api.SurveyQuestions")
def api_question(env, _):
    item, _dealer = _survey(env, "api-q")
    return Case("POST", f"/api/v1/dealer-care/surveys/{item.id}/questions", env.user("service"), _questions(),
                json={"text": "备品及时吗?"}, idempotency_key=True,
                note="two questions with the same words are allowed: the form's key makes a double click one")


@scenario("dealercare.survey_add_question")
def page_question(env, _):
    item, _dealer = _survey(env, "pg-q")
    return Case("POST", f"/dealer-care/surveys/{item.id}/questions", env.user("service"), _questions(), api=False,
                form={"text": "备品及时吗?"}, idempotency_key=True, form_page=f"/dealer-care/surveys/{item.id}")


@scenario("dealercare_api.SurveyQuestionOne", method="DELETE")
def api_question_remove(env, _):
    item, _dealer = _survey(env, "api-rm")
    return Case("DELETE", f"/api/v1/dealer-care/surveys/{item.id}/questions/{item.questions[0].id}",
                env.user("service"), _questions(), delta=-1, refusals=(404,), note="gone once: the second is 404")


@scenario("dealercare.survey_remove_question")
def page_question_remove(env, _):
    item, _dealer = _survey(env, "pg-rm")
    return Case("POST", f"/dealer-care/surveys/{item.id}/questions/{item.questions[0].id}/remove",
                env.user("service"), _questions(), delta=-1, api=False, refusals=(404,),
                form_page=f"/dealer-care/surveys/{item.id}")


@scenario("dealercare_api.SurveySend")
def api_survey_send(env, _):
    item, _dealer = _survey(env, "api-send")
    return Case("POST", f"/api/v1/dealer-care/surveys/{item.id}/send", env.user("service"), _surveys_sent(),
                note="the links go once")


@scenario("dealercare_api.SurveyReminders")
def api_survey_remind(env, _):
    item, _dealer = _survey(env, "api-rem", sent=True)
    return Case("POST", f"/api/v1/dealer-care/surveys/{item.id}/reminders", env.user("service"), _reminded(),
                also_fine=_nobody_left, note="each dealer at most once a day")


@scenario("dealercare_api.SurveySummaryMail")
def api_summary_mail(env, _):
    item, _dealer = _survey(env, "api-sum", sent=True, answered=True)
    return Case("POST", f"/api/v1/dealer-care/surveys/{item.id}/summary-mail", env.user("service"), _summaries(),
                note="the summary goes to the departments once")


@scenario("dealercare.survey_step", variants=("send", "reminders", "summary-mail"))
def page_survey_step(env, variant):
    item, _dealer = _survey(env, variant, sent=variant != "send", answered=variant == "summary-mail")
    probe = {"send": _surveys_sent, "reminders": _reminded, "summary-mail": _summaries}[variant]()
    return Case("POST", f"/dealer-care/surveys/{item.id}/{variant}", env.user("service"), probe, api=False,
                form_page=f"/dealer-care/surveys/{item.id}")


@scenario("dealercare_public.submit")
def public_survey_answer(env, _):
    from dealercare import survey
    from dealercare.models import SurveyAnswer

    item, dealer = _survey(env, "pub", sent=True)
    token = survey.make_link_token(item, dealer.id)
    env.user("service")  # the public page needs no user; the harness signs one in for its CSRF token
    return Case("POST", f"/dealer-survey/{token}", env.user("service"), count(SurveyAnswer), api=False,
                form={f"q{item.questions[0].id}": "2", "comment": "慢"},
                note="one answer per dealer and quarter: the unique row makes the second a 409 page")
