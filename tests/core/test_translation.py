"""The Simplified Chinese (zh_CN) catalogue: complete, well-formed, and used by the pages.

- Every message of the catalogue is translated, none is fuzzy, and each translation
  keeps the placeholders of its English text (``%(name)s``, ``%s``, ``{0}``).
- Every string the code and templates mark for translation is in the catalogue
  (a string added without running ``pybabel extract``/``update`` fails here).
- No message a user reads is written as a plain literal where the reader's language is
  not asked: a refusal's message and its fields' messages, a role check's message, a
  rate limit's message, an error answer's words.
- A signed-in user whose browser asks for zh-CN sees the key pages in Chinese:
  the navigation, the "Sign out" button and the page's own text.
"""
from __future__ import annotations

import ast
import io
import re
from html.parser import HTMLParser

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo

from tests.catalogue import PO, ROOT, read_catalog

# Every package of the application (each top-level folder with an __init__.py, but the tests'
# own and the benchmarks').
PACKAGES = tuple(sorted(p.parent.name for p in ROOT.glob("*/__init__.py")
                        if p.parent.name not in ("tests", "bench", "migrations")))
# The keywords the code uses: gettext as _, lazy_gettext as _l, ngettext, and N_ for a message id stored
# to be translated when shown (core.i18n; see babel.cfg).
KEYWORDS = {
    "_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None, "N_": None,
    "lazy_ngettext": (1, 2), "pgettext": ((1, "c"), 2), "npgettext": ((1, "c"), 2, 3),
}
METHOD_MAP = [("**.py", "python"), ("**/templates/**.html", "jinja2")]

PLACEHOLDER = re.compile(r"%\([^)]+\)[-#0 +]*\d*(?:\.\d+)?[sdiroxXeEfFgGc]|%[sdrfi]|\{[^{}]*\}")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _messages(catalog):
    for message in catalog:
        if message.id:
            yield message


def _texts(value) -> tuple:
    return value if isinstance(value, tuple) else (value,)


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


# --- (a) the catalogue ---------------------------------------------------------------

def test_catalog_has_no_untranslated_or_fuzzy_entries():
    catalog = read_catalog()
    assert not catalog.fuzzy, "the catalogue header is marked fuzzy"
    untranslated = [m.id for m in _messages(catalog) if not all(_texts(m.string))]
    fuzzy = [m.id for m in _messages(catalog) if m.fuzzy]
    assert not untranslated, f"{len(untranslated)} untranslated: {untranslated[:20]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy: {fuzzy[:20]}"


def test_translations_keep_the_placeholders():
    wrong = []
    for message in _messages(read_catalog()):
        ids = _texts(message.id)
        for index, text in enumerate(_texts(message.string)):
            source = ids[min(index, len(ids) - 1)]
            if _placeholders(text) != _placeholders(source):
                wrong.append((source, text))
    assert not wrong, "placeholders differ:\n" + "\n".join(f"{a!r} -> {b!r}" for a, b in wrong[:20])


def test_catalog_compiles_without_errors():
    catalog = read_catalog()
    errors = [(m.id, [str(e) for e in errs]) for m, errs in catalog.check()]
    assert not errors, errors[:20]
    write_mo(io.BytesIO(), catalog)


def test_every_marked_string_is_in_the_catalog():
    catalog = read_catalog()
    missing = set()
    for package in PACKAGES:
        for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT / package), METHOD_MAP, keywords=KEYWORDS, comment_tags=(), strip_comment_tags=True,
        ):
            msgid = message[0] if isinstance(message, tuple) else message
            if not msgid:
                continue
            entry = catalog.get(msgid)
            if entry is None or not all(_texts(entry.string)):
                missing.add(msgid)
    assert not missing, (
        f"{len(missing)} string(s) not translated in {PO.relative_to(ROOT)}; run pybabel extract and "
        f"update, then translate: {sorted(missing)[:20]}"
    )


def test_the_packages_are_all_checked():
    assert {"core", "repairs", "inventory", "shipments", "doa", "complaints", "hotline", "dealercare"} <= set(PACKAGES)


# Where a message reaches a user: the first argument of a refusal (a DomainError, or a schema's
# ValidationError), these keywords of any call (require's message, a rate limit's error_message),
# a field's messages under errors=, and the words of an error answer (error_response's third argument).
_MESSAGE_KEYWORDS = ("message", "error_message")


def _is_literal(node) -> bool:
    """A plain string, an f-string or a sum with one: text that is never translated."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and bool(node.value.strip())
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _is_literal(node.left) or _is_literal(node.right)
    if isinstance(node, (ast.List, ast.Tuple)):
        return any(_is_literal(e) for e in node.elts)
    return False


def _called(node) -> str | None:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _refusal_names(app) -> set[str]:
    """The refusal classes' names (``app``: made, so every package and its errors are imported)."""
    from marshmallow import ValidationError

    from core.errors import DomainError

    names, todo = {ValidationError.__name__}, [DomainError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return names


def _untranslated(tree, refusals: set[str]):
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            # errors["field"] = ["words"]
            if any(isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id.endswith("errors")
                   for t in node.targets) and _is_literal(node.value):
                yield node.lineno, ast.unparse(node.value)
            continue
        if not isinstance(node, ast.Call):
            continue
        name = _called(node)
        if name in refusals and node.args and _is_literal(node.args[0]):
            yield node.lineno, ast.unparse(node.args[0])
        if name == "error_response" and len(node.args) >= 3 and _is_literal(node.args[2]):
            yield node.lineno, ast.unparse(node.args[2])
        for keyword in node.keywords:
            if keyword.arg in _MESSAGE_KEYWORDS and _is_literal(keyword.value):
                yield node.lineno, ast.unparse(keyword.value)
            if keyword.arg == "errors" and isinstance(keyword.value, ast.Dict):
                for value in keyword.value.values:
                    if _is_literal(value):
                        yield node.lineno, ast.unparse(value)


def test_no_message_for_users_is_a_plain_literal(app):
    """Every refusal, role check, rate limit and error answer says its words through gettext,
    so a Chinese reader does not get English (the catalogue test above then needs each one)."""
    refusals = _refusal_names(app)
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for lineno, text in _untranslated(ast.parse(path.read_text(encoding="utf-8")), refusals):
                found.append(f"{path.relative_to(ROOT)}:{lineno}: {text[:80]}")
    assert not found, "messages users read, not marked for translation:\n" + "\n".join(found)


def test_key_terms_follow_the_department_manual():
    """The department's own words (manual chapter 3), not ad-hoc ones."""
    catalog = read_catalog()
    expected = {
        "Sign out": "退出",
        "Dealer": "代理商",
        "Regional office": "办事处",
        "Supervisor": "客服主管",
        "Waybill": "运单号",
        "Movements": "流水账",
        "Working days": "工作日",
    }
    for msgid, word in expected.items():
        entry = catalog.get(msgid)
        if entry is not None:
            assert word in entry.string, (msgid, entry.string)


# --- (b) the pages in Chinese --------------------------------------------------------

class _Page(HTMLParser):
    """Collects the main navigation's link texts and all visible text."""

    def __init__(self):
        super().__init__()
        self.nav: list[str] = []
        self.text: list[str] = []
        self._in_nav = False
        self._in_link = False
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "nav" and "mainnav" in (attrs.get("class") or ""):
            self._in_nav = True
        elif tag == "a" and self._in_nav:
            self._in_link = True
            self.nav.append("")
        elif tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag == "nav":
            self._in_nav = False
        elif tag == "a":
            self._in_link = False
        elif tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if self._skip:
            return
        if self._in_link and self.nav:
            self.nav[-1] += data.strip()
        if data.strip():
            self.text.append(data.strip())


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


# (path, endpoint, a Chinese word the page shows, an English text it must not show)
KEY_PAGES = [
    ("/", "core.home", "欢迎", "Welcome"),
    ("/repairs/scan", "repairs.scan_station", "扫描", "Scan station"),
    ("/repairs/lookup", "repairs.lookup", "序列号", "Where is my unit?"),
    ("/repairs/parcels", "repairs.parcels", "返修包裹", "Return parcels"),
    ("/inventory/", "inventory.stock", "库存", "No stock."),
    ("/inventory/movements", "inventory.movements", "流水账", "Post a movement"),
    ("/shipments/", "shipments.index", "发货单", "New shipment"),
    ("/shipments/receive", "shipments.receive_start", "运单号", "Receive a shipment"),
    ("/doa/", "doa.index", "DOA", "No DOA applications match."),
    ("/labels/", "labels.index", "标签", "Print labels"),
    ("/calendar/", "calendar.month", "工作日", "Working days"),
]


def _existing(app, pages):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    return [page for page in pages if page[1] in endpoints]


@pytest.fixture()
def staff(login):
    return login("clerk", "service", "supervisor", "admin", username="zhang")


def test_key_pages_are_in_chinese(app, staff, zh_catalog):
    pages = _existing(app, KEY_PAGES)
    assert len(pages) >= 3, "the key pages are missing"
    for path, _endpoint, chinese, english in pages:
        english_html = staff.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)
        english_page = _parse(english_html)
        assert english in english_html, (path, english)  # the check below means something
        resp = staff.get(path, headers={"Accept-Language": "zh-CN"})
        assert resp.status_code == 200, (path, resp.status_code)
        html = resp.get_data(as_text=True)
        page = _parse(html)

        assert 'lang="zh-CN"' in html, path
        assert "退出" in html and "Sign out" not in html, path
        assert chinese in html, (path, chinese)
        assert english not in page.text and english not in html, (path, english)

        assert page.nav, f"no navigation on {path}"
        assert all(CJK.search(label) for label in page.nav), (path, page.nav)
        english_labels = {label for label in english_page.nav if not CJK.search(label)}
        assert english_labels, f"{path}: the English page should have English navigation"
        assert not english_labels & set(page.nav), (path, english_labels & set(page.nav))
        assert not english_labels & set(page.text), (path, english_labels & set(page.text))


def test_english_stays_english(staff, zh_catalog):
    html = staff.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Sign out" in html and "退出" not in html


def test_the_login_page_is_in_chinese(client, zh_catalog):
    html = client.get("/login", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "登录" in html and "用户名" in html and "密码" in html
    assert "Sign in to Depot" not in html and ">Password<" not in html


def test_a_plural_message_is_translated(app, staff, zh_catalog):
    if "repairs.lookup" not in {rule.endpoint for rule in app.url_map.iter_rules()}:
        pytest.skip("no parcel lookup")
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        from flask_babel import ngettext

        assert ngettext("%(num)d unit found", "%(num)d units found", 3) == "找到 3 件产品"
