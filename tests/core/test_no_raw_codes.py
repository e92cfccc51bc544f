"""Users see words, never codes: every page of the demo, in Chinese, shows no raw code of a state or status.

One app, one demo load. Each demo user signs in with a Chinese browser, opens every page its menu
links to and the first few records each of those pages links to, and no text a person reads (tags,
scripts, styles and attribute values left out) holds a code from the label dicts as a whole word.

Which codes are looked for: the keys of every ``*_LABELS`` dict of the app's packages and the count
statuses (``recount_required``, ``checked_in``, ``out_of_warranty``, ``packed``...), except the few
one-word codes that are also words a page uses in its own right (``ORDINARY_WORDS``) and the role names
(the demo's usernames); and the columns of the audited tables that hold an underscore (``dealer_id``):
one-word columns (name, phone, model) are also the column headers an import file must carry, which
the import pages name on purpose. A Chinese page has no English word of its own, so a one-word code
such as "packed" found there is a code shown raw. A code inside a document number or a serial is not a
word of its own and does not match.
"""
from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from urllib.parse import urlsplit

from core.directory.demo import DEMO_USERS, demo_password

PACKAGES = ("core", "inventory", "repairs", "shipments", "labels")
# One-word codes that are also ordinary words a page uses in its own right: the column headers a file
# must carry, named in the import instructions (day, sku, quantity, serial, model, notice), and units
# (dpi). A task's detail is no exception: it is stored as a message and shown in the reader's language.
ORDINARY_WORDS = frozenset({
    "a4", "admin", "cs", "form", "graphic", "import", "scan", "sales", "upload", "zpl", "pdf", "hq", "factory",
    "day", "sku", "quantity", "serial", "model", "notice", "dpi",
})
# Record pages followed from each listed page, and pages opened per user at most.
DETAILS_PER_LIST = 3
MAX_PAGES_PER_USER = 80
SKIP_TAGS = ("script", "style", "template", "code")
SKIP_PATHS = ("/logout", "/api/", "/static/", "/locale", "/language")
SKIP_SUFFIXES = (".csv", ".xlsx", ".pdf", ".zpl", ".png", ".js", ".css", ".json")


def _codes() -> set[str]:
    """Every code a label dict of the app names, plus count statuses and audited column names."""
    from core.accounts.roles import ROLE_LABELS
    from core.extensions import db
    from inventory import counts

    found: set[str] = set()
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] not in PACKAGES:
            continue
        for attr, value in vars(module).items():
            if attr.endswith("LABELS") and isinstance(value, dict):
                found.update(k for k in value if isinstance(k, str))
    found.update((counts.SUBMITTED, counts.RECOUNT_REQUIRED, counts.SUPERSEDED, counts.ACCEPTED, counts.WITHDRAWN))
    found -= set(ROLE_LABELS)  # the demo's usernames are role names ("欢迎，finance" is a name, not a code)
    for mapper in db.Model.registry.mappers:
        if getattr(mapper.class_, "__audited__", False):
            # One-word columns (name, phone, model) are also the column headers import files must carry.
            found.update(c.key for c in mapper.columns if "_" in c.key)
    return {c for c in found if re.fullmatch(r"[a-z][a-z0-9_]*", c) and ("_" in c or c not in ORDINARY_WORDS)
            and len(c) > 2}


class _Text(HTMLParser):
    """The text nodes of a page outside scripts, styles and ``<code>`` (what a user types literally, such as
    a file's column headers), and the links of its main part and menu."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.links: list[str] = []
        self.nav_links: list[str] = []
        self._skip = 0
        self._in_nav = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIP_TAGS:
            self._skip += 1
        if tag == "nav":
            self._in_nav += 1
        if tag == "a":
            href = dict(attrs).get("href") or ""
            (self.nav_links if self._in_nav else self.links).append(href)

    def handle_endtag(self, tag):
        if tag in SKIP_TAGS and self._skip:
            self._skip -= 1
        if tag == "nav" and self._in_nav:
            self._in_nav -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(data)


def _followable(href: str) -> str | None:
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    if parts.path.startswith(SKIP_PATHS) or parts.path.endswith(SKIP_SUFFIXES):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_no_page_of_the_demo_shows_a_raw_code_in_chinese(app):
    result = app.test_cli_runner().invoke(args=["depot", "demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        codes = _codes()
    assert {"recount_required", "checked_in", "out_of_warranty", "dealer_id"} <= codes
    pattern = re.compile(r"(?<![\w\-/.#])(" + "|".join(sorted(map(re.escape, codes), key=len, reverse=True))
                         + r")(?![\w\-/.#])")
    raw: dict[str, set[str]] = {}
    opened = 0
    for i, (username, _roles, _office) in enumerate(DEMO_USERS):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.0.2.{i + 1}"
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
        assert client.login(username, demo_password(username)).status_code == 302, username
        home = _Text()
        home.feed(client.get("/").get_data(as_text=True))
        queue = [(p, True) for p in dict.fromkeys(filter(None, map(_followable, home.nav_links)))]
        seen: set[str] = set()
        while queue and len(seen) < MAX_PAGES_PER_USER:
            path, is_list = queue.pop(0)
            if path in seen:
                continue
            seen.add(path)
            resp = client.get(path)
            if resp.status_code != 200 or resp.mimetype != "text/html":
                continue
            opened += 1
            page = _Text()
            page.feed(resp.get_data(as_text=True))
            for text in page.texts:
                for match in pattern.finditer(text):
                    raw.setdefault(match.group(1), set()).add(f"{username} {path}: {text.strip()[:80]}")
            if is_list:
                details = [p for p in dict.fromkeys(filter(None, map(_followable, page.links)))
                           if p not in seen and "?" not in p and p.rstrip("/") != path.split("?")[0].rstrip("/")]
                queue.extend((p, False) for p in details[:DETAILS_PER_LIST])
    assert opened > 10 * len(DEMO_USERS)  # the crawl reached the pages, not just the menus
    report = "\n".join(f"{code}: {sorted(where)[:3]}" for code, where in sorted(raw.items()))
    assert not raw, "raw codes on pages:\n" + report
