"""Headless Chromium (Debian's package) driven by Playwright, against one live server for the
whole session. Every page a journey visits is checked with axe-core; a journey fails on any
violation, console error or refused request (the Content-Security-Policy stays on)."""

import json
import os
from pathlib import Path

import pytest

# Playwright's sync API keeps an event loop running in the test thread; the ORM calls the tests
# make around it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
# WCAG 2.2 A and AA (and the 2.0/2.1 rules they include).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: run scripts/system-deps.sh (make test does).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


class Journey:
    """A browser tab that checks every page it lands on."""

    def __init__(self, page, base_url):
        self.page = page
        self.base_url = base_url
        self.problems = []
        self.checked = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))

    def _console(self, message):
        if message.type == "error":
            self.problems.append(f"console: {message.text}")

    def open(self, path):
        self.page.goto(self.base_url + path)
        self.check()

    def check(self):
        """axe-core on the page as it is now: zero violations."""
        self.page.wait_for_load_state("load")
        self.page.evaluate(AXE)
        result = self.page.evaluate(
            "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
            AXE_TAGS)
        for violation in result["violations"]:
            nodes = [n["target"] for n in violation["nodes"]][:3]
            self.problems.append(f"axe {violation['id']} on {self.page.url}: "
                                 f"{violation['help']} {json.dumps(nodes)}")
        self.checked.append(self.page.url)

    # Keyboard only: focus moves with Tab and things are used with Enter, Space and typing.

    def tab_to(self, locator, limit=200):
        """Press Tab until ``locator`` has the focus, as a keyboard user would."""
        target = locator.element_handle()
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            if self.page.evaluate("(el) => document.activeElement === el", target):
                return
        raise AssertionError(f"Tab never reached {locator}")

    def press(self, locator, key="Enter"):
        self.tab_to(locator)
        self.page.keyboard.press(key)

    def choose(self, field_id, index):
        """Pick the ``index``-th option of a radio group: Tab reaches the group's first option,
        Space selects it, the arrow keys move along."""
        self.tab_to(self.page.locator(f"#{field_id}_0"))
        self.page.keyboard.press("Space")
        for _ in range(index):
            self.page.keyboard.press("ArrowRight")

    def type_into(self, locator, text):
        self.tab_to(locator)
        self.page.keyboard.press("Control+A")
        self.page.keyboard.type(str(text))

    def submit(self, locator):
        """Follow a link or press a button with Enter, and check the page it leads to."""
        self.tab_to(locator)
        with self.page.expect_navigation(wait_until="load"):
            self.page.keyboard.press("Enter")
        self.check()

    def assert_clean(self):
        assert self.checked, "the journey checked no page"
        assert not self.problems, "\n".join(self.problems)


@pytest.fixture
def questionnaires(transactional_db):
    """Each browser test starts from a flushed database: put the default questionnaires (a data
    migration's rows) back."""
    from django.apps import apps

    from appraisals.questionnaires import install

    install(apps)


@pytest.fixture
def journey(browser, live_server, questionnaires):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    tab = Journey(page, live_server.url)
    yield tab
    context.close()
    tab.assert_clean()
