"""DOA cases in the one chase: late approvals to the departments that owe them, late replacements to
purchasing, unanswered DOA tasks to CS; on the overdue pages and in /api/v1/overdue."""
from __future__ import annotations

import re
from datetime import date

from tests.chase.conftest import SUPERVISOR, mails_to, recipient_sets, sweep
from tests.doa.conftest import approve, at, bearer, new_application, signed_in, world  # noqa: F401  (fixtures)

CHANNEL, PRODUCT, PURCHASING = "channel@depot.example", "product@depot.example", "purchasing@depot.example"


def _late_cases(app) -> dict:
    """On 2026-11-05: A1 undecided, A2 waits for product, A3's replacement is late, A4 refused (task open)."""
    from core.accounts.service import get_user
    from core.extensions import db
    from doa import approvals as doa_approvals
    from doa import receipt

    with app.app_context():
        a1 = new_application(serials=("SN1",), when=at(date(2026, 11, 2)))
        a2 = new_application(serials=("SN2",), when=at(date(2026, 11, 2)))
        doa_approvals.decide(get_user("channel"), a2, "channel", "approve", at=at(date(2026, 11, 2), 15))
        a3 = approve(new_application(serials=("SN3",), when=at(date(2026, 10, 20))), when=at(date(2026, 10, 20), 15))
        receipt.receive(get_user("clerk"), a3, ["SN3"], at=at(date(2026, 10, 21)))
        a4 = new_application(serials=("SN4",), when=at(date(2026, 11, 2)))
        doa_approvals.decide(get_user("channel"), a4, "channel", "refuse", "not a DOA: bought a year ago",
                       at=at(date(2026, 11, 2), 16))
        db.session.commit()
        assert a3.replacement_due < date(2026, 11, 5) and a4.state == "refused"
        return {"a1": a1.number, "a2": a2.number, "a3": a3.number, "a4": a4.number}


def test_late_doa_work_is_mailed_to_whoever_owes_it_once_a_day(app, world, mailboxes):  # noqa: F811
    n = _late_cases(app)
    assert sweep(app, "2026-11-05").exit_code == 0
    assert dict(recipient_sets(mailboxes)) == {
        tuple(sorted(r)): 1 for r in ((CHANNEL, SUPERVISOR), (PRODUCT, SUPERVISOR), (PURCHASING, SUPERVISOR),
                                      (SUPERVISOR,))}
    channel = mails_to(mailboxes, CHANNEL)[0].get_content()
    assert n["a1"] in channel and n["a2"] not in channel  # channel already approved A2
    assert "internal approval (1 working day)" in channel and "内部审批" in channel
    product = mails_to(mailboxes, PRODUCT)[0].get_content()
    assert n["a1"] in product and n["a2"] in product and n["a3"] not in product
    purchasing = mails_to(mailboxes, PURCHASING)[0].get_content()
    assert n["a3"] in purchasing and "replacement shipped (7 working days)" in purchasing
    assert f"/doa/{n['a3']}" in purchasing
    [cs] = [m for r, m in mailboxes.messages if tuple(r) == (SUPERVISOR,)]
    assert n["a4"] in cs.get_content() and "Contact the dealer about “application refused”" in cs.get_content()
    # Same day again: nothing; the next working day: each owner once more.
    assert "No overdue units" in sweep(app, "2026-11-05").output
    assert sweep(app, "2026-11-06").exit_code == 0
    assert set(recipient_sets(mailboxes).values()) == {2}


def test_the_overdue_pages_and_the_api_list_doa_sections_in_words(app, world, signed_in, bearer,  # noqa: F811
                                                                  departments):
    n = _late_cases(app)
    page = signed_in("supervisor").get("/repairs/overdue").get_data(as_text=True)
    page = re.sub(r'value="[^"]*"', "", page)
    assert 'id="chase-doa"' in page and 'id="chase-doa_task"' in page
    assert all(number in page for number in n.values())
    assert "waiting for channel department" in page and "渠道部" in page and f'href="/doa/{n["a1"]}"' in page
    assert "Contact the dealer about “application refused”" in page
    # The DOA overdue page keeps its table and adds the DOA tasks.
    doa_page = signed_in("supervisor").get("/doa/overdue").get_data(as_text=True)
    assert n["a1"] in doa_page and "DOA dealer tasks not answered in time" in doa_page and n["a4"] in doa_page
    # The API: the same sections, in the reader's words.
    body = bearer("service").get("/api/v1/overdue").get_json()
    sections = {s["kind"]: s for s in body["sections"]}
    assert {"repair_unit", "doa", "factory_report", "dealer_task", "doa_task", "office_count"} <= set(sections)
    doa = sections["doa"]
    assert doa["title"] == "Overdue DOA cases"
    approvals = [i for i in doa["items"] if i["reference"] == n["a1"]]
    assert {i["owner"] for i in approvals} == {"渠道部", "产品部"}
    assert all("internal approval (1 working day)" in i["description"] and i["late_unit"] == "working"
               for i in approvals)
    assert sections["doa_task"]["items"][0]["reference"] == n["a4"]
    assert bearer("clerk").get("/api/v1/overdue").status_code == 403


def test_the_supervisor_reads_the_sections_in_chinese(app, world, signed_in):  # noqa: F811
    n = _late_cases(app)
    page = signed_in("supervisor").get("/repairs/overdue", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "未按时处理的新品换货联络任务" in page and n["a1"] in page
    assert "等待渠道部" in page
