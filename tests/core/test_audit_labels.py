"""Every column the audit trail records is shown in words, in English and in Chinese."""
from __future__ import annotations

from flask_babel import force_locale


def _audited_columns(db) -> dict[str, list[str]]:
    columns: dict[str, list[str]] = {}
    for mapper in db.Model.registry.mappers:
        model = mapper.class_
        if getattr(model, "__audited__", False):
            for column in model.__table__.columns:
                if column.name != "id":
                    columns.setdefault(column.name, []).append(model.__tablename__)
    return columns


def test_every_audited_column_has_words(app):
    from core.audit.labels import FIELD_LABELS
    from core.extensions import db

    with app.app_context():
        columns = _audited_columns(db)
    assert len(columns) > 100
    missing = {name: tables for name, tables in columns.items() if name not in FIELD_LABELS}
    assert not missing, f"audited columns shown as their code: {missing}"


def test_the_words_are_translated(app):
    from core.audit.labels import field_label
    from core.extensions import db

    with app.test_request_context(), force_locale("zh_CN"):
        columns = _audited_columns(db)
        english = {name for name in columns if field_label(name).isascii()}
    assert not english, f"audited columns without Chinese words: {sorted(english)}"
