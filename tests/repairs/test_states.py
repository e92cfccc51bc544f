"""The transition table: every (state, action) pair is either the table's next state or a 409."""
from __future__ import annotations

import pytest

from core.authz import SYSTEM
from repairs import states as st

ALL_ACTIONS = sorted({a for nxt in st.TRANSITIONS.values() for a in nxt})
PAIRS = [(s, a) for s in st.STATES for a in ALL_ACTIONS]


def _unit_in(state, world):
    from core.extensions import db
    from repairs import intake
    from repairs.models import RepairUnit

    parcel = intake.create_parcel(SYSTEM, dealer_id=world.dealer_bj, lines=[{"model": "M", "serial": "S1"}])
    unit = parcel.units[0]
    db.session.execute(RepairUnit.__table__.update().where(RepairUnit.id == unit.id).values(state=state))
    db.session.refresh(unit)
    return unit


@pytest.mark.parametrize("state,action", PAIRS, ids=[f"{s}-{a}" for s, a in PAIRS])
def test_transition_table(ctx, world, state, action):
    from sqlalchemy import select

    from core.errors import InvalidTransition
    from core.extensions import db
    from repairs import service
    from repairs.models import RepairEvent

    unit = _unit_in(state, world)
    expected = st.TRANSITIONS[state].get(action)
    before = db.session.scalar(select(db.func.count(RepairEvent.id)).where(RepairEvent.unit_id == unit.id))
    if expected is None:
        with pytest.raises(InvalidTransition) as info:
            st.WORKFLOW.apply(SYSTEM, unit, action)
        assert info.value.extra["current_state"] == state
        assert info.value.extra["allowed"] == sorted(st.TRANSITIONS[state])
        db.session.refresh(unit)
        assert unit.state == state
        after = db.session.scalar(select(db.func.count(RepairEvent.id)).where(RepairEvent.unit_id == unit.id))
        assert after == before
    else:
        st.WORKFLOW.apply(SYSTEM, unit, action)
        db.session.expire_all()
        assert db.session.get(type(unit), unit.id).state == expected
        last = service.last_event(unit.id)
        assert (last.action, last.from_state, last.to_state, last.actor_name) == (action, state, expected, "system")
    db.session.rollback()


def test_every_state_is_reachable_and_labelled():
    reachable = {st.DECLARED} | {n for nxt in st.TRANSITIONS.values() for n in nxt.values()}
    assert reachable == set(st.STATES)
    assert set(st.STATE_LABELS) == set(st.STATES)
    assert set(st.ACTION_LABELS) == set(ALL_ACTIONS)


def test_illegal_step_over_api_is_409_naming_state_and_next_steps(app, world, api_as):
    clerk = api_as("clerk")
    service_api = api_as("service")
    resp = service_api.post("/api/v1/repairs/parcels", json={"dealer_id": world.dealer_bj,
                                                             "lines": [{"model": "M", "serial": "S9"}]})
    assert resp.status_code == 201, resp.json
    unit_id = resp.json["units"][0]["id"]
    resp = clerk.post(f"/api/v1/repairs/units/{unit_id}/inspect", json={})
    assert resp.status_code == 409
    body = resp.json
    assert body["code"] == "invalid_transition"
    assert body["current_state"] == "declared"
    assert body["allowed"] == ["mark_missing", "receive"]
    assert "declared" in body["message"]
