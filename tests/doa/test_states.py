"""The DOA transition table: every allowed step lands where the table says, every other is a 409."""
from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select, update

from core.errors import Forbidden, InvalidTransition
from core.tasks import service as task_service
from doa import states as st
from tests.doa.conftest import new_application

_SERIALS = itertools.count(1)
ALL_ACTIONS = sorted({a for nxt in st.TRANSITIONS.values() for a in nxt})
ALLOWED = [(s, a, t) for s, nxt in st.TRANSITIONS.items() for a, t in nxt.items()]


def _in_state(state: str, request: str):
    from core.extensions import db
    from doa.models import DoaApplication

    app = new_application(request=request, serials=(f"SN{next(_SERIALS)}",))
    db.session.execute(update(DoaApplication).where(DoaApplication.id == app.id).values(state=state))
    db.session.refresh(app)
    return app


def _request_for(action: str) -> str:
    return "refund" if action in st.REFUND_ACTIONS else "replacement"


def _meet_guard(app, action, admin):
    """Bring about what a guarded action needs: papers waived to close, a disputed refusal to reopen."""
    from doa import closing, service

    if action == "close":
        closing.waive_closing_papers(user_of("supervisor"), app, "scan kept by the office")
    if action == "reopen":
        task = service._open_task(app, "refused", "refused")
        task_service.answer(admin, task, "dispute")


def user_of(name):
    from core.accounts.service import get_user

    return get_user(name)


@pytest.mark.parametrize(("state", "action", "target"), ALLOWED)
def test_allowed_transition_lands_on_the_table_target_and_appends_history(ctx, world, user, state, action, target):
    from core.extensions import db
    from doa import service
    from doa.models import DoaEvent

    app = _in_state(state, _request_for(action))
    admin = user("admin")
    _meet_guard(app, action, admin)
    before = db.session.scalar(select(db.func.count(DoaEvent.id)).where(DoaEvent.application_id == app.id))
    service._transition(admin, app, action, note="test")
    assert app.state == target
    events = list(db.session.scalars(select(DoaEvent).where(DoaEvent.application_id == app.id).order_by(DoaEvent.id)))
    assert len(events) == before + 1
    last = events[-1]
    assert (last.action, last.from_state, last.to_state, last.actor_name) == (action, state, target, "admin")
    assert last.at is not None


@pytest.mark.parametrize("state", st.STATES)
def test_actions_not_in_the_table_are_a_409_naming_state_and_allowed_steps(ctx, world, user, state):
    from doa import service

    admin = user("admin")
    refused = [a for a in ALL_ACTIONS if a not in st.TRANSITIONS[state]]
    assert refused
    for action in refused:
        app = _in_state(state, _request_for(action))
        with pytest.raises(InvalidTransition) as caught:
            service._transition(admin, app, action)
        assert caught.value.status == 409
        assert caught.value.extra["current_state"] == state, action
        assert caught.value.extra["allowed"] == service.allowed_now(app)
        assert app.state == state


@pytest.mark.parametrize(("request_kind", "action"), [("replacement", "refund_product_approve"),
                                                       ("replacement", "issue_credit"),
                                                       ("refund", "purchasing_done")])
def test_steps_of_the_other_path_are_refused(ctx, world, user, request_kind, action):
    from doa import service

    app = _in_state(st.RECEIVED, request_kind)
    admin = user("admin")
    with pytest.raises(InvalidTransition):
        service._transition(admin, app, action)


@pytest.mark.parametrize("action", ALL_ACTIONS)
def test_every_action_is_refused_to_a_user_without_its_role(ctx, world, user, action):
    from doa import service

    allowed_roles = {r.value for r in st.ACTION_ROLES[action]}
    outsider = next(r for r in ("clerk", "channel", "product", "finance", "commerce", "sales", "purchasing")
                    if r not in allowed_roles)
    state = next(s for s, nxt in st.TRANSITIONS.items() if action in nxt)
    app = _in_state(state, _request_for(action))
    with pytest.raises(Forbidden):
        service._transition(user(outsider), app, action)
    assert app.state == state


def test_every_state_is_reachable_and_labelled():
    reachable = {st.SUBMITTED} | {t for nxt in st.TRANSITIONS.values() for t in nxt.values()}
    assert reachable == set(st.STATES)
    assert set(st.STATE_LABELS) == set(st.STATES)
    assert set(st.ACTION_LABELS) == set(ALL_ACTIONS) == set(st.ACTION_ROLES)
