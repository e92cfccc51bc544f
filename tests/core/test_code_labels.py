"""Pages name roles in words, in the reader's language, not by their codes."""
from __future__ import annotations

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


def test_home_names_the_users_roles_in_words(client, make_user):
    make_user("ann", "clerk", "service")
    client.login("ann", "ann-pass")
    english = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Warehouse clerk" in english and "Service staff" in english
    assert ">clerk<" not in english
    chinese = client.get("/", headers=ZH).get_data(as_text=True)
    assert "仓管员" in chinese
