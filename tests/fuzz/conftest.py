"""Fuzzing fixtures: one seeded database for the whole module, a bearer token per role.

The suite's autouse ``_clean_state`` empties every table after each test; a
fuzz run is hundreds of tests (operation x role), so here the data is seeded
once per module and emptied at its end instead, and each test only restores
what a fuzzed admin request may have broken (revoked tokens, deactivated users,
changed roles).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from core.accounts.roles import Role

ROLES = [r.value for r in Role]
ARTIFACTS = Path(os.environ.get("DEPOT_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))


@pytest.fixture(autouse=True)
def _clean_state():
    """Overrides the suite's per-test cleaning: see ``fuzz_world``."""
    yield


class FuzzWorld:
    def __init__(self, world, tokens, roles_of):
        self.world = world
        self.tokens = tokens  # role -> bearer token
        self.roles_of = roles_of  # username -> roles
        self.requests = 0
        self.by_status: dict[int, int] = {}
        self.failures: list[str] = []
        self.unsupported: set[str] = set()
        self.failed = 0
        self.invalid_spec: dict[str, str] = {}
        self.operations = 0


@pytest.fixture(scope="module")
def fuzz_world(app, request):
    from core.accounts.service import create_token, create_user, get_user
    from core.calendar.service import forget_closures
    from core.extensions import db, limiter
    from tests.dbsetup import empty_all_tables
    from tests.security.seed import seed_world

    with app.app_context():
        db.session.remove()
        empty_all_tables(db)
    world = seed_world(app)
    tokens, roles_of = {}, {}
    with app.app_context():
        office_b = world.office_b
        for role in ROLES:
            name = f"fuzz-{role}"
            create_user(name, f"{name}-pass", [role], office_id=office_b if role == "office" else None)
            roles_of[name] = [role]
            _, tokens[role] = create_token(get_user(name), "fuzz")
        db.session.commit()
    fw = FuzzWorld(world, tokens, roles_of)
    yield fw
    with app.app_context():
        db.session.remove()
        empty_all_tables(db)
    forget_closures()
    limiter.reset()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    figures = {"requests": fw.requests, "operations": fw.operations, "roles": len(fw.tokens),
               "by_status": dict(sorted(fw.by_status.items())), "failed_checks": fw.failed,
               "not_generated": sorted(fw.unsupported), "invalid_spec": sorted(fw.invalid_spec)}
    dialect = "postgresql" if os.environ.get("DEPOT_TEST_DATABASE_URL", "").startswith("postgresql") else "sqlite"
    (ARTIFACTS / f"fuzz-figures-{dialect}.json").write_text(json.dumps(figures, indent=2))
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"\nfuzz: {fw.requests} requests to {fw.operations} operations as {len(fw.tokens)} roles; "
                            f"statuses {figures['by_status']}; {fw.failed} failed a check")
        if fw.unsupported:
            reporter.write_line(f"fuzz: schemathesis could not generate for {sorted(fw.unsupported)}")


def restore_fuzz_users(app, fuzz_world):
    """Undo what a fuzzed admin request may have done to the fuzzing users themselves."""
    from sqlalchemy import select, update

    from core.accounts.models import ApiToken, User
    from core.extensions import db, limiter

    with app.app_context():
        names = list(fuzz_world.roles_of)
        db.session.execute(update(User).where(User.username.in_(names)).values(active=True))
        db.session.execute(update(ApiToken).where(ApiToken.name == "fuzz").values(revoked_at=None))
        for user in db.session.scalars(select(User).where(User.username.in_(names))):
            if sorted(r.value for r in user.roles) != fuzz_world.roles_of[user.username]:
                user.set_roles(fuzz_world.roles_of[user.username])
        db.session.commit()
    limiter.reset()


@pytest.fixture(scope="module")
def api_schema(app):
    import schemathesis

    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)
