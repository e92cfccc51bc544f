"""Two identical answers to one task at the same moment: one is recorded (200), the other is a 409.

The same machinery as ``test_double_requests.py`` (a threaded server on loopback, two
requests released together, each transaction's first write held back so both read
before either writes), aimed at ``/api/v1/tasks/<id>/answer`` for a task of each
process. Runs on SQLite and on PostgreSQL (``DEPOT_TEST_DATABASE_URL``).
"""
from __future__ import annotations

import pytest

from tests.concurrency import doubles
from tests.concurrency.doubles_doa import _open_task as doa_task
from tests.concurrency.doubles_repairs import _missing_task as repairs_task

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("clean_after_double")]

BUILDERS = {"repairs": repairs_task, "doa": doa_task}


@pytest.mark.parametrize("process", sorted(BUILDERS))
def test_two_identical_answers_at_once_give_one_200_and_one_409(app, live, process):
    from core.extensions import db
    from core.tasks.models import Task

    env = doubles.Env(app)
    with app.app_context():
        task = BUILDERS[process](env)
        assert task.process == process and task.status == "open"
        case = doubles.Case("POST", f"/api/v1/tasks/{task.id}/answer", env.user("service"),
                            doubles.audit_updates("task", task.id), json={"decision": "agreed", "note": "phoned"})
        db.session.commit()
        task_id = task.id
        before = case.probe()
    answers = doubles.fire_twice(doubles.make_actors(app, live.url, case), case, live.widener)
    statuses = sorted(getattr(a, "status_code", repr(a)) for a in answers)
    assert statuses == [200, 409], [getattr(a, "text", a) for a in answers]
    refused = next(a for a in answers if a.status_code == 409)
    assert refused.json()["current_state"] == "agreed"
    with app.app_context():
        db.session.remove()
        assert case.probe() == before + 1
        task = db.session.get(Task, task_id)
        assert (task.status, task.resolution, task.note) == ("agreed", "agreed", "phoned")
