"""Signing in, signing out and switching the language, in a real browser."""
from __future__ import annotations

import re

from playwright.sync_api import expect


def test_sign_in_and_out(page, make_user):
    make_user("ann", "clerk")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))  # anonymous: sent to the sign-in page
    page.fill("input[name=username]", "ann")
    page.fill("input[name=password]", "ann-pass")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.locator(".userbox")).to_contain_text("ann")
    assert "/login" not in page.url
    page.locator(".userbox button.link", has_text="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login"))
    page.goto("/account/tokens")
    expect(page).to_have_url(re.compile(r"/login"))
    assert not page.js_errors, page.js_errors


def test_wrong_password_says_so_without_naming_the_user(page, make_user):
    make_user("ann", "clerk")
    page.goto("/login")
    page.fill("input[name=username]", "ann")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit].primary")
    expect(page.locator(".flash-error")).to_have_text("Wrong username or password.")
    page.fill("input[name=username]", "nobody")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit].primary")
    expect(page.locator(".flash-error")).to_have_text("Wrong username or password.")


def _translation(msgid: str) -> str | None:
    from pathlib import Path

    from babel.messages.pofile import read_po

    import core

    po = Path(core.__file__).parent / "translations" / "zh_CN" / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return None
    with po.open("rb") as fh:
        message = read_po(fh).get(msgid)
    return message.string if message is not None and message.string else None


def test_language_switch_changes_the_page_text(page, sign_in):
    sign_in("ann", "clerk")
    page.goto("/account/tokens")
    english = page.locator("main").inner_text()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#lang-switch")).to_have_text("中文")

    page.click("#lang-switch")
    page.wait_for_load_state()
    assert page.url.endswith("/account/tokens"), page.url  # stays on the same page
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#lang-switch")).to_have_text("English")
    chinese = page.locator("main").inner_text()
    assert chinese != english
    heading = _translation("API tokens")
    if heading:
        expect(page.locator("main h1")).to_have_text(heading)
    assert re.search(r"[\u4e00-\u9fff]", page.locator("body").inner_text())

    # The choice is remembered for the user: a new session starts in Chinese.
    page.locator("form[action$='/logout'] button").click()
    page.fill("input[name=username]", "ann")
    page.fill("input[name=password]", "ann-pass")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")

    page.click("#lang-switch")
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#lang-switch")).to_have_text("中文")


def test_chinese_browser_gets_chinese_sign_in_page(browser, server):
    context = browser.new_context(locale="zh-CN", base_url=server.url)
    try:
        pg = context.new_page()
        pg.goto("/login")
        expect(pg.locator("html")).to_have_attribute("lang", "zh-CN")
        title = _translation("Sign in to Depot")
        if title:
            expect(pg.locator("h1")).to_have_text(title)
    finally:
        context.close()
