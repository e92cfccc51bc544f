"""The workflow core: labelled states, allowed actions per actor, refusals in words, one winner of a race."""
from __future__ import annotations

from core.authz import SYSTEM

import threading
from types import SimpleNamespace

import pytest
from flask_babel import force_locale

from core.accounts.roles import Role
from core.errors import Conflict, Forbidden, InvalidTransition
from core.workflow import LabelledEnum
from repairs import states as repair_states
from doa import states as doa_states


class Actor(SimpleNamespace):
    """Stands in for a signed-in user: ``has_role`` as the real principal answers it (admin passes)."""

    def has_role(self, *roles):
        return Role.ADMIN in self.roles or any(r in self.roles for r in roles)


def _actor(*roles):
    return Actor(id=1, username="someone", roles=set(roles))


def test_states_are_the_stored_strings_with_their_words(app):
    S = repair_states.UnitState
    assert S.INSPECTED == "inspected" and "inspected" in {S.INSPECTED} and S("inspected") is S.INSPECTED
    assert f"{S.AT_FACTORY}" == "at_factory" and repair_states.INSPECTED is S.INSPECTED
    with app.test_request_context():
        assert S.INSPECTED.label == "accepted" and S.label_of("shipped") == "shipped to dealer"
        assert S.label_of("no_such_state") == "no_such_state"
        with force_locale("zh_CN"):
            assert S.INSPECTED.label != "accepted" and S.INSPECTED.label.strip()
            assert doa_states.DoaState.SUBMITTED.label != "waiting for approval"
    # The old label dicts are the enums' labels.
    assert set(repair_states.STATE_LABELS) == set(S) == set(repair_states.STATES)
    assert set(doa_states.STATE_LABELS) == set(doa_states.DoaState) == set(doa_states.STATES)


def test_a_labelled_enum_without_words_shows_its_value():
    class Colour(LabelledEnum):
        RED = "red"

    assert Colour.RED.label == "red" and Colour.labels() == {"red": "red"}


def test_allowed_actions_follow_the_table_the_roles_and_the_request():
    wf = doa_states.WORKFLOW
    submitted = SimpleNamespace(state="submitted", request="replacement")
    assert wf.possible(submitted) == ["cancel", "channel_approve", "channel_refuse", "product_approve",
                                      "product_refuse"]
    assert wf.allowed_actions(submitted, _actor(Role.CHANNEL)) == ["channel_approve", "channel_refuse"]
    assert wf.allowed_actions(submitted, _actor(Role.SERVICE)) == ["cancel"]
    assert wf.allowed_actions(submitted, _actor(Role.ADMIN)) == wf.possible(submitted)
    assert wf.allowed_actions(submitted, None) == []
    assert wf.can(_actor(Role.PRODUCT), submitted, "product_approve")
    assert not wf.can(_actor(Role.PRODUCT), submitted, "channel_approve")
    # What the dealer asked for narrows the table: no refund steps on a replacement.
    received = SimpleNamespace(state="received", request="replacement")
    assert wf.possible(received) == ["purchasing_done"]
    assert wf.possible(SimpleNamespace(state="received", request="refund")) == ["refund_product_approve",
                                                                                "refund_product_refuse"]
    assert wf.possible(SimpleNamespace(state="closed", request="refund")) == []
    # A guard attached in the service: the step is in the table but not possible now.
    guarded = wf.guarded(lambda app, action: "papers missing" if action == "cancel" else None)
    assert "cancel" not in guarded.allowed_actions(submitted, _actor(Role.SERVICE))
    # Repairs has no role guards: the table is the rule.
    unit = SimpleNamespace(state="at_factory")
    assert repair_states.WORKFLOW.allowed_actions(unit, SYSTEM) == sorted(repair_states.TRANSITIONS["at_factory"])


def _parcel(app, serials=("WF1",), *, receive=True):
    from core.directory.models import Dealer, Office
    from core.extensions import db
    from repairs import intake, receiving

    with app.app_context():
        office = Office(code="BJ", name="北京办事处", region="华北")
        db.session.add(office)
        db.session.flush()
        dealer = Dealer(code="D0001", name="北京数码", contact="王伟", phone="13812345678", office_id=office.id)
        db.session.add(dealer)
        db.session.flush()
        parcel = intake.create_parcel(SYSTEM, dealer_id=dealer.id, lines=[{"model": "M", "serial": s} for s in serials])
        if receive:
            for serial in serials:
                receiving.receive_unit(SYSTEM, serial, parcel)
        db.session.commit()
        return [u.id for u in parcel.units]


def _events(app, unit_id, action):
    from sqlalchemy import func, select

    from core.extensions import db
    from repairs.models import RepairEvent

    with app.app_context():
        return db.session.scalar(select(func.count(RepairEvent.id))
                                 .where(RepairEvent.unit_id == unit_id, RepairEvent.action == action))


def test_apply_moves_the_state_and_appends_the_event(app):
    from core.extensions import db
    from repairs.models import RepairUnit

    [unit_id] = _parcel(app)
    with app.app_context():
        unit = db.session.get(RepairUnit, unit_id)
        repair_states.WORKFLOW.apply(SYSTEM, unit, "inspect_ok", note="fine", data={"findings": []})
        assert unit.state == "inspected"
        db.session.commit()
    assert _events(app, unit_id, "inspect_ok") == 1


def test_a_step_not_allowed_is_refused_in_words(app, api_as):
    [unit_id] = _parcel(app, receive=False)
    clerk = api_as("clerk")
    r = clerk.post(f"/api/v1/repairs/units/{unit_id}/inspect", json={})
    assert r.status_code == 409 and r.json["code"] == "invalid_transition"
    assert r.json["message"] == ("WF1 is declared: the step “accept at inspection” cannot be done now. "
                                 "Allowed next: “mark missing”, “receive”.")
    assert r.json["current_state"] == "declared" and r.json["allowed"] == ["mark_missing", "receive"]
    zh = clerk.post(f"/api/v1/repairs/units/{unit_id}/inspect", json={}, headers={"Accept-Language": "zh-CN"})
    assert zh.status_code == 409 and "现在不能执行" in zh.json["message"] and "inspect" not in zh.json["message"]
    assert _events(app, unit_id, "inspect_ok") == 0


def test_a_guard_refusal_and_a_role_refusal(app):
    from core.extensions import db
    from repairs.models import RepairUnit

    [unit_id] = _parcel(app)
    wf = repair_states.WORKFLOW.guarded(lambda unit, action: ("not today", {"why": "holiday"}))
    with app.app_context():
        unit = db.session.get(RepairUnit, unit_id)
        with pytest.raises(Conflict) as info:
            wf.apply(SYSTEM, unit, "inspect_ok")
        assert info.value.message == "not today" and info.value.extra["why"] == "holiday"
        with pytest.raises(Forbidden):
            doa_states.WORKFLOW.check_role(_actor(Role.CLERK), "channel_approve")
        with pytest.raises(Forbidden):
            doa_states.WORKFLOW.check_role(None, "cancel")
        db.session.rollback()
    assert _events(app, unit_id, "inspect_ok") == 0


def test_require_refuses_as_apply_would_and_writes_nothing(app):
    from core.extensions import db
    from repairs.models import RepairUnit

    [unit_id] = _parcel(app)
    with app.app_context():
        unit = db.session.get(RepairUnit, unit_id)
        repair_states.WORKFLOW.require(unit, "inspect_ok")  # allowed: no answer, nothing written
        with pytest.raises(InvalidTransition) as info:
            repair_states.WORKFLOW.require(unit, "ship")
        assert info.value.extra["current_state"] == "received" and "inspect_ok" in info.value.extra["allowed"]
        assert "WF1 is" in info.value.message
        guarded = repair_states.WORKFLOW.guarded(lambda unit, action: "not today" if action == "inspect_ok" else None)
        with pytest.raises(Conflict) as refused:
            guarded.require(unit, "inspect_ok")
        assert refused.value.message == "not today" and not isinstance(refused.value, InvalidTransition)
        assert db.session.get(RepairUnit, unit_id).state == "received"
        db.session.rollback()
    assert _events(app, unit_id, "inspect_ok") == 0


def test_two_requests_at_once_one_wins(app, api_as):
    """Real threads, real database: both inspect the same unit; one moves it, the other gets 409."""
    unit_ids = _parcel(app, serials=[f"R{i}" for i in range(4)])
    clerk = api_as("clerk")
    for unit_id in unit_ids:
        barrier = threading.Barrier(2)
        results = []

        def inspect(unit_id=unit_id, barrier=barrier, results=results):
            client = app.test_client()
            barrier.wait()
            resp = client.post(f"/api/v1/repairs/units/{unit_id}/inspect", json={}, headers=clerk.headers)
            results.append((resp.status_code, resp.json.get("code")))

        threads = [threading.Thread(target=inspect) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(results, key=lambda r: r[0]) == [(200, None), (409, "invalid_transition")], results
        assert _events(app, unit_id, "inspect_ok") == 1


def test_the_loser_of_a_held_race_is_told_the_real_state(app):
    """The first transaction holds its change open; the second waits, then is refused naming the new state."""
    from core.extensions import db
    from repairs.models import RepairUnit

    [unit_id] = _parcel(app)
    applied = threading.Event()
    results = {}

    def first():
        with app.app_context():
            unit = db.session.get(RepairUnit, unit_id)
            repair_states.WORKFLOW.apply(SYSTEM, unit, "inspect_ok")
            applied.set()
            threading.Event().wait(0.5)  # keep the transaction (and its lock) open
            db.session.commit()
            results["first"] = "done"

    def second():
        with app.app_context():
            applied.wait(10)
            unit = db.session.get(RepairUnit, unit_id)
            try:
                repair_states.WORKFLOW.apply(SYSTEM, unit, "inspect_problem")
                results["second"] = "done"
            except InvalidTransition as err:
                results["second"] = err.extra["current_state"]
            db.session.rollback()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == {"first": "done", "second": "inspected"}
    assert _events(app, unit_id, "inspect_ok") == 1 and _events(app, unit_id, "inspect_problem") == 0


def test_the_unit_page_offers_the_steps_the_workflow_allows(app, login):
    from core.extensions import db
    from repairs import receiving
    from repairs.models import RepairUnit

    [unit_id] = _parcel(app, receive=False)
    clerk = login("clerk")

    def steps():
        page = clerk.get(f"/repairs/units/{unit_id}").get_data(as_text=True)
        return {s for s in ("receive", "inspect", "dispatch", "factory-return", "ship")
                if f"/repairs/units/{unit_id}/{s}\"" in page}

    assert steps() == {"receive"}
    with app.app_context():
        unit = db.session.get(RepairUnit, unit_id)
        receiving.receive_unit(SYSTEM, unit.serial, unit.parcel)
        db.session.commit()
    assert steps() == {"inspect"}
    with app.app_context():
        repair_states.WORKFLOW.apply(SYSTEM, db.session.get(RepairUnit, unit_id), "inspect_ok")
        db.session.commit()
    assert steps() == {"dispatch"}
    # A step the page does not offer is refused by the service with the same rule, in words.
    # The page goes back to the unit with the refusal shown, and nothing moved.
    r = clerk.submit(f"/repairs/units/{unit_id}/ship", {"carrier": "SF", "waybill": "SF1"},
                     form_page=f"/repairs/units/{unit_id}")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/repairs/units/{unit_id}")
    assert "cannot be done now" in clerk.get(r.headers["Location"]).get_data(as_text=True)
    assert steps() == {"dispatch"}
