"""No template compares a state or status with a string literal.

What a page offers follows the workflow (``allowed`` actions, ``can_*``), enum members
passed in, or properties on the model: a raw ``unit.state == 'inspected'`` in a template
is a second copy of the rules that drifts from the services'.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# No template is exempt.
EXEMPT: set[str] = set()

NAME = r"[\w.]*\b(?:state|status)\w*"
LITERAL = r"""(?:'[^']*'|"[^"]*")"""
RAW_COMPARISONS = [
    # unit.state == 'x', status != "y"
    re.compile(rf"{NAME}\s*(?:==|!=)\s*{LITERAL}"),
    # 'x' == unit.state
    re.compile(rf"{LITERAL}\s*(?:==|!=)\s*{NAME}\b"),
    # unit.state in ('x', 'y'), status not in ['x']
    re.compile(rf"{NAME}\s+(?:not\s+)?in\s*[(\[]\s*{LITERAL}"),
    # unit.state is equalto('x'), status is sameas "y"
    re.compile(rf"{NAME}\s+is\s+(?:not\s+)?(?:equalto|eq|sameas|ne)\s*\(?\s*{LITERAL}"),
    # units|selectattr('state', 'equalto', 'shipped')
    re.compile(rf"(?:select|reject)attr\(\s*['\"]{NAME}['\"]\s*,\s*['\"]\w+['\"]\s*,\s*{LITERAL}"),
]


def raw_comparisons(text: str) -> list[str]:
    """The comparisons of a state/status with a string literal in a template's text."""
    found = []
    for pattern in RAW_COMPARISONS:
        found.extend(m.group(0) for m in pattern.finditer(text))
    return found


def templates() -> list[Path]:
    skip = {".venv", "node_modules", "tests", ".git"}
    return sorted(p for p in ROOT.rglob("templates/**/*.html") if not skip & set(p.relative_to(ROOT).parts))


@pytest.mark.parametrize("text", [
    "{% if unit.state == 'inspected' %}", "{% if job.status != \"failed\" %}", "{{ 'x' if 'open' == t.status }}",
    "{% if unit.state in ('declared', 'missing') %}", "{% if s.status not in ['a'] %}",
    "{% if app.state is equalto('closed') %}", "{{ units|rejectattr('state', 'equalto', 'shipped')|list }}",
])
def test_the_scan_finds_raw_comparisons(text):
    assert raw_comparisons(text)


@pytest.mark.parametrize("text", [
    "{% if 'receive' in allowed %}", "{% if unit.state == UnitState.SHIPPED %}", "{% if job.has_failed %}",
    "{{ url_for('repairs.tasks', status='open') }}", "{{ units|rejectattr('state', 'equalto', UnitState.SHIPPED) }}",
])
def test_the_scan_passes_workflow_checks(text):
    assert not raw_comparisons(text)


def test_no_template_compares_a_state_with_a_string():
    found = templates()
    assert len(found) > 20  # the scan sees the packages' templates
    offences = []
    for path in found:
        name = path.relative_to(ROOT).as_posix()
        if name in EXEMPT:
            continue
        offences += [f"{name}: {hit}" for hit in raw_comparisons(path.read_text(encoding="utf-8"))]
    assert not offences, "raw state/status comparisons in templates:\n" + "\n".join(offences)


def test_exemptions_still_exist():
    # An exemption for a template that moved or was fixed is dropped, not kept forever.
    assert all((ROOT / name).exists() for name in EXEMPT)
