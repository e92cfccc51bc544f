"""The standard answers library (标准话术, 4.1.1 and 4.1.4): per brand and category, searched in Chinese.

Chinese is written without spaces, so a question typed as "保修期多久" must still find
"保修期是多长时间": the search looks for the whole text and for each pair of neighbouring
characters (bigrams) of it, with LIKE (``core.queries.contains`` escapes ``%``, ``_`` and the
escape character itself and writes the ESCAPE clause), then ranks the candidates by how
much of the text they hold. LIKE works the same on SQLite and PostgreSQL.
"""
from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import or_, select

from core.directory.service import brand_or_422
from core.errors import Conflict, NotFound, ValidationFailed
from core.extensions import db
from core.ids import is_id
from core.locking import lock_row
from core.queries import contains
from core.types import utcnow
from core.workflow import who
from hotline import service
from hotline import states as st
from hotline.models import HotlineEntry, StandardAnswer

MAX_QUERY = 100
MAX_GRAMS = 30
CANDIDATES = 200
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def search_terms(query: str) -> tuple[list[str], list[str]]:
    """(whole words, bigrams): the words split at spaces, and the character pairs of each longer Chinese word."""
    words = [w for w in (query or "").split() if w]
    grams: list[str] = []
    for word in words:
        if len(word) > 2 and _CJK.search(word):
            grams.extend(word[i:i + 2] for i in range(len(word) - 1))
    grams = [g for g in dict.fromkeys(grams) if g not in words][:MAX_GRAMS]
    return words, grams


def _score(answer: StandardAnswer, query: str, words: list[str], grams: list[str]) -> int:
    question, text = answer.question or "", answer.answer or ""
    score = 0
    if query in question:
        score += 100
    if query in text:
        score += 40
    for word in words:
        score += 10 * (word in question) + 4 * (word in text)
    for gram in grams:
        score += 2 * (gram in question) + (gram in text)
    return score


def _filtered(stmt, brand_id: int | None, category: str | None):
    stmt = stmt.where(StandardAnswer.active.is_(True))
    if brand_id:
        # An answer for every brand (brand_id None) holds for this brand too.
        stmt = stmt.where(or_(StandardAnswer.brand_id == brand_id, StandardAnswer.brand_id.is_(None)))
    if category:
        stmt = stmt.where(StandardAnswer.category == category)
    return stmt


def search(actor, query: str = "", *, brand_id: int | None = None, category: str | None = None,
           limit: int = 10) -> list[StandardAnswer]:
    """Standard answers matching ``query`` (Chinese or not), best first; without a query the newest."""
    service.require_reader(actor)
    query = (query or "").strip()
    if len(query) > MAX_QUERY:
        raise ValidationFailed(_("The search text is too long."),
                               errors={"q": [_("At most %(n)s characters.", n=MAX_QUERY)]})
    if category and category not in set(st.Category):
        raise ValidationFailed(_("Some fields need correcting."), errors={"category": [_("Not a valid choice.")]})
    base = _filtered(select(StandardAnswer), brand_id, category)
    if not query:
        return list(db.session.scalars(base.order_by(StandardAnswer.updated_at.desc(), StandardAnswer.id.desc())
                                       .limit(limit)))
    words, grams = search_terms(query)
    clauses = [c for term in [query, *words, *grams]
               for c in (contains(StandardAnswer.question, term, ignore_case=True),
                         contains(StandardAnswer.answer, term, ignore_case=True))]
    found = list(db.session.scalars(base.where(or_(*clauses)).order_by(StandardAnswer.id.desc())
                                    .limit(CANDIDATES)))
    lowered = query.lower()
    lowered_words = [w.lower() for w in words]
    ranked = sorted(found, key=lambda a: (-_score(_Lowered(a), lowered, lowered_words, grams), -a.id))
    return ranked[:limit]


class _Lowered:
    """An answer's texts in lower case, for ranking as the search matched (ignoring case)."""

    def __init__(self, answer: StandardAnswer):
        self.question = (answer.question or "").lower()
        self.answer = (answer.answer or "").lower()


def library(actor, *, q: str = "", brand_id: int | None = None, category: str | None = None):
    """Select statement of the library page: every active answer, by brand and category."""
    service.require_reader(actor)
    stmt = _filtered(select(StandardAnswer), brand_id, category)
    if q.strip():
        stmt = stmt.where(or_(contains(StandardAnswer.question, q.strip(), ignore_case=True),
                              contains(StandardAnswer.answer, q.strip(), ignore_case=True)))
    return stmt.order_by(StandardAnswer.category, StandardAnswer.id)


def get_answer(actor, answer_id: int) -> StandardAnswer:
    """One standard answer."""
    service.require_reader(actor)
    found = db.session.get(StandardAnswer, answer_id) if is_id(answer_id) else None
    if found is None:
        raise NotFound(_("No such standard answer."))
    return found


def _check(question: str, answer: str, category: str) -> tuple[str, str]:
    question, answer = (question or "").strip(), (answer or "").strip()
    errors = {}
    if not question:
        errors["question"] = [_("Required.")]
    elif len(question) > 500:
        errors["question"] = [_("At most %(n)s characters.", n=500)]
    if not answer:
        errors["answer"] = [_("Required.")]
    elif len(answer) > 5000:
        errors["answer"] = [_("At most %(n)s characters.", n=5000)]
    if category not in set(st.Category):
        errors["category"] = [_("Not a valid choice.")]
    if errors:
        raise ValidationFailed(_("Some fields need correcting."), errors=errors)
    return question, answer


def create(actor, *, category: str, question: str, answer: str, brand_id: int | None = None,
           source_entry_id: int | None = None) -> StandardAnswer:
    """Add a standard answer to the library."""
    service.require_desk(actor)
    question, answer = _check(question, answer, category)
    brand_or_422(brand_id)
    now, name = utcnow(), who(actor)[1]
    found = StandardAnswer(brand_id=brand_id, category=category, question=question, answer=answer, active=True,
                           source_entry_id=source_entry_id, created_at=now, created_by=name, updated_at=now,
                           updated_by=name)
    db.session.add(found)
    db.session.flush()
    return found


def update(actor, found: StandardAnswer, **changes) -> StandardAnswer:
    """Change a standard answer's words, brand, category or whether it is still offered."""
    service.require_desk(actor)
    question, answer = _check(changes.get("question", found.question), changes.get("answer", found.answer),
                              changes.get("category", found.category))
    if "brand_id" in changes:
        brand_or_422(changes["brand_id"])
        found.brand_id = changes["brand_id"]
    found.question, found.answer, found.category = question, answer, changes.get("category", found.category)
    if "active" in changes:
        found.active = bool(changes["active"])
    found.updated_at, found.updated_by = utcnow(), who(actor)[1]
    db.session.flush()
    return found


def from_entry(actor, entry: HotlineEntry, *, answer_id: int | None = None, question: str | None = None,
               answer: str | None = None) -> StandardAnswer:
    """Keep an answered question's answer in the library (4.1.4): a new standard answer, or
    ``answer_id``'s words replaced by it. The entry then points at it."""
    service.require_desk(actor)
    if entry.state != st.ANSWERED or not entry.answer:
        raise ValidationFailed(_("Only an answered question goes into the library."),
                               errors={"entry": [_("Not answered yet.")]})
    # One entry makes one new standard answer: a second request at the same moment waits here,
    # then finds the first one's answer and is told to update it instead.
    lock_row(HotlineEntry, entry.id)
    kept = db.session.scalar(select(StandardAnswer.id).where(StandardAnswer.source_entry_id == entry.id).limit(1))
    if answer_id is None and kept is not None:
        raise Conflict(_("This answer is already kept as standard answer #%(id)s; give its number to update it.",
                         id=kept), answer_id=kept)
    words = {"question": question or entry.question[:500], "answer": answer or entry.answer}
    if answer_id is not None:
        found = update(actor, get_answer(actor, answer_id), **words)
    else:
        found = create(actor, category=entry.category, brand_id=entry.brand_id, source_entry_id=entry.id, **words)
    entry.standard_answer_id = found.id
    db.session.flush()
    return found
