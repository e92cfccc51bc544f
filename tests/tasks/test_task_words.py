"""A task's detail is shown in the reader's language, whoever opened it and in whatever language.

The processes store the detail as a message id with its values; the tasks page, the task APIs, the
record pages and the chase lists translate it when shown. A task opened before (its sentence stored
as written, no message id) is shown as written.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from core.authz import SYSTEM

REPAIRS_EN = "Unit RT1: human damage (人为损坏) · no price on the list for this model."
REPAIRS_ZH = "产品 RT1：人为损坏 · 价格表中没有该型号的价格。"
DOA_EN = "Unit DT1 arrived as DOA without any application: not accepted as DOA; find the dealer."
DOA_ZH = "产品 DT1 作为 DOA 寄到但没有任何申请：不按 DOA 受理；请查明代理商。"
OLD = "Call the dealer about RT9 (written before)."
ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}


@pytest.fixture()
def opened(app, make_office, zh_catalog):  # noqa: F811
    """A repairs task (human damage), a DOA task (a unit held without application) and an old row."""
    from core.directory.models import Dealer
    from core.extensions import db
    from core.tasks.models import Task
    from doa import receipt
    from repairs import dealer_tasks, inspection, intake, receiving

    bj = make_office("BJ")
    with app.app_context():
        dealer = Dealer(code="DBJ", name="北京数码", phone="13800001234", office_id=bj)
        db.session.add(dealer)
        db.session.flush()
        parcel = intake.create_parcel(SYSTEM, dealer_id=dealer.id, lines=[{"model": "SSD A400 240G", "serial": "RT1"}])
        unit = receiving.receive_unit(SYSTEM, "RT1", parcel)
        inspection.inspect_unit(SYSTEM, unit, human_damage=True)
        repairs_task = dealer_tasks.unit_tasks(unit)[0]
        hold = receipt.hold_unit(SYSTEM, "DT1", dealer_code="DBJ", model="U盘 64G")
        doa_task = next(t for t in db.session.scalars(db.select(Task).where(Task.process == "doa")))
        old = Task(process="repairs", kind="extra", detail=OLD, case_type="return_parcel", case_id=parcel.id,
                   dealer_id=dealer.id, office_id=bj, due_on=repairs_task.due_on, status="open")
        db.session.add(old)
        db.session.commit()
        assert repairs_task.detail_key and doa_task.detail_key and hold.id
        # Stored as a message id and values, not as words of the opener's language.
        assert repairs_task.detail == "" and repairs_task.detail_params["s"] == "RT1"
        return {"repairs": repairs_task.id, "doa": doa_task.id, "old": old.id, "rma": parcel.rma_number,
                "due": repairs_task.due_on}


def test_the_tasks_page_shows_each_detail_in_the_readers_language(opened, login):
    desk = login("service")
    zh = desk.get("/tasks", headers=ZH).get_data(as_text=True)
    assert REPAIRS_ZH in zh and DOA_ZH in zh and OLD in zh
    assert "no price on the list" not in zh and "not accepted as DOA" not in zh
    en = desk.get("/tasks", headers=EN).get_data(as_text=True)
    assert REPAIRS_EN in en and DOA_EN in en and OLD in en


def test_the_task_api_gives_the_detail_in_the_requests_language(opened, api_as):
    desk = api_as("service")
    zh = {t["id"]: t["detail"] for t in desk.get("/api/v1/tasks", headers=ZH).json["items"]}
    assert zh == {opened["repairs"]: REPAIRS_ZH, opened["doa"]: DOA_ZH, opened["old"]: OLD}
    en = {t["id"]: t["detail"] for t in desk.get("/api/v1/tasks", headers=EN).json["items"]}
    assert en == {opened["repairs"]: REPAIRS_EN, opened["doa"]: DOA_EN, opened["old"]: OLD}
    assert desk.get(f"/api/v1/tasks/{opened['doa']}", headers=ZH).json["detail"] == DOA_ZH


def test_the_parcel_page_and_the_process_apis_show_the_same_words(opened, login, api_as):
    page = login("service").get(f"/repairs/parcels/{opened['rma']}", headers=ZH).get_data(as_text=True)
    assert REPAIRS_ZH in page and OLD in page
    desk = api_as("service", username="api-desk")
    repairs = desk.get("/api/v1/repairs/tasks", headers=ZH)
    assert repairs.status_code == 200, repairs.get_data(as_text=True)
    assert sorted(t["detail"] for t in repairs.json["items"]) == sorted([REPAIRS_ZH, OLD])
    doa = desk.get("/api/v1/doa/tasks", headers=ZH)
    assert doa.status_code == 200, doa.get_data(as_text=True)
    assert [t["detail"] for t in doa.json["items"]] == [DOA_ZH]


def test_the_chase_lists_word_the_detail_in_each_readers_language(opened, app):
    from flask_babel import force_locale

    from doa import chase as doa_chase
    from repairs import chase as repairs_chase

    later = opened["due"] + timedelta(days=7)
    with app.app_context():
        repairs_items = {i.item_id: i for i in repairs_chase.overdue_task_items(later, SYSTEM)}
        doa_items = {i.item_id: i for i in doa_chase.overdue_doa_task_items(later, SYSTEM)}
        with force_locale("zh_CN"):
            assert REPAIRS_ZH in str(repairs_items[opened["repairs"]].description)
            assert OLD in str(repairs_items[opened["old"]].description)
            assert DOA_ZH in str(doa_items[opened["doa"]].description)
        with force_locale("en"):
            assert REPAIRS_EN in str(repairs_items[opened["repairs"]].description)
            assert DOA_EN in str(doa_items[opened["doa"]].description)


def test_a_stored_message_nests_words_and_survives_a_catalogue_that_does_not_fit(app):
    from flask_babel import force_locale

    from core.i18n import N_, message, message_list, render_message

    stored = message(N_("%(n)s arrived not as applied: %(d)s. Talk to the dealer today."), n="DOA-1",
                     d=message_list([message_list(["S1", message(N_("missing"))], sep=": "),
                                     message_list(["S2", message(N_("not on the application"))], sep=": ")],
                                    sep="; "))
    with app.app_context():
        with force_locale("en"):
            assert render_message(stored) == ("DOA-1 arrived not as applied: S1: missing; S2: not on the application. "
                                              "Talk to the dealer today.")
            # A value renamed since the row was written: the English sentence, never an error.
            assert render_message(message(N_("Unit %(s)s: %(d)s."), s="X")) == "Unit %(s)s: %(d)s."
        with force_locale("zh_CN"):
            words = render_message(stored)
            assert "DOA-1" in words and "S1" in words and "missing" not in words
