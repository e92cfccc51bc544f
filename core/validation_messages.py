"""marshmallow's own messages, in the user's language.

marshmallow writes its messages in English ("Not a valid integer.", "Missing data for
required field.", "Must be greater than or equal to 1 and less than or equal to 99.").
Pages (:mod:`core.forms`) and the API (:mod:`core.errors`) pass the messages of a
failed load through :func:`translate_messages`, so both show the same words: a fixed
message is looked up as it is, one with values is matched and its values carried over.
A message the table does not know (a project's own, already translated) is kept as it is.
"""
from __future__ import annotations

import re
from collections.abc import Mapping

from flask_babel import lazy_gettext as _l

# marshmallow's fixed messages, each with the words users read.
_FIXED = {
    "Missing data for required field.": _l("Missing data for required field."),
    "Field may not be null.": _l("Field may not be null."),
    "Invalid value.": _l("Invalid value."),
    "Invalid input.": _l("Invalid input."),
    "Invalid type.": _l("Invalid type."),
    "Invalid input type.": _l("Invalid input type."),
    "Unknown field.": _l("Unknown field."),
    "Not a valid integer.": _l("Not a valid integer."),
    "Not a valid number.": _l("Not a valid number."),
    "Number too large.": _l("Number too large."),
    "Special numeric values (nan or infinity) are not permitted.":
        _l("Special numeric values (nan or infinity) are not permitted."),
    "Not a valid string.": _l("Not a valid string."),
    "Not a valid utf-8 string.": _l("Not a valid utf-8 string."),
    "Not a valid boolean.": _l("Not a valid boolean."),
    "Not a valid list.": _l("Not a valid list."),
    "Not a valid tuple.": _l("Not a valid tuple."),
    "Not a valid mapping type.": _l("Not a valid mapping type."),
    "Not a valid date.": _l("Not a valid date."),
    "Not a valid datetime.": _l("Not a valid datetime."),
    "Not a valid time.": _l("Not a valid time."),
    "Not a valid aware datetime.": _l("Not a valid aware datetime."),
    "Not a valid naive datetime.": _l("Not a valid naive datetime."),
    "Not a valid period of time.": _l("Not a valid period of time."),
    "Not a valid email address.": _l("Not a valid email address."),
    "Not a valid URL.": _l("Not a valid URL."),
    "Not a valid UUID.": _l("Not a valid UUID."),
    "String does not match expected pattern.": _l("String does not match expected pattern."),
}

# marshmallow's messages with values (validate.Range, Length, OneOf), as patterns over
# the English it writes; the named groups fill the translated message's placeholders.
_PATTERNS = [
    (re.compile(r"Must be greater than or equal to (?P<low>.+) and less than or equal to (?P<high>.+)\."),
     _l("Must be between %(low)s and %(high)s.")),
    (re.compile(r"Must be greater than or equal to (?P<low>.+) and less than (?P<high>.+)\."),
     _l("Must be at least %(low)s and less than %(high)s.")),
    (re.compile(r"Must be greater than (?P<low>.+) and less than or equal to (?P<high>.+)\."),
     _l("Must be greater than %(low)s and at most %(high)s.")),
    (re.compile(r"Must be greater than (?P<low>.+) and less than (?P<high>.+)\."),
     _l("Must be greater than %(low)s and less than %(high)s.")),
    (re.compile(r"Must be greater than or equal to (?P<n>.+)\."), _l("Must be at least %(n)s.")),
    (re.compile(r"Must be greater than (?P<n>.+)\."), _l("Must be greater than %(n)s.")),
    (re.compile(r"Must be less than or equal to (?P<n>.+)\."), _l("Must be at most %(n)s.")),
    (re.compile(r"Must be less than (?P<n>.+)\."), _l("Must be less than %(n)s.")),
    (re.compile(r"Length must be between (?P<low>.+) and (?P<high>.+)\."),
     _l("Length must be between %(low)s and %(high)s.")),
    (re.compile(r"Length must be (?P<n>.+)\."), _l("Length must be %(n)s.")),
    (re.compile(r"Longer than maximum length (?P<n>.+)\."), _l("Longer than maximum length %(n)s.")),
    (re.compile(r"Shorter than minimum length (?P<n>.+)\."), _l("Shorter than minimum length %(n)s.")),
    (re.compile(r"Must be one of: (?P<choices>.+)\."), _l("Must be one of: %(choices)s.")),
]


def translate_message(message) -> str:
    """One message in the user's language (kept as it is when it is not marshmallow's)."""
    text = str(message)
    fixed = _FIXED.get(text)
    if fixed is not None:
        return str(fixed)
    for pattern, translated in _PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            return str(translated) % match.groupdict()
    return text


def translate_messages(messages):
    """A failed load's messages (nested by field, list index or key), each translated."""
    if isinstance(messages, Mapping):
        return {key: translate_messages(value) for key, value in messages.items()}
    if isinstance(messages, (list, tuple)):
        return [translate_messages(value) for value in messages]
    return translate_message(messages)
