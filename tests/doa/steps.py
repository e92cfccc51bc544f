"""Bring a DOA application to a later step through the service (inside an app context; flushes only)."""
from __future__ import annotations

from tests.doa.conftest import approve, new_application


def received(*, request="replacement", serials=("SN1",)):
    """Applied, approved by channel and product, and received as applied."""
    from core.accounts.service import get_user
    from doa import receipt

    row = approve(new_application(request=request, serials=serials))
    receipt.receive(get_user("clerk"), row, list(serials), waybill=f"SFIN{serials[0]}", carrier="顺丰")
    return row


def shipped(*, serials=("SN1",), waybill="DB100200300", carrier="德邦", shipped_at=None):
    """A replacement repaired by purchasing and shipped by the finished-goods store."""
    from core.accounts.service import get_user
    from doa import replacement

    row = received(serials=serials)
    replacement.record_purchasing(get_user("purchasing"), row, [{"serial": s, "outcome": "repaired"} for s in serials])
    replacement.ship_replacement(get_user("clerk"), row, carrier=carrier, waybill=waybill, shipped_at=shipped_at)
    return row


def finance_approved(*, serials=("SN1",)):
    """A refund approved by product and finance, waiting for commerce's credit."""
    from core.accounts.service import get_user
    from doa import replacement

    row = received(request="refund", serials=serials)
    replacement.refund_decide(get_user("product"), row, "product", "approve")
    replacement.refund_decide(get_user("finance"), row, "finance", "approve")
    return row


def refunded(*, amount="259.00", currency=None, serials=("SN1",)):
    """A refund credited by commerce."""
    from core.accounts.service import get_user
    from doa import replacement

    row = finance_approved(serials=serials)
    replacement.issue_credit(get_user("commerce"), row, "XT2611-001", amount=amount, currency=currency)
    return row
