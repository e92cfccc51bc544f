"""Limits every request's input keeps, checked in one place for every route.

- JSON bodies: at most ``DEPOT_MAX_JSON_BYTES`` bytes (413) and
  ``DEPOT_MAX_JSON_DEPTH`` levels of nested arrays and objects (422), checked on
  the raw bytes before anything parses them (a deep body would otherwise exhaust
  Python's recursion while parsing or loading).
- Text: no lone UTF-16 surrogates (they cannot be stored) and no control
  characters other than tab, line feed and carriage return, in any value or key,
  whether it came as JSON, a form field or a query argument. Names and codes
  (one line) refuse those three as well: :func:`single_line_problem`.
- Dates: calendar days between :data:`EARLIEST_DAY` (a birthday may be old)
  and :data:`LATEST_DATE`; timestamps (when something happened: a movement, a
  count) not before ``DEPOT_EARLIEST_DATE``, the earliest anything may be
  back-dated to. Year 1 or 9999 would overflow as soon as it met a time zone.

The API checks JSON and loaded arguments in ``core.api.DepotParser``; pages'
form fields and every query string are checked by :func:`check_request_text`
before the view runs. A refusal is a 422 naming the field.
"""
from __future__ import annotations

import re
from datetime import date, datetime

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import RequestEntityTooLarge

from core.errors import ValidationFailed

DEFAULT_MAX_JSON_BYTES = 1024 * 1024
DEFAULT_MAX_JSON_DEPTH = 32
DEFAULT_EARLIEST_DATE = date(2000, 1, 1)
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)

# Lone surrogates (a valid pair arrives from JSON as one character) and control
# characters other than tab, LF and CR.
_BAD_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# One-line values (names, codes) also refuse tab, LF and CR.
_BAD_LINE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
# JSON strings (escapes included) and the brackets that nest, for the depth check.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_NESTING = re.compile(rb"[\[\]{}]")
# A query or form value that is a date, month or timestamp: its year is checked.
_ISO_DAY = re.compile(r"^\s*(\d{4})-(\d{1,2})(?:-(\d{1,2}))?([T ][\d:.+\-Z ]*)?\s*$")


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be taken as text (None: it can)."""
    bad = _BAD_TEXT.search(value)
    if bad is None:
        return None
    if "\ud800" <= bad.group() <= "\udfff":
        return str(_l("Contains an invalid character (a lone surrogate)."))
    return str(_l("Contains a control character."))


def single_line_problem(value: str) -> str | None:
    """Why ``value`` cannot be a name or code (None: it can): no control characters at all."""
    return text_problem(value) or (str(_l("Must be on one line, without tabs or control characters."))
                                   if _BAD_LINE.search(value) else None)


def earliest_date() -> date:
    """The earliest date any input may name (``DEPOT_EARLIEST_DATE``)."""
    return current_app.config.get("DEPOT_EARLIEST_DATE") or DEFAULT_EARLIEST_DATE


def date_problem(value: date) -> str | None:
    """Why ``value`` (a date or timestamp) is out of bounds (None: it is within)."""
    if isinstance(value, datetime):
        day, low = value.date(), earliest_date()
    else:
        day, low = value, EARLIEST_DAY
    if day < low or day > LATEST_DATE:
        return str(_l("Must be between %(low)s and %(high)s.", low=low.isoformat(), high=LATEST_DATE.isoformat()))
    return None


def check_json_body(raw: bytes) -> None:
    """Refuse a JSON body too large (413) or nested too deep (422) before it is parsed."""
    config = current_app.config
    if len(raw) > config.get("DEPOT_MAX_JSON_BYTES", DEFAULT_MAX_JSON_BYTES):
        raise RequestEntityTooLarge(str(_l("The request body is too large.")))
    limit = config.get("DEPOT_MAX_JSON_DEPTH", DEFAULT_MAX_JSON_DEPTH)
    # Fewer brackets than the limit cannot nest deeper than it: the usual case costs two counts.
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return
    depth = 0
    for bracket in _JSON_NESTING.findall(_JSON_STRING.sub(b'""', raw)):
        if bracket in b"[{":
            depth += 1
            if depth > limit:
                raise ValidationFailed(
                    str(_l("The JSON is nested more than %(n)s levels deep.", n=limit)),
                    errors={"json": [str(_l("Nested too deep."))]},
                )
        else:
            depth -= 1


def value_problems(value, path: str = "") -> dict[str, list[str]]:
    """Bad text and out-of-bounds dates anywhere in loaded input, by field path."""
    problems: dict[str, list[str]] = {}
    _collect(value, path, problems)
    return problems


def _collect(value, path: str, problems: dict) -> None:
    if isinstance(value, str):
        problem = text_problem(value)
    elif isinstance(value, (date, datetime)):
        problem = date_problem(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and text_problem(key):
                problems.setdefault(where, []).append(text_problem(key))
            _collect(item, where, problems)
        return
    elif isinstance(value, (list, tuple, set, frozenset)):
        for index, item in enumerate(value):
            _collect(item, f"{path}.{index}" if path else str(index), problems)
        return
    else:
        return
    if problem:
        problems.setdefault(path or "_schema", []).append(problem)


def raise_if_problems(problems: dict) -> None:
    if problems:
        raise ValidationFailed(
            str(_l("Please correct: %(fields)s.", fields=", ".join(sorted(problems)))), errors=problems
        )


def _raw_date_problem(value: str) -> str | None:
    match = _ISO_DAY.match(value)
    if match is None:
        return None
    try:
        day = date(int(match.group(1)), int(match.group(2)), int(match.group(3) or 1))
    except ValueError:
        return None  # not a real date: the view's own parsing says so
    if match.group(4):  # a timestamp
        return date_problem(datetime.combine(day, datetime.min.time()))
    return date_problem(day)


_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def check_request_text() -> None:
    """``before_request``: query arguments and form fields keep the text and date limits.

    Forms and query strings reach views as plain strings, so a date is
    recognised by its shape (YYYY-MM-DD, YYYY-MM, or a timestamp).
    """
    sources = [request.args] if request.query_string else []
    if request.method not in ("GET", "HEAD", "OPTIONS") and request.mimetype in _FORM_TYPES:
        sources.append(request.form)
    if not sources:  # a scanner's JSON request: nothing here to check
        return
    problems: dict[str, list[str]] = {}
    for source in sources:
        for key, value in source.items(multi=True):
            problem = text_problem(key) or text_problem(value) or _raw_date_problem(value)
            if problem:
                problems.setdefault(key if not text_problem(key) else "_field", []).append(problem)
    raise_if_problems(problems)


def init_app(app) -> None:
    app.before_request(check_request_text)
