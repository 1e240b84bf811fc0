"""Each demo role walks its main pages in both languages on a 390 px phone, doing one real thing on the way.

On every page: no horizontal scrolling, no console error, no text under WCAG 2.1 AA contrast (contrast.js), and
on English pages no Chinese outside the organisations' own data (the checker of tests/marketplace/test_i18n.py).
At 1,280 px the header holds on one line; the keyboard reaches the red submit button with a visible focus ring. A full-page screenshot of each page goes to ``$SCREENSHOT_DIR/<lang>/<role>/<page>.png`` (default
``artifacts/screenshots``, git-ignored; `.ci/run` keeps one folder per run).

One demo site and one browser serve the whole walk (seeding and starting Chromium cost more than the pages).
"""
import os
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from marketplace.demo import DEMO_PASSWORD
from tests.browser.conftest import CHROMIUM_ARGS, chromium, demo_site
from tests.marketplace.test_i18n import chinese_outside_data, data_strings, english_ready  # noqa: F401 (a fixture)

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR") or ROOT / "artifacts" / "screenshots")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


BUSY_PROBE = """() => document.addEventListener('submit', () => setTimeout(() => sessionStorage.setItem('busy',
  String([...document.querySelectorAll('#bulk-form button[type=submit]')].every(button => button.disabled)
         && document.querySelectorAll('#bulk-form .spinner-border').length === 1))))"""


def add_a_tag(page, lang: str) -> None:
    """University: tick its first patent and add a tag through the bulk form, which shows only the chosen action's
    fields. Once submitted, the form's buttons
    are disabled and the pressed one shows a spinner (seen by a probe that keeps what it saw in sessionStorage;
    the request passes through the test first, so the page cannot leave before the probe looked)."""
    page.locator(".patent-check").first.check()
    assert page.locator("#bulk-grade").is_visible() and not page.locator("#bulk-form input[name=tags]").is_visible()
    page.locator("#bulk-form select[name=action]").select_option("add_tags")  # shows only the tags field
    assert not page.locator("#bulk-grade").is_visible() and not page.locator("#bulk-form [name=segments]").is_visible()
    page.locator("#bulk-form input[name=tags]").fill(f"walk-{lang}")
    bulk = re.compile(r"/inventory/bulk\b")
    page.route(bulk, lambda route: route.continue_())
    page.evaluate(BUSY_PROBE)
    with page.expect_navigation():
        page.locator("#bulk-form button[type=submit]").first.click()
    page.unroute(bulk)
    assert page.evaluate("sessionStorage.getItem('busy')") == "true"
    assert page.locator("tr[data-patent-id]").first.get_by_text(f"walk-{lang}").count() == 1


def post_a_need(page, lang: str) -> None:
    """Company: post a technology need through the form, landing on its page."""
    page.locator("input[name=title]").fill(f"Battery pack recycling line ({lang})")
    page.locator("textarea[name=description]").fill("Dismantling and sorting of used lithium battery packs.")
    page.locator("input[name=keywords]").fill("lithium battery, recycling")
    page.locator("input[name=modes][value=license]").check()
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()
    assert re.search(r"/needs/\d+$", page.url), page.url
    assert page.get_by_text(f"Battery pack recycling line ({lang})").first.is_visible()


def create_an_event(page, lang: str) -> None:
    """Agency: create a matchmaking event, landing on its page."""
    page.locator("input[name=title]").fill(f"Battery matchmaking day ({lang})")
    page.locator("input[name=held_on]").fill(date.today().isoformat())
    page.locator("input[name=online]").check()
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()
    assert re.search(r"/console/events/\d+$", page.url), page.url


def pick_a_party_and_a_patent(page, lang: str) -> None:
    """Agency: on the deal form, the type-ahead pickers find an organisation and a patent from a few typed
    characters (the lookup API) and fill the form's own fields with them."""
    from playwright.sync_api import expect
    seller = page.locator("#seller_id + .ts-wrapper")
    seller.click()
    # the pick waits for the lookup's answer to the whole query: an answer arriving after it re-renders the list
    # under the pointer (the click lands on another organisation) or reopens it over the patent field
    with page.expect_response(lambda response: "/api/v1/lookup/organisations" in response.url
                              and parse_qs(urlsplit(response.url).query).get("q") == ["贵州理工"]):
        page.keyboard.type("贵州理工")
    expect(seller).not_to_have_class(re.compile(r"(^|\s)loading(\s|$)"))  # the answer is rendered
    seller.locator(".ts-dropdown .option", has_text="贵州理工大学").first.click()
    chosen = page.locator("#seller_id").input_value()
    assert chosen and page.locator(f"#seller_id option[value='{chosen}']").first.inner_text().startswith("贵州理工大学")
    patents = page.locator("#patent_numbers + .ts-wrapper")
    page.locator("#patent_numbers-ts-control").focus()
    with page.expect_response(lambda response: "/api/v1/lookup/patents" in response.url):
        page.keyboard.type("201")
    option = patents.locator(".ts-dropdown .option:not(.create)").first
    option.wait_for()
    number = option.locator(".font-monospace").inner_text()
    option.click()
    page.keyboard.press("Escape")
    assert page.locator("#patent_numbers").input_value() == number


def save_a_search(page, lang: str) -> None:
    """Admin: save the search on screen and find it under saved searches."""
    page.locator("form[action$='/saved-searches'] input[name=name]").fill(f"walk {lang}")
    page.locator("form[action$='/saved-searches'] button[type=submit]").click()
    page.wait_for_load_state()
    page.goto(re.sub(r"^(https?://[^/]+).*", r"\1/saved-searches", page.url))
    assert page.get_by_text(f"walk {lang}").first.is_visible()


Action = Callable[[object, str], None] | None
# role → (email, [(page name, path, action done on that page)])
JOURNEYS: dict[str, tuple[str, list[tuple[str, str, Action]]]] = {
    "university": ("university@demo.local", [
        ("home", "/home", None), ("inventory", "/inventory", add_a_tag), ("open-licenses", "/open-licenses/mine", None),
        ("fees", "/fees", None), ("consents", "/consents", None), ("feedback", "/feedback", None)]),
    "company": ("company@demo.local", [
        ("home", "/home", None), ("new-need", "/needs/new", post_a_need), ("needs", "/needs/mine", None),
        ("inbox", "/notifications", None), ("licenses", "/licenses", None), ("search", "/search?q=电池", None)]),
    "agency": ("agency@demo.local", [
        ("home", "/home", None), ("deals", "/deals", None), ("console", "/console", None),
        ("events", "/console/events", create_an_event), ("pledges", "/pledges", None), ("clients", "/agencies", None),
        ("new-deal", "/deals/new", pick_a_party_and_a_patent)]),
    "admin": ("admin@demo.local", [
        ("home", "/home", None), ("console", "/console", None), ("jobs", "/admin/jobs", None),
        ("open-licenses", "/open-licenses/mine", None), ("search", "/search?q=电池", save_a_search)]),
}

CONTRAST = (Path(__file__).parent / "contrast.js").read_text()
FOCUS_RING = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  return element.matches('.btn-brand:focus-visible') && style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
}"""
ONE_LINE_HEADER = """() => {
  const tops = [...document.querySelectorAll('nav.navbar .navbar-brand, nav.navbar .nav-link')]
    .map(element => Math.round(element.getBoundingClientRect().top));
  return Math.max(...tops) - Math.min(...tops);
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory, demo_files):
    with demo_site(tmp_path_factory.mktemp("journeys"), demo_files) as served:
        yield served


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def walk(browser, url: str, app, role: str, lang: str) -> dict[str, list[str]]:
    """One role's journey in one language; the problems found, by page."""
    email, pages = JOURNEYS[role]
    context = browser.new_context(viewport=PHONE, locale="en-US" if lang == "en" else "zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    problems: dict[str, list[str]] = {}
    page.goto(f"{url}/lang/{lang}")
    page.goto(f"{url}/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    for _press in range(4):  # from the password: remember me, then the submit button
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('.btn-brand')"):
            break
    if not page.evaluate(FOCUS_RING):
        problems[f"{lang}/{role}/login"] = ["no visible focus ring on the submit button"]
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/home$"))
    for name, path, action in pages:
        page.goto(url + path)
        if action is not None:
            action(page, lang)
        found = list(errors)
        errors.clear()
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if width[0] > width[1]:
            found.append(f"{width[0]} px wide at {width[1]} px")
        if low := page.evaluate(CONTRAST):
            found.append("contrast under AA: " + "; ".join(low[:5]))
        if lang == "en":
            assert page.locator("html").get_attribute("lang") == "en"
            if leaks := chinese_outside_data(page.locator("body").inner_text(), data_strings(app)):
                found.append("Chinese: " + " ".join(leaks))
        folder = SCREENSHOTS / lang / role
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
        if name == "home":
            page.set_viewport_size(DESKTOP)
            if (spread := page.evaluate(ONE_LINE_HEADER)) > 4:
                found.append(f"header on several lines at 1,280 px ({spread} px between its links)")
            page.set_viewport_size(PHONE)
        if found:
            problems[f"{lang}/{role}/{name} {path}"] = found
    context.close()
    return problems


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_each_role_walks_its_pages_on_a_phone_without_overflow_errors_or_the_other_language(
        english_ready, site, browser, lang):  # noqa: F811 (english_ready: the compiled catalog)
    url, app = site
    problems: dict[str, list[str]] = {}
    for role in JOURNEYS:
        problems |= walk(browser, url, app, role, lang)
    assert problems == {}, "\n".join(f"{where}: {'; '.join(found)}" for where, found in problems.items())
    assert {path.name for path in (SCREENSHOTS / lang).glob("*/*.png")} >= {"home.png", "console.png"}
