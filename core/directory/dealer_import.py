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
* UTF-8 (with or without BOM) and GBK/GB18030 (what Excel in China saves).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.directory import service
from core.directory.models import Dealer, Office
from core.errors import ValidationFailed
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
_LOOKUP = {alias.lower(): key for key, aliases in COLUMNS.items() for alias in aliases}


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

    @property
    def skipped(self) -> int:
        return len(self.bad_rows)


def decode(raw: bytes) -> str:
    """The text of an uploaded file: UTF-8 (BOM or not), else GB18030 (a superset of GBK)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        raise ValidationFailed(
            str(_l("The file is neither UTF-8 nor GBK text. Save it from Excel as “CSV (comma delimited)”.")),
            errors={"file": [str(_l("Unknown text encoding."))]},
        ) from None


def _dialect(text: str):
    first = text.split("\n", 1)[0]
    # Excel writes commas; some exports use semicolons or tabs.
    counts = {sep: first.count(sep) for sep in (",", ";", "\t")}
    sep = max(counts, key=counts.get) if any(counts.values()) else ","
    return sep


def _file_error(message) -> ValidationFailed:
    return ValidationFailed(str(message), errors={"file": [str(message)]})


def import_dealers(actor, raw: bytes, *, skip_bad_rows: bool = False) -> ImportResult:
    """Check every row of a dealer CSV and import it (see the module text for the rules).

    ``actor`` None means the command line (trusted); otherwise the actor must be
    allowed to edit the directory. Raises ValidationFailed (nothing written)
    when the file as a whole is unusable, or when rows are bad and
    ``skip_bad_rows`` is false; the bad rows are then in ``rows`` of the error.
    """
    if actor is not None:
        service._require(actor, service.EDITOR_ROLES)
    if not raw or not raw.strip():
        raise _file_error(_l("The file is empty."))
    text = decode(raw)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_dialect(text))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise _file_error(_l("The file has no header line.")) from None
    columns: list[str | None] = []
    unknown = []
    for title in header:
        key = _LOOKUP.get(title.strip().lower())
        if title.strip() and key is None:
            unknown.append(title.strip())
        if key is not None and key in columns:
            raise _file_error(_l("The column %(name)s appears twice.", name=title.strip()))
        columns.append(key)
    if unknown:
        raise _file_error(_l("Unknown column(s): %(names)s. Known columns: %(known)s.",
                             names=", ".join(unknown), known=", ".join(COLUMNS)))
    missing = [key for key in ("code", "name") if key not in columns]
    if missing:
        raise _file_error(_l("The header line lacks the column(s): %(names)s.", names=", ".join(missing)))

    offices = {o.code: o.id for o in db.session.scalars(select(Office))}
    existing = {d.code: d for d in db.session.scalars(select(Dealer))}
    seen: dict[str, int] = {}
    plans: list[tuple[Dealer | None, dict]] = []
    result = ImportResult()
    line = reader.line_num
    while True:
        start = line + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            result.bad_rows.append(BadRow(start, "", {"file": [str(_l("Unreadable line: %(why)s", why=str(exc)))]}))
            break
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue  # blank lines (Excel leaves some at the end)
        errors: dict[str, list[str]] = {}
        if len(row) > len(columns):
            errors["_row"] = [str(_l("The row has %(n)s cells but the header has %(m)s.", n=len(row), m=len(columns)))]
        data = {key: row[i] if i < len(row) else "" for i, key in enumerate(columns) if key is not None}
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
            result.bad_rows.append(BadRow(start, code, errors))
            continue
        plans.append((dealer, data))

    if result.bad_rows and not skip_bad_rows:
        raise ValidationFailed(
            str(_l("%(n)s row(s) have errors; nothing was imported. Correct them, or import only the good rows.",
                   n=len(result.bad_rows))),
            errors={f"line {b.line}": [b.describe()] for b in result.bad_rows},
            rows=[{"line": b.line, "code": b.code, "errors": b.errors} for b in result.bad_rows],
        )
    if not plans and not result.bad_rows:
        raise _file_error(_l("The file has no dealer rows."))
    for dealer, data in plans:
        if dealer is None:
            service._create("dealer", data)
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
