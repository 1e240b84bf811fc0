"""The Content-Security-Policy allows no inline script: the pages and the API docs still work in a real browser."""

import pytest

from tests.browser.conftest import CHROMIUM_ARGS, chromium, sign_in


@pytest.mark.browser
def test_pages_and_api_docs_run_without_inline_script(live_server):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        page = browser.new_page(locale="zh-CN")
        violations: list[str] = []
        page.on("console", lambda message: violations.append(message.text)
                if "Content Security Policy" in message.text else None)
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

        page.goto(f"{live_server}/api/v1/docs")
        expect(page.locator(".opblock").first).to_be_visible(timeout=30_000)  # Swagger UI started from static js

        sign_in(page, live_server)

        page.goto(f"{live_server}/inventory")
        page.locator("#select-all").check()  # data-check-all (was an inline script)
        boxes = page.locator(".patent-check")
        assert boxes.count() > 0 and all(boxes.nth(i).is_checked() for i in range(boxes.count()))
        page.locator("form[data-confirm] button").first.click()  # the demo's draft: data-confirm asks first
        assert dialogs and page.url.endswith("/inventory")  # dismissed: nothing was submitted
        assert violations == []
        browser.close()
