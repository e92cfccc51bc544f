"""Pages read their input through the API's marshmallow schemas, and show a refused
action one way.

A page and the API taking the same input load it through the same ``*Args`` schema, so
a rule about a field (its type, its bounds, whether it is required) is written once.
:func:`read_form` turns a browser's form into what the schema expects; :func:`refused`
is the one way a page shows a domain error: the message and each field's messages,
flashed, with nothing the request flushed committed.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping

import marshmallow
from flask import flash, g, redirect, request
from flask_babel import gettext as _
from marshmallow import fields as ma_fields

from core import input_limits
from core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from core.validation_messages import translate_messages

# A checkbox sends its value only when ticked; these count as ticked.
_TICKED = {"1", "on", "true", "yes", "y"}


def _schema_instance(schema) -> marshmallow.Schema:
    return schema() if isinstance(schema, type) else schema


def _raw_values(schema: marshmallow.Schema, source: Mapping) -> dict:
    """The form's values in the shape the schema loads.

    A browser sends every input, filled or not: an empty text field means "not given",
    so it is left out and the schema's ``required``/``load_default`` decide. A list
    field takes every value sent under its name; a boolean field is ticked or not.
    """
    raw: dict = {}
    getlist = getattr(source, "getlist", None)
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        key = field.data_key or name
        if isinstance(field, ma_fields.List):
            values = getlist(key) if getlist else source.get(key)
            if isinstance(values, str):
                values = values.split()
            values = [v for v in (values or []) if not (isinstance(v, str) and not v.strip())]
            if values:
                raw[key] = values
            continue
        if isinstance(field, ma_fields.Boolean):
            if key in source:
                value = source.get(key)
                raw[key] = value if isinstance(value, bool) else str(value).strip().lower() in _TICKED
            continue
        if key not in source:
            continue
        value = source.get(key)
        if isinstance(value, str):
            if not value.strip() and not isinstance(field, ma_fields.String):
                continue
            if not value.strip() and field.required is False:
                continue
        raw[key] = value
    return raw


def field_label(schema, name: str) -> str:
    """A field's name as a user reads it: its ``label`` metadata, translated."""
    field = _schema_instance(schema).fields.get(name)
    label = field.metadata.get("label") if field is not None else None
    return str(label) if label else ""


def read_form(schema, source: Mapping | None = None, *, named: bool = False) -> dict:
    """Load a page's input (``request.form`` unless ``source`` is given) through ``schema``.

    Returns the loaded dict, as the API's ``@arguments`` would pass it. A wrong value
    raises :class:`ValidationFailed` whose ``errors`` name each field by its label
    where the schema gives one, so :func:`refused` shows words, not field codes; with
    ``named`` they stay under the fields' names, for a form that shows each message
    beside its field. Either way ``labels`` gives the words for each key that has some.
    """
    instance = _schema_instance(schema)
    raw = _raw_values(instance, request.form if source is None else source)
    try:
        loaded = instance.load(raw, unknown=marshmallow.EXCLUDE)
    except marshmallow.ValidationError as err:
        messages = translate_messages(err.messages if isinstance(err.messages, dict) else {"": err.messages})
        errors: dict = {}
        labels: dict = {}
        for name, value in messages.items():
            label = field_label(instance, name)
            key = name if named or not label else label
            errors[key] = value
            if label:
                labels[key] = label
        raise ValidationFailed(_("Some fields need correcting."), errors=errors, labels=labels) from None
    input_limits.raise_if_problems(input_limits.value_problems(loaded))
    return loaded


def read_lines(schema, lines: Mapping[str, Mapping]) -> list[dict]:
    """Load a form's per-line fields (``qty-<part_id>`` and the like), gathered by the page
    into one mapping per line, each through the API's line ``schema``.

    ``lines`` maps what a user calls the line (a SKU) to its raw values; a wrong value is
    named by that line and the field's label, so the user sees which line to correct.
    """
    instance = _schema_instance(schema)
    loaded: list[dict] = []
    errors: dict = {}
    labels: dict = {}
    for name, source in lines.items():
        try:
            loaded.append(instance.load(_raw_values(instance, source), unknown=marshmallow.EXCLUDE))
        except marshmallow.ValidationError as err:
            messages = translate_messages(err.messages if isinstance(err.messages, dict) else {"": err.messages})
            for key, value in messages.items():
                label = field_label(instance, key)
                shown = f"{name} ({label})" if label else str(name)
                errors[shown] = value
                labels[shown] = shown
    if errors:
        raise ValidationFailed(_("Some fields need correcting."), errors=errors, labels=labels)
    input_limits.raise_if_problems(input_limits.value_problems(loaded))
    return loaded


def ticked(name: str, source: Mapping | None = None) -> bool:
    """Whether a checkbox (or a yes/no field) was ticked."""
    value = (request.form if source is None else source).get(name, "")
    return str(value).strip().lower() in _TICKED


def field_messages(value) -> list[str]:
    """A field's messages as a flat list of strings (marshmallow nests them by line and field)."""
    if isinstance(value, Mapping):
        return [m for v in value.values() for m in field_messages(v)]
    if isinstance(value, (list, tuple)):
        return [m for v in value for m in field_messages(v)]
    return [str(value)]


def flash_refusal(err: DomainError, *, beside: Collection[str] = ()) -> None:
    """Flash a refused action's message and each of its field messages, and make sure
    nothing the request flushed is committed.

    A field's messages are named by the words ``err.labels`` gives for it, or shown alone:
    a field's code never reaches the user, and no message is left out. ``beside`` names
    the fields the re-rendered page shows next to their inputs; their messages are not
    flashed a second time.
    """
    g.uow_rollback_only = True
    flash(err.message, "error")
    for field, messages in (err.errors or {}).items():
        if field in beside:
            continue
        shown = err.labels.get(field, "")
        for message in field_messages(messages):
            flash(f"{shown}: {message}" if shown else message, "error")


def refused(err: DomainError, back: str | None = None):
    """The one way a page answers a refused action: flash it and go back to the form.

    Access errors (403, 404) stay errors: they are not a form to correct.
    """
    if isinstance(err, (Forbidden, NotFound)):
        raise err
    flash_refusal(err)
    return redirect(back or request.full_path.rstrip("?") or request.path), 303
