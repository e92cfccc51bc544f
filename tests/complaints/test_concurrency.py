# ruff: noqa: F811  (pytest fixtures imported from tests.concurrency are named as parameters)
"""Two identical complaint steps at the same moment: one is applied (200), the other is a 409.

The machinery of ``tests/concurrency`` (a threaded server on loopback, both requests released
together, each transaction's first write held back so both read before either writes).
"""
from __future__ import annotations

import pytest

from tests.concurrency import doubles
from tests.concurrency.conftest import clean_after_double, live  # noqa: F401  (the fixtures)
from tests.concurrency.doubles_complaints import complaint_in, events

pytestmark = [pytest.mark.usefixtures("clean_after_double")]


def _fire(app, live, build):
    from core.extensions import db

    env = doubles.Env(app)
    with app.app_context():
        case = build(env)
        db.session.commit()
        before = case.probe()
    answers = doubles.fire_twice(doubles.make_actors(app, live.url, case), case, live.widener)
    with app.app_context():
        db.session.remove()
        after = case.probe()
    return sorted(getattr(a, "status_code", repr(a)) for a in answers), answers, before, after


@pytest.mark.parametrize("step,state,role,body", [
    ("sign_off", "reporting", "supervisor", {}),
    ("department_answer", "referred", "service", {"text": "产品部书面回复"}),
])
def test_two_identical_steps_at_once_give_one_200_and_one_409(app, live, step, state, role, body):
    action = "department_answered" if step == "department_answer" else step

    def build(env):
        complaint = complaint_in(env, state)
        return doubles.Case("POST", f"/api/v1/complaints/{complaint.number}/steps/{step}", env.user(role),
                            events(complaint, action), json=body)

    statuses, answers, before, after = _fire(app, live, build)
    assert statuses == [200, 409], [getattr(a, "text", a) for a in answers]
    assert after == before + 1
