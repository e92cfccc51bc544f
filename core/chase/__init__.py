"""One chase for everything with a deadline: who is late with what, and one e-mail a day about it.

Each domain package registers a *chase provider* (:func:`register_chase`): a
function that lists its overdue items for a day, or (at a year's data) a
:class:`ChaseQuery`: the section's rows as one SQL statement with its keyset
order, so the database answers a page (:func:`section_page`) and a count without
anything else being read. The core never imports a domain package; it only asks
the registered providers. The overdue pages and ``/api/v1/overdue`` show each
section's first items, its total and a link to its own list (:func:`first_pages`);
the API pages on through one section; ``flask depot sweep`` reads every item
(:func:`sections`), a chunk of rows at a time.

The sweep mails each overdue item to its owner at most once a day, one e-mail
per owner with all that owner's items. A :class:`ChaseNotice` row per item and
day is written in the same transaction as the e-mail is sent, before sending:
a failed send leaves nothing recorded (the next run retries), and two
overlapping sweeps cannot both claim an item (the second hits the unique key).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, String, func, insert, select
from sqlalchemy.orm import Mapped, mapped_column

from core.authz import SYSTEM, signed_in
from core.calendar import working_days_between, working_days_since
from core.errors import ValidationFailed
from core.extensions import db
from core.pagination import MAX_PER_PAGE, Key, decode_cursor, encode_cursor, keyset, page_number
from core.types import UTCDateTime, utcnow

# How lateness is counted: the promise clocks count working days, the factory's
# internal clock and the reporting deadlines calendar days.
WORKING = "working"
CALENDAR = "calendar"

# The languages of the chase e-mail: its readers (factory, offices, CS) read both.
MAIL_LOCALES = ("zh_CN", "en")

CS_TITLE = "客服部 / Customer service"


class ChaseNotice(db.Model):
    """One overdue item mailed on one day (the sweep mails an item at most once a day)."""

    __tablename__ = "chase_notice"
    __table_args__ = (db.UniqueConstraint("kind", "item_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    item_id: Mapped[int] = mapped_column()
    day: Mapped[date] = mapped_column(index=True)
    owner_key: Mapped[str] = mapped_column(String(60), default="")
    recipients: Mapped[str] = mapped_column(String(400), default="")
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@dataclass(frozen=True)
class Owner:
    """Whose clock ran out: a key to group by, a name for the e-mail, and whom to write to."""

    key: str
    title: str
    recipients: tuple[str, ...]


class Words:
    """A description made in the reader's language when it is shown: ``func(*args)`` at ``str()``.

    Unlike flask_babel's LazyString it has no ``__html__``, so a page always
    escapes it (it holds dealer names and notes).
    """

    __slots__ = ("args", "func")

    def __init__(self, func: Callable[..., str], *args):
        self.func = func
        self.args = args

    def __str__(self) -> str:
        return str(self.func(*self.args))


@dataclass(frozen=True)
class ChaseItem:
    """One overdue thing, described in words.

    ``description`` is :class:`Words` (or plain text): the page shows it in the
    reader's language, the e-mail in each of :data:`MAIL_LOCALES`. ``link`` is a path
    on Depot (the e-mail prefixes ``DEPOT_BASE_URL``).
    """

    kind: str
    item_id: int
    owner: Owner
    reference: str
    description: object
    due: date
    late: int
    link: str
    late_unit: str = WORKING


@dataclass(frozen=True)
class ChaseQuery:
    """A provider's overdue rows as SQL: a page and a count come from the database.

    ``stmt`` selects the rows (filters and the reader's scope, no ORDER BY); ``keys`` are
    their keyset order, most overdue first, the last key the row's id (an index on them
    makes a page a range read); ``items(rows, today)`` makes a page's rows into
    :class:`ChaseItem` (one row may give several items, or none); ``options`` are loader
    options for a page's rows (its related records in a fixed number of statements).
    """

    stmt: Select
    keys: tuple[Key, ...]
    items: Callable[[list, date], Iterable[ChaseItem]]
    options: tuple = ()


@dataclass(frozen=True)
class ChaseProvider:
    kind: str
    title: object  # a lazy string: the section heading on the page and in the e-mail
    # list_items(today, actor) -> iterable of ChaseItem (every item); actor SYSTEM: everything.
    list_items: Callable | None = None
    order: int = 100
    # query(today, actor) -> ChaseQuery, or None when actor sees none of the section.
    query: Callable | None = None
    link: str | None = None  # the path of the section's own (paged) list, if it has one


_PROVIDERS: dict[str, ChaseProvider] = {}


def register_chase(kind: str, provider: Callable | None = None, *, title, order: int = 100,
                   query: Callable | None = None, link: str | None = None) -> None:
    """Register the overdue items of ``kind``: ``provider(today, actor)`` listing them all, or
    ``query(today, actor)`` answering a :class:`ChaseQuery` (a page and a count in SQL).

    ``actor`` SYSTEM means every item (the sweep); a user limits the list to what that
    user may see. ``link`` is the path of the section's own full list. Registering a kind
    again replaces it (app factories in tests).
    """
    if (provider is None) == (query is None):
        raise TypeError("register_chase needs a provider or a query, not both")
    _PROVIDERS[kind] = ChaseProvider(kind, title, provider, order, query, link)


def providers() -> list[ChaseProvider]:
    """The registered providers in page order."""
    return sorted(_PROVIDERS.values(), key=lambda p: (p.order, p.kind))


def supervisor_email() -> str | None:
    return current_app.config.get("SUPERVISOR_EMAIL") or None


def owner(key: str, title: str, *emails: str | None, supervisor: bool = True) -> Owner:
    """An owner writing to ``emails`` (blank ones dropped) and, unless told not to, the CS supervisor."""
    found = [e.strip() for e in emails if e and e.strip()]
    if supervisor and supervisor_email():
        found.append(supervisor_email())
    unique = tuple(dict.fromkeys(found))
    return Owner(key, " ".join(str(title).split()), unique)


def working_days_late(due: date, today: date) -> int:
    """Working days ``today`` is past ``due`` (at least 1 once it is past)."""
    return max(1, working_days_since(due, today) if due <= today else working_days_between(due, today))


def calendar_days_late(due: date, today: date) -> int:
    """Calendar days ``today`` is past ``due`` (at least 1 once it is past)."""
    return max(1, (today - due).days)


def customer_service() -> Owner:
    """Customer service's own lateness: the supervisor is told."""
    return owner("cs", CS_TITLE)


# Items of each section on the overdue pages (the section's own list or the API shows the rest).
SECTION_ITEMS = 10
# Items on a page of one section's own page (/overdue/<kind>).
PAGE_ITEMS = 50
# Rows read at a time when every item is wanted (the sweep).
CHUNK = MAX_PER_PAGE
# A listed (not queried) section's order, carried in its cursor: due day, reference, item id, kind.
_LIST_KEYS = (Key(None, "date"), Key(None, "str"), Key(None, "int"), Key(None, "str"))


@dataclass
class Section:
    """A provider's overdue items: all of them (the sweep) or one page (``total`` in all, ``next``
    the cursor of the page after, None on the last)."""

    provider: ChaseProvider
    items: list[ChaseItem]
    total: int = 0
    next: str | None = None

    @property
    def link(self) -> str | None:
        return self.provider.link


def due_keys(due, row_id) -> tuple[Key, Key]:
    """The keyset order of a queried section: its rows' due day (the earliest first), then id."""
    return (Key(due, "date"), Key(row_id, "int"))


def _list_key(item: ChaseItem) -> tuple:
    return (item.due, item.reference, item.item_id, item.kind)


def _listed(provider: ChaseProvider, today: date, actor) -> list[ChaseItem]:
    return sorted(provider.list_items(today, actor), key=_list_key)


def _query(provider: ChaseProvider, today: date, actor) -> ChaseQuery | None:
    signed_in(actor)  # nobody (None) is refused, as every service refuses
    return provider.query(today, actor)


def section_page(provider: ChaseProvider, today: date, actor, *, after=None, per_page=SECTION_ITEMS,
                 count: bool = True) -> Section:
    """One page of ``provider``'s overdue items for ``today`` that ``actor`` may see, most overdue first.

    ``after`` (the ``next`` of the page before) and ``per_page`` may be raw request arguments:
    a cursor not made here is a 422. A queried section reads ``per_page`` rows and counts in
    SQL; a listed one lists everything and keeps the page.
    """
    per_page = page_number(per_page, field="per_page", high=MAX_PER_PAGE, default=SECTION_ITEMS)
    if provider.query is None:
        values = decode_cursor(after, _LIST_KEYS)
        every = _listed(provider, today, actor)
        rest = [i for i in every if values is None or _list_key(i) > values]
        page = rest[:per_page]
        cursor = encode_cursor(_list_key(page[-1]), _LIST_KEYS) if len(rest) > per_page else None
        return Section(provider, page, len(every), cursor)
    query = _query(provider, today, actor)
    if query is None:
        return Section(provider, [], 0, None)
    page = keyset(query.stmt.options(*query.options), query.keys, after, per_page, default_per_page=SECTION_ITEMS)
    total = 0
    if count:
        total = db.session.scalar(select(func.count()).select_from(query.stmt.order_by(None).subquery())) or 0
    return Section(provider, list(query.items(page.items, today)), total, page.next)


def _every_item(provider: ChaseProvider, today: date, actor) -> Iterator[ChaseItem]:
    if provider.query is None:
        yield from _listed(provider, today, actor)
        return
    after = None
    while True:
        page = section_page(provider, today, actor, after=after, per_page=CHUNK, count=False)
        yield from page.items
        if page.next is None:
            return
        after = page.next


def all_items(kind: str, today: date, actor) -> list[ChaseItem]:
    """Every overdue item of section ``kind`` for ``today`` that ``actor`` may see, most overdue first."""
    return list(_every_item(_PROVIDERS[kind], today, actor))


def provider_of(kind) -> ChaseProvider:
    """The provider of section ``kind``; an unknown one is a 422 naming ``section``."""
    found = _PROVIDERS.get(kind) if isinstance(kind, str) else None
    if found is None:
        message = _l("No such section of overdue work.")
        raise ValidationFailed(str(message), errors={"section": [str(message)]})
    return found


def first_pages(today: date, actor, *, kinds: Iterable[str] | None = None,
                per_page=SECTION_ITEMS) -> list[Section]:
    """Each section's first ``per_page`` items (most overdue first) with its total, in page order:
    the overdue pages and ``/api/v1/overdue`` (a fixed number of statements per section)."""
    wanted = set(kinds) if kinds is not None else None
    return [section_page(p, today, actor, per_page=per_page) for p in providers()
            if wanted is None or p.kind in wanted]


def sections(today: date, actor, *, kinds: Iterable[str] | None = None) -> list[Section]:
    """Each provider's overdue items for ``today`` that ``actor`` may see, every one (most overdue
    first), in page order: the sweep. Queried sections are read :data:`CHUNK` rows at a time.

    The sweep asks as :data:`core.authz.SYSTEM` (every office); None is refused."""
    wanted = set(kinds) if kinds is not None else None
    out = []
    for provider in providers():
        if wanted is not None and provider.kind not in wanted:
            continue
        items = list(_every_item(provider, today, actor))
        out.append(Section(provider, items, len(items), None))
    return out


def overdue_items(today: date, actor) -> list[ChaseItem]:
    """Every provider's overdue items for ``today``."""
    return [item for section in sections(today, actor) for item in section.items]


# --------------------------------------------------------------------------- the sweep

@dataclass
class MailGroup:
    """One e-mail: one owner's overdue items not yet mailed today, by section."""

    owner: Owner
    by_section: dict[str, list[ChaseItem]] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.owner.title

    @property
    def recipients(self) -> list[str]:
        return list(self.owner.recipients)

    @property
    def items(self) -> list[ChaseItem]:
        return [item for items in self.by_section.values() for item in items]


def plan(today: date) -> list[MailGroup]:
    """Overdue items not yet mailed today, one group per owner with someone to write to."""
    found = sections(today, SYSTEM)
    done: set[tuple[str, int]] = set()
    if any(section.items for section in found):
        done = {(k, i) for k, i in db.session.execute(
            select(ChaseNotice.kind, ChaseNotice.item_id).where(ChaseNotice.day == today))}
    groups: dict[str, MailGroup] = {}
    for section in found:
        for item in section.items:
            if (item.kind, item.item_id) in done:
                continue
            group = groups.setdefault(item.owner.key, MailGroup(item.owner))
            group.by_section.setdefault(section.provider.kind, []).append(item)
    return [g for g in groups.values() if g.owner.recipients and g.by_section]


def late_words(item: ChaseItem) -> str:
    """How late, in both languages of the e-mail."""
    if item.late_unit == CALENDAR:
        return f"超期 {item.late} 天 / {item.late} day(s) late"
    return f"超期 {item.late} 个工作日 / {item.late} working day(s) late"


def compose(group: MailGroup, today: date) -> EmailMessage:
    """The chase e-mail of one owner, in Chinese and English, one section per kind of work."""
    base = current_app.config.get("DEPOT_BASE_URL", "").rstrip("/")
    msg = EmailMessage()
    title = " ".join(group.title.split())  # a name is one line in a header, whatever was stored
    msg["Subject"] = f"[Depot] 超期待办 Overdue work: {len(group.items)} item(s) — {title} — {today.isoformat()}"
    msg["From"] = current_app.config.get("MAIL_SENDER", "depot@localhost")
    msg["To"] = ", ".join(group.recipients)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="depot")
    lines = [
        "以下事项已超过期限，请尽快处理。",
        "The following items are past their due date; please act on them today.",
    ]
    for provider in providers():
        items = group.by_section.get(provider.kind)
        if not items:
            continue
        lines += ["", " / ".join(dict.fromkeys(_in_each_locale(provider.title))), ""]
        for item in items:
            lines.append(f"- {' '.join(item.reference.split())}  截止 / due {item.due.isoformat()}  "
                         f"({late_words(item)})")
            lines += [f"  {words}" for words in dict.fromkeys(_in_each_locale(item.description))]
            lines.append(f"  {base}{item.link}")
    lines += ["", "— Depot"]
    msg.set_content("\n".join(lines))
    return msg


def _in_each_locale(text) -> list[str]:
    out = []
    for locale in MAIL_LOCALES:
        with force_locale(locale):
            out.append(" ".join(str(text).split()))
    return out


def record(group: MailGroup, today: date) -> None:
    """Claim the group's items for today (flush; unique per kind, item and day)."""
    recipients = ", ".join(group.recipients)[:400]
    db.session.execute(insert(ChaseNotice.__table__), [
        {"kind": i.kind, "item_id": i.item_id, "day": today, "owner_key": group.owner.key[:60],
         "recipients": recipients, "sent_at": utcnow()} for i in group.items
    ])
    db.session.flush()

