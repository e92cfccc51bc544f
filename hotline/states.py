"""The hotline and e-mail desk's words and life cycle (DOMAIN.md E, manual ch. 3 part 二, 4).

A question is logged as it comes in (phone or e-mail). CS answers it at once with a
standard answer, or sends it to the responsible department the same day; either way the
asker has the standard answer within one working day (4.2). A reply to an answered
e-mail opens its entry again.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.accounts.roles import Role
from core.workflow import LabelledEnum, Workflow

PROCESS = "hotline"
ANSWER_DAYS = 1          # 4.2: 受理热线及邮件咨询一个工作日内给予标准回复


class Asker(LabelledEnum):
    """Who asked the question."""

    END_CUSTOMER = "end_customer", _l("end customer")
    DEALER = "dealer", _l("dealer")
    PROSPECT = "prospective_dealer", _l("prospective dealer")


class Channel(LabelledEnum):
    """How the question came in."""

    PHONE = "phone", _l("phone")
    EMAIL = "email", _l("e-mail")


class Category(LabelledEnum):
    """What the question is about (4.1.3: the weekly and monthly figures count per category)."""

    PRODUCT = "product", _l("product and use")
    WARRANTY = "warranty", _l("warranty and policy")
    REPAIR = "repair", _l("repair progress")
    PURCHASE = "purchase", _l("where to buy, prices")
    DEALERSHIP = "dealership", _l("becoming a dealer")
    COMPLAINT = "complaint", _l("complaint")
    OTHER = "other", _l("other")


class EntryState(LabelledEnum):
    """Where a logged question stands."""

    OPEN = "open", _l("to answer")
    REFERRED = "referred", _l("with the department")
    ANSWERED = "answered", _l("answered")


OPEN, REFERRED, ANSWERED = EntryState.OPEN, EntryState.REFERRED, EntryState.ANSWERED
WAITING = (OPEN, REFERRED)

DESK = (Role.SERVICE, Role.SUPERVISOR)

WORKFLOW = Workflow(
    states=EntryState,
    transitions={
        OPEN: {"answer": ANSWERED, "refer": REFERRED},
        REFERRED: {"answer": ANSWERED},
        # The asker wrote again in the thread of an answered e-mail.
        ANSWERED: {"reopen": OPEN},
    },
    action_labels={"answer": _l("answer"), "refer": _l("send to the department"), "reopen": _l("reopen")},
    event_model="hotline.models:HotlineEvent",
    event_values=lambda entry: {"entry_id": entry.id},
    name_attr="number",
    roles={"answer": DESK, "refer": DESK},
)
