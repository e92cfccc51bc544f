"""Importing dealers from a CSV file (an ERP export or an Excel sheet saved as CSV).

Rules, also told to users on the import page:

* The first line names the columns, in English or Chinese (``code``/``代码``,
  ``name``/``名称``, ...). ``code`` and ``name`` are required; ``office`` is a
  regional office *code*.
* Upsert by dealer code: a row whose code exists updates that dealer, other
  rows create dealers. Columns present in the file are set (an empty cell
  clears an optional value); columns left out of the file stay as they are.
* Every row is checked first. If any row is bad, nothing is imported and
  every bad row is reported with its line number and reason, unless the
  caller asks to skip bad rows, in which case the good rows are imported.
* CSV in UTF-8 (with or without BOM) or GBK/GB18030 (what Excel in China saves), or
  an XLSX workbook (its first sheet); read by :mod:`core.sheets`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core import sheets
from core.authz import require
from core.directory import service
from core.directory.models import Dealer, Office
from core.errors import Conflict, ValidationFailed
from core.extensions import db

# Header spellings accepted for each dealer field (compared case-insensitively).
COLUMNS = {
    "code": ("code", "dealer code", "dealer_code", "代码", "编号", "代理商代码", "代理商编号", "客户代码", "客户编号"),
    "name": ("name", "dealer", "dealer name", "名称", "代理商", "代理商名称", "客户名称", "公司名称"),
    "contact": ("contact", "联系人"),
    "phone": ("phone", "tel", "telephone", "mobile", "电话", "手机", "联系电话"),
    "email": ("email", "e-mail", "mail", "邮箱", "电子邮件", "电子邮箱"),
    "birthday": ("birthday", "生日"),
    "region": ("region", "区域", "地区"),
    "address": ("address", "地址"),
    "office": ("office", "office code", "office_code", "办事处", "办事处代码"),
    "channel_rep": ("channel_rep", "channel rep", "rep", "渠道专员", "渠道负责人", "业务员"),
    "active": ("active", "有效", "启用", "状态"),
}
DEALER_COLUMNS = sheets.Columns(aliases=COLUMNS, required=("code", "name"), duplicates="refuse", codes=("code",))


@dataclass
class BadRow:
    line: int
    code: str
    errors: dict[str, list[str]]

    def describe(self) -> str:
        parts = [f"{name}: {'; '.join(msgs)}" for name, msgs in self.errors.items()]
        return f"line {self.line}" + (f" ({self.code})" if self.code else "") + ": " + " | ".join(parts)


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    bad_rows: list[BadRow] = field(default_factory=list)
    imported: bool = False

    bad_total: int = 0  # every bad row; ``bad_rows`` keeps the first few for the answer

    @property
    def skipped(self) -> int:
        return self.bad_total


def _file_error(message) -> ValidationFailed:
    return ValidationFailed(str(message), errors={"file": [str(message)]})


def import_dealers(actor, raw: bytes, *, skip_bad_rows: bool = False, filename: str = "") -> ImportResult:
    """Check every row of a dealer CSV and import it (see the module text for the rules).

    The actor must be allowed to edit the directory (the command line acts as
    :data:`core.authz.SYSTEM`). Raises ValidationFailed (nothing written)
    when the file as a whole is unusable, or when rows are bad and
    ``skip_bad_rows`` is false; the bad rows are then in ``rows`` of the error.
    """
    require(actor, *service.EDITOR_ROLES)
    table = sheets.read_table(raw, filename, DEALER_COLUMNS, missing_message=None)
    if table.unknown:
        raise _file_error(_l("Unknown column(s): %(names)s. Known columns: %(known)s.",
                             names=", ".join(table.unknown), known=", ".join(COLUMNS)))

    offices = {o.code: o.id for o in db.session.scalars(select(Office))}
    existing = {d.code: d for d in db.session.scalars(select(Dealer))}
    seen: dict[str, int] = {}
    plans: list[tuple[Dealer | None, dict]] = []
    result = ImportResult()
    for row in table.rows:
        start = row.line
        errors: dict[str, list[str]] = {}
        if row.extra:
            errors["_row"] = [str(_l("The row has %(n)s cells but the header has %(m)s.",
                                     n=len(row.cells), m=table.width))]
        data = row.as_dict()
        code = data.get("code", "").strip().upper()
        office_code = data.pop("office", None)
        if office_code is not None:
            office_code = office_code.strip().upper()
            if office_code and office_code not in offices:
                errors["office"] = [str(_l("No regional office with code %(code)s.", code=office_code))]
            data["office_id"] = offices.get(office_code) if office_code else None
        if "active" in data and not data["active"].strip():
            data.pop("active")  # an empty cell keeps (or defaults) the flag
        dealer = existing.get(code)
        values, field_errors = service.clean_fields("dealer", data, existing=dealer, creating=dealer is None)
        for key, msgs in field_errors.items():
            errors.setdefault("office" if key == "office_id" else key, []).extend(msgs)
        if code and code in seen:
            errors.setdefault("code", []).append(
                str(_l("The code %(code)s is already on line %(line)s.", code=code, line=seen[code])))
        elif code:
            seen[code] = start
        if errors:
            result.bad_total += 1
            if len(result.bad_rows) < sheets.MAX_REPORTED:
                result.bad_rows.append(BadRow(start, code, errors))
            continue
        plans.append((dealer, data))

    if result.bad_rows and not skip_bad_rows:
        errors = {f"line {b.line}": [b.describe()] for b in result.bad_rows}
        if result.bad_total > len(result.bad_rows):
            errors["file"] = [sheets.more_message(result.bad_total, len(result.bad_rows))]
        raise ValidationFailed(
            str(_l("%(n)s row(s) have errors; nothing was imported. Correct them, or import only the good rows.",
                   n=result.bad_total)),
            errors=errors,
            rows=[{"line": b.line, "code": b.code, "errors": b.errors} for b in result.bad_rows],
            total=result.bad_total,
        )
    if not plans and not result.bad_rows:
        raise _file_error(_l("The file has no dealer rows."))
    for dealer, data in plans:
        if dealer is None:
            try:
                service._create("dealer", data)
            except ValidationFailed as err:
                if "code" not in err.errors:
                    raise
                # Read as new above, taken since: another import (or edit) saved this
                # dealer at the same moment. Nothing of this import is kept.
                raise Conflict(str(_l("Dealer %(code)s was saved by another request at the same time; nothing "
                                      "was imported. Import the file again.", code=data.get("code", "").strip()
                                      .upper())), code="conflict") from None
            result.created += 1
        else:
            before = {k: getattr(dealer, k) for k in service.KINDS["dealer"].fields}
            service._update("dealer", dealer, data)
            after = {k: getattr(dealer, k) for k in service.KINDS["dealer"].fields}
            if before == after:
                result.unchanged += 1
            else:
                result.updated += 1
    result.imported = True
    db.session.flush()
    return result
