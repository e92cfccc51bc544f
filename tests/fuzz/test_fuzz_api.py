"""Schemathesis against /api/openapi.json: every operation, as every role.

Requests go through the WSGI app (no network), each with a role's bearer
token, on a database seeded with two offices' data. Checks: no 5xx, and every
response the spec documents matches its schema and content type.

Generating a case costs far more than sending it, so each operation's cases
are generated once and sent as every role: ``DEPOT_FUZZ_EXAMPLES`` valid
(positive) cases (default 2) and half as many invalid (negative) ones (at
least one) per operation. The admin, who passes every role check and so reaches
the deepest code, gets ``DEPOT_FUZZ_ADMIN_EXAMPLES`` more valid cases (default 5). The
sequence is fixed (derandomized) so CI is repeatable; ``DEPOT_FUZZ_RANDOM=1``
explores new inputs. A failure lists each offending request as a curl command.
"""
from __future__ import annotations

import os
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance
from schemathesis.core.errors import RejectedSchemaDefinition, UnsupportedSchema

from tests.fuzz.conftest import ROLES, restore_fuzz_users
from tests.security import ownership, walk
from tests.security.seed import USER_A

EXAMPLES = int(os.environ.get("DEPOT_FUZZ_EXAMPLES", "2"))
ADMIN_EXAMPLES = int(os.environ.get("DEPOT_FUZZ_ADMIN_EXAMPLES", "5"))
RANDOM = os.environ.get("DEPOT_FUZZ_RANDOM") == "1"
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def _summary(exc) -> str:
    parts = getattr(exc, "exceptions", None) or [exc]
    lines = []
    for part in parts:
        title = getattr(part, "title", type(part).__name__)
        message = (getattr(part, "message", None) or str(part)).strip().splitlines()
        lines.append(f"{title}: {message[0][:200] if message else ''}")
    return "; ".join(lines)


def generate(operation, mode, count: int) -> list:
    """``count`` cases for ``operation`` (fewer if hypothesis finds fewer distinct ones)."""
    cases: list = []
    if count <= 0:
        return cases

    @settings(max_examples=count, deadline=None, database=None, derandomize=not RANDOM,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    @given(case=operation.as_strategy(generation_mode=mode))
    def collect(case):
        cases.append(case)

    collect()
    return cases


@pytest.fixture(scope="module")
def corpus(app, fuzz_world):
    """{operation label: (operation, [cases for everyone], [extra cases for the admin])}."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    out = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        try:
            positive = generate(operation, GenerationMode.POSITIVE, EXAMPLES + ADMIN_EXAMPLES)
            negative = generate(operation, GenerationMode.NEGATIVE, max(1, EXAMPLES // 2))
        except UnsupportedSchema:
            fuzz_world.unsupported.add(operation.label)
            continue
        except RejectedSchemaDefinition as exc:
            fuzz_world.invalid_spec[operation.label] = str(exc).strip().splitlines()[0] + " " + " ".join(
                line.strip() for line in str(exc).splitlines()[1:10] if line.strip())
            continue
        out[operation.label] = (operation, positive[:EXAMPLES] + negative, positive[EXAMPLES:])
    fuzz_world.operations = len(out) + len(fuzz_world.unsupported) + len(fuzz_world.invalid_spec)
    return out


def _kind(summary: str) -> str:
    """The failure without the values that differ from request to request."""
    return re.sub(r'"[^"]*"|\b\d+\b', "…", summary)


def send(app, fw, role: str, cases_by_op: dict) -> list[str]:
    """Send every case as ``role``; one line per distinct failure (server errors first), with a curl."""
    headers = {"Authorization": f"Bearer {fw.tokens[role]}"}
    found: dict[tuple, str] = {}
    for label, cases in cases_by_op.items():
        restore_fuzz_users(app, fw)
        for case in cases:
            fw.requests += 1
            response = case.call(headers=headers)
            fw.by_status[response.status_code] = fw.by_status.get(response.status_code, 0) + 1
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - report every failed check
                fw.failed += 1
                summary = _summary(exc)
                key = (label, _kind(summary))
                if key not in found:
                    found[key] = (f"[{role}] {label}: {summary}\n"
                                  f"    {case.as_curl_command(headers={'Authorization': 'Bearer <token>'})}")
    return sorted(found.values(), key=lambda line: ("Server error" not in line, line))


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_as_each_role(app, fuzz_world, corpus, role):
    problems = send(app, fuzz_world, role, {label: shared for label, (_, shared, _) in corpus.items()})
    fuzz_world.failures.extend(problems)
    assert not problems, f"{len(problems)} failing requests as {role}:\n" + "\n".join(problems)


def test_every_operation_as_admin_in_depth(app, fuzz_world, corpus):
    problems = send(app, fuzz_world, "admin", {label: extra for label, (_, _, extra) in corpus.items()})
    fuzz_world.failures.extend(problems)
    assert not problems, f"{len(problems)} failing requests:\n" + "\n".join(problems)


def test_the_fuzzer_covers_every_operation(app, fuzz_world, corpus):
    spec = app.test_client().get("/api/openapi.json").get_json()
    operations = {f"{method.upper()} {path}" for path, item in spec["paths"].items()
                  for method in item if method in ("get", "post", "put", "patch", "delete")}
    assert operations == set(corpus) | fuzz_world.unsupported | set(fuzz_world.invalid_spec)
    assert all(shared for _, shared, _ in corpus.values())


def test_the_openapi_spec_is_valid_for_every_operation(fuzz_world, corpus):
    """An operation whose schema breaks the OpenAPI rules cannot be fuzzed (nor used by clients)."""
    assert not fuzz_world.invalid_spec, "\n".join(f"{k}: {v}" for k, v in sorted(fuzz_world.invalid_spec.items()))


def _fingerprint(app, owned=None):
    from core.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        return ownership.fingerprint(conn, db.metadata, owned)


def test_office_users_with_another_offices_values(app, fuzz_world, corpus):
    """Every generated write, sent by each office's user with the *other* office's ids, codes,
    locations and dealers in its body and path: no 5xx; the other office's rows never change;
    a refused request changes no row at all (a snapshot of every table before and after)."""
    world = fuzz_world.world
    users = [(fuzz_world.tokens["office"], walk.collect_facts(app, world.office_a)),  # office B's user
             (world.users[USER_A], walk.collect_facts(app, world.office_b))]
    watch = walk.WriteWatch(app)
    problems, sent, refused = [], 0, 0
    try:
        for token, other in users:
            headers = {"Authorization": f"Bearer {token}"}
            theirs, snapshot = _fingerprint(app, other.owned), _fingerprint(app)
            for label, (operation, shared, extra) in sorted(corpus.items()):
                if operation.method.upper() not in walk.UNSAFE:
                    continue
                restore_fuzz_users(app, fuzz_world)
                snapshot = _fingerprint(app)
                for case in shared + extra:
                    aimed = case.derive()
                    aimed.path_parameters = walk.retarget(aimed.path_parameters, other)
                    if isinstance(aimed.body, (dict, list)):
                        aimed.body = walk.retarget(aimed.body, other)
                    writes = watch.count
                    response = aimed.call(headers=headers)
                    sent += 1
                    where = f"{label} -> {response.status_code}"
                    if response.status_code >= 500:
                        problems.append(f"{where}\n    {aimed.as_curl_command(headers={'Authorization': 'Bearer <token>'})}")
                        continue
                    refused += response.status_code >= 400
                    if watch.count == writes:
                        continue
                    after = _fingerprint(app)
                    if response.status_code >= 400 and (changed := ownership.diff(snapshot, after)):
                        problems.append(f"{where}: refused, but changed {changed}")
                    elif response.status_code < 400 and (changed := ownership.diff(
                            theirs, _fingerprint(app, other.owned))):
                        problems.append(f"{where}: changed the other office's rows in {changed}")
                        theirs = _fingerprint(app, other.owned)
                    snapshot = after
    finally:
        watch.close()
    fuzz_world.requests += sent
    print(f"fuzz, other offices' values: {sent} requests as 2 office users, {refused} refused")
    assert not problems, f"{len(problems)} problems in {sent} requests ({refused} refused):\n" + "\n".join(problems)
    assert sent > 100
