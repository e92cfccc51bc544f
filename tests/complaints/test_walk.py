"""One complaint of each tier through every step, with due days across the 2026 National Day holiday.

The official calendar (DOMAIN.md, Working days): 2026-10-01..07 are holidays, Thursday 10-08 and
Friday 10-09 working days, Saturday 10-10 a make-up working day (调休).
"""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest

from complaints import handling, letters, mediation, registering
from complaints.service import history as service_history
from complaints import states as st
from complaints.models import Complaint, ComplaintEvent
from core import chase
from core.authz import SYSTEM
from core.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from core.extensions import db
from core.tasks.models import Task
from tests.complaints.conftest import ID_NUMBER, PDF, at, user

EVE = date(2026, 9, 30)  # the last working day before the holiday


def _actions(complaint) -> list[str]:
    return [e.action for e in db.session.query(ComplaintEvent).filter_by(complaint_id=complaint.id)
            .order_by(ComplaintEvent.id)]


def _serious_to_reporting(world, tier, received=EVE):
    service = user("service")
    complaint = registering.register(service, dealer_code="D0001", tier=tier, subject="维修太慢",
                                     received_on=received, at=at(received))
    letters.attach_letter(service, complaint, io.BytesIO(PDF), "代理商客诉反馈函.pdf")
    handling.refer(service, complaint, department_id=world["product"], letter="请一个工作日内书面回复",
                   at=at(received, 11))
    return complaint


def test_ordinary_complaint_answered_directly_and_visited_within_two_weeks(ctx, world):
    service = user("service")
    complaint = registering.register(service, dealer_code="D0001", tier="ordinary", subject="电话没人接",
                                     received_on=EVE, at=at(EVE))
    assert complaint.number.startswith("KS2609-")
    # 2 working days from 9-30 across the holiday: 10-08, 10-09.
    assert complaint.answer_due == date(2026, 10, 9)
    with pytest.raises(InvalidTransition):
        handling.refer(service, complaint, department_id=world["product"], letter="x")
    handling.answer(service, complaint, text="已解释并致歉", at=at(date(2026, 10, 8)))
    assert complaint.state == st.ANSWERED and complaint.answered_by == "service"
    handling.record_fix(service, complaint, text="已安排专人接听", at=at(date(2026, 10, 9)))
    assert complaint.visit_due == date(2026, 10, 23)  # two weeks after the fix
    handling.record_visit(service, complaint, text="客户满意", satisfied=True, at=at(date(2026, 10, 20)))
    handling.close(service, complaint, at=at(date(2026, 10, 20), 11))
    db.session.commit()
    assert complaint.state == st.CLOSED and complaint.visit_satisfied is True
    assert _actions(complaint) == ["register", "answer", "fix", "visit", "close"]


def test_serious_complaint_department_report_sign_off_answer_visit(ctx, world):
    service, supervisor = user("service"), user("supervisor")
    complaint = registering.register(service, dealer_code="D0001", tier="serious", subject="维修太慢",
                                     received_on=EVE, at=at(EVE))
    # 7 working days across the holiday: 10-08, 09, 10 (make-up Saturday), 12, 13, 14, 15.
    assert complaint.answer_due == date(2026, 10, 15)
    with pytest.raises(Conflict) as refused:
        handling.refer(service, complaint, department_id=world["product"], letter="x")
    assert refused.value.extra["missing"] == ["dealer_letter"]
    letters.attach_letter(service, complaint, io.BytesIO(PDF), "letter.pdf")
    handling.refer(service, complaint, department_id=world["product"], letter="请书面回复", at=at(EVE, 11))
    assert complaint.state == st.REFERRED
    task = db.session.query(Task).filter_by(process="complaints", case_id=complaint.id).one()
    # The department answers within 1 working day: the day after the holiday.
    assert task.department_id == world["product"] and task.due_on == date(2026, 10, 8)

    with pytest.raises(Conflict) as early:
        handling.answer(service, complaint, text="too early")
    assert "signed off" in early.value.message
    handling.department_answer(service, complaint, text="产品部:已更换批次", at=at(date(2026, 10, 8)))
    assert complaint.state == st.REPORTING and complaint.department_answer == "产品部:已更换批次"
    db.session.refresh(task)
    assert task.status == "agreed" and task.resolution == "answered"

    with pytest.raises(Conflict):
        handling.sign_off(supervisor, complaint)  # no report yet
    with pytest.raises(ValidationFailed):
        handling.write_report(service, complaint, text="报告", compensation=Decimal(10))
    handling.write_report(service, complaint, text="客诉处理报告:原因与处理", at=at(date(2026, 10, 9)))
    with pytest.raises(Forbidden):
        handling.sign_off(service, complaint)
    with pytest.raises(Conflict):
        handling.answer(service, complaint, text="still too early")
    handling.sign_off(supervisor, complaint, at=at(date(2026, 10, 9), 15))
    assert complaint.signed_by == "supervisor" and complaint.signed_at is not None
    with pytest.raises(InvalidTransition):
        handling.gm_approve(user("gm_assistant"), complaint)  # a serious complaint needs no approval
    handling.answer(service, complaint, text="处理结果已答复", at=at(date(2026, 10, 10)))
    handling.record_fix(service, complaint, text="已整改", at=at(date(2026, 10, 12)))
    assert complaint.visit_due == date(2026, 10, 19)  # within a week
    handling.record_visit(service, complaint, text="回访:满意", satisfied=True, at=at(date(2026, 10, 16)))
    handling.close(service, complaint)
    db.session.commit()
    assert complaint.state == st.CLOSED
    assert _actions(complaint) == ["register", "attach", "refer", "department_answered", "report", "sign_off",
                                   "answer", "fix", "visit", "close"]


def test_very_serious_complaint_due_set_by_supervisor_gm_approval_mediation(ctx, world):
    service, supervisor, gm = user("service"), user("supervisor"), user("gm_assistant")
    complaint = _serious_to_reporting(world, "very_serious")
    assert complaint.answer_due is None  # set case by case
    with pytest.raises(Forbidden):
        handling.set_due(service, complaint, due_on=date(2026, 10, 20), at=at(EVE))
    handling.set_due(supervisor, complaint, due_on=date(2026, 10, 20), note="需要工厂检测", at=at(EVE))
    assert complaint.answer_due == date(2026, 10, 20) and complaint.due_set_by == "supervisor"
    handling.interim_update(service, complaint, text="已通知代理商:检测中", at=at(date(2026, 10, 8)))
    handling.department_answer(service, complaint, text="工厂检测:批次问题", at=at(date(2026, 10, 8)))
    handling.write_report(service, complaint, text="赔偿方案", compensation=Decimal("1234.50"))
    handling.sign_off(supervisor, complaint)
    with pytest.raises(Conflict) as early:
        handling.answer(service, complaint, text="before approval")
    assert "assistant" in early.value.message
    with pytest.raises(Forbidden):
        handling.gm_approve(supervisor, complaint)
    handling.gm_approve(gm, complaint, note="同意")
    assert complaint.gm_approved_by == "gm_assistant" and complaint.state == st.APPROVED
    mediation.record(gm, complaint, customer_name="张三", id_number=ID_NUMBER, signed_on=date(2026, 10, 12),
                     customer_address="北京市海淀区中关村大街1号", customer_phone="13912345678",
                     company_name="置富科技", product="U盘", customer_duties="不再投诉", company_duties="赔偿")
    handling.answer(service, complaint, text="赔偿已确认")
    handling.record_fix(service, complaint, text="已赔偿", at=at(date(2026, 10, 13)))
    assert complaint.visit_due == date(2026, 10, 20)
    handling.record_visit(service, complaint, text="满意", satisfied=True)
    handling.close(service, complaint)
    db.session.commit()
    stored = db.session.get(Complaint, complaint.id)
    assert stored.compensation == Decimal("1234.50") and isinstance(stored.compensation, Decimal)
    assert stored.state == st.CLOSED
    assert "update" in _actions(stored) and "set_due" in _actions(stored) and "mediation" in _actions(stored)


def test_gm_assistant_sends_a_report_back_to_be_rewritten_and_signed_again(ctx, world):
    service, supervisor, gm = user("service"), user("supervisor"), user("gm_assistant")
    complaint = _serious_to_reporting(world, "very_serious")
    handling.set_due(supervisor, complaint, due_on=date(2026, 10, 20), at=at(EVE))
    handling.department_answer(service, complaint, text="工厂检测:批次问题", at=at(date(2026, 10, 8)))
    handling.write_report(service, complaint, text="赔偿 100 元", compensation=Decimal("100"))
    handling.sign_off(supervisor, complaint)
    with pytest.raises(Forbidden):
        handling.step(service, complaint, "gm_return", {"text": "金额不对"})
    with pytest.raises(ValidationFailed):
        handling.step(gm, complaint, "gm_return", {"text": "  "})
    assert complaint.state == st.SIGNED
    handling.step(gm, complaint, "gm_return", {"text": "赔偿金额需与调解协议一致"})
    assert complaint.state == st.REPORTING and complaint.signed_at is None and complaint.signed_by is None
    with pytest.raises(Conflict):
        handling.answer(service, complaint, text="too early")
    with pytest.raises(InvalidTransition):
        handling.gm_approve(gm, complaint)
    handling.write_report(service, complaint, text="赔偿 300 元", compensation=Decimal("300"))
    handling.sign_off(supervisor, complaint)
    handling.gm_approve(gm, complaint)
    db.session.commit()
    assert complaint.state == st.APPROVED and complaint.compensation == Decimal("300")
    assert _actions(complaint)[-5:] == ["sign_off", "gm_return", "report", "sign_off", "gm_approve"]
    [returned] = [e for e in service_history(complaint) if e.action == "gm_return"]
    assert returned.note == "赔偿金额需与调解协议一致"
    assert st.action_label("gm_return") == "GM's assistant: send the handling report back"


def test_department_letter_and_answer_are_chased_when_late(ctx, world):
    complaint = _serious_to_reporting(world, "serious")
    db.session.commit()
    on_day = {s.provider.kind: s.items for s in chase.sections(date(2026, 10, 8), SYSTEM)}
    assert not on_day["complaint_task"]
    late = {s.provider.kind: s.items for s in chase.sections(date(2026, 10, 9), SYSTEM)}
    [item] = late["complaint_task"]
    assert item.owner.key == "dept:product" and item.reference == complaint.number
    assert not late["complaint"]  # the dealer's answer is due 10-15
    [answer_late] = {s.provider.kind: s.items for s in chase.sections(date(2026, 10, 16), SYSTEM)}["complaint"]
    assert answer_late.reference == complaint.number and answer_late.owner.key == "cs"


def test_late_return_visit_is_chased(ctx, world):
    service = user("service")
    complaint = registering.register(service, dealer_code="D0001", tier="ordinary", subject="x",
                                     received_on=EVE, at=at(EVE))
    handling.answer(service, complaint, text="ok", at=at(EVE))
    handling.record_fix(service, complaint, text="ok", at=at(EVE))
    db.session.commit()
    assert complaint.visit_due == date(2026, 10, 14)
    assert not [i for s in chase.sections(date(2026, 10, 14), SYSTEM) if s.provider.kind == "complaint"
                for i in s.items]
    [item] = [i for s in chase.sections(date(2026, 10, 15), SYSTEM) if s.provider.kind == "complaint" for i in s.items]
    assert "return visit" in str(item.description)
