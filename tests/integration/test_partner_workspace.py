"""Issue 14 as a new partner tries it, in a real browser against the real stack.

An operator makes the first admin from the command line; in Chromium that admin makes a
partner organisation, whose admin makes an editor and a reviewer and adopts the sample
trafficking answer for Panama. The editor changes the Kreyòl text (with a WhatsApp number),
sees the preview count and sends it for review, and cannot approve it; the reviewer sees the
number highlighted, confirms that the languages differ on purpose and publishes. The very next
WhatsApp reply and web chat answer carry the new text, with no restart, and a restart of
`python -m bot demo` keeps it. Screenshots of every step go to docs/img/workspace/ for
docs/partners.md.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.config import REPO_ROOT
from bot.stack import Ports
from tests.integration.conftest import TWILIO_TEST_TOKEN, demo_env, plain, start_demo
from tests.whatsapp_helpers import message_form, post_signed

pytestmark = pytest.mark.integration
playwright_api = pytest.importorskip("playwright.sync_api")

SHOTS = REPO_ROOT / "docs" / "img" / "workspace"
PASSWORD = "a long password for tests"
NEW_LINE = "Ekri ekip Panama Aid sou WhatsApp: +507 6000-0000."
QUESTION = "m nan Panyama, yo pran paspò m"
PHONE, DESKTOP = {"width": 360, "height": 740}, {"width": 1280, "height": 800}


def _admin(*args: str, env: dict[str, str], stdin: str = "") -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "admin", *args],
        input=stdin,
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


class Demo:
    """`python -m bot demo` on its own ports and store, started and stopped like `make demo`."""

    def __init__(self, tmp_path: Path) -> None:
        self.ports = Ports.free()
        self.env = demo_env(self.ports, tmp_path)
        self.env["TWILIO_AUTH_TOKEN"] = TWILIO_TEST_TOKEN
        self.process: subprocess.Popen[str] | None = None
        self.output: list[str] = []

    @property
    def url(self) -> str:
        return self.ports.url(self.ports.gateway)

    def start(self) -> None:
        self.process = start_demo(self.env)
        deadline = time.monotonic() + 420
        while time.monotonic() < deadline:
            line = self.process.stdout.readline() if self.process.stdout else ""
            if not line:
                break
            self.output.append(line.rstrip())
            if line.strip() == "ready":
                return
        pytest.fail("the demo did not print ready:\n" + "\n".join(self.output[-40:]))

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=90)

    def whatsapp(self, text: str, sender: str) -> str:
        """What the person reads of the TwiML answer to one signed webhook."""
        with httpx.Client(base_url=self.url, timeout=60) as client:
            response = post_signed(client, message_form(text, sender=sender))
        assert response.status_code == 200, response.text
        bodies = [m.text or "" for m in ET.fromstring(response.text).iter("Message")]
        return plain(" ".join(bodies).replace("*", ""))


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    running = Demo(tmp_path)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def browser() -> Iterator[object]:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Debian's chromium is missing: `make test` installs it (make browser)")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium)
        yield launched
        launched.close()


def _shot(page, name: str) -> None:  # noqa: ANN001 - a Playwright Page
    """The page at phone width, then at desktop width, for docs/partners.md."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(PHONE)


def _shows(page, text: str) -> None:  # noqa: ANN001 - a Playwright Page
    """The page a click led to says `text`; waits for that page to load (reading the
    content in the middle of the navigation gave an empty page on a busy machine)."""
    playwright_api.expect(page.locator("body")).to_contain_text(text, timeout=30_000)


def _sign_in(browser, demo: Demo, username: str):  # noqa: ANN001, ANN202
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{demo.url}/admin/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{demo.url}/admin/")
    return page


def test_a_new_partner_edits_reviews_and_publishes_and_people_get_it(demo, browser) -> None:  # noqa: ANN001
    _admin("create-org", "Operators", env=demo.env)
    _admin(
        "create-user", "--org", "Operators", "--role", "admin", "ops",
        env=demo.env, stdin=f"{PASSWORD}\n{PASSWORD}\n",
    )  # fmt: skip
    demo.start()
    assert "create-user" in "\n".join(demo.output)  # the demo says how to make an account

    login = browser.new_page(viewport=PHONE)
    login.goto(f"{demo.url}/admin/login")
    _shot(login, "login")
    login.close()

    # The operator's admin makes the partner organisation and its first admin.
    ops = _sign_in(browser, demo, "ops")
    ops.goto(f"{demo.url}/admin/accounts")
    ops.locator("summary").filter(has_text="new organisation").click()
    new_org = ops.locator("form[action*='/accounts/organisations']")
    new_org.locator("input[name=name]").fill("Panama Aid")
    new_org.locator("input[name=org_countries][value=PA]").check()
    new_org.locator("input[name=org_languages][value=ht]").check()
    new_org.locator("input[name=admin_username]").fill("ana")
    new_org.locator("input[name=password]").fill(PASSWORD)
    new_org.locator("input[name=password_again]").fill(PASSWORD)
    new_org.locator("button[type=submit]").click()
    _shows(ops, "Panama Aid")

    # The partner's admin makes an editor and a reviewer, and adopts the Panama answer.
    ana = _sign_in(browser, demo, "ana")
    for username, role in (("eddy", "editor"), ("rita", "reviewer")):
        ana.goto(f"{demo.url}/admin/accounts")
        form = ana.locator("form[action*='/accounts/create']")
        form.locator("input[name=username]").fill(username)
        form.locator("select[name=role]").select_option(role)
        form.locator("input[name=password]").fill(PASSWORD)
        form.locator("input[name=password_again]").fill(PASSWORD)
        form.locator("button[type=submit]").click()
        _shows(ana, username)
    _shot(ana, "accounts")
    ana.goto(f"{demo.url}/admin/items?topic=trafficking&country=PA")
    _shot(ana, "items")
    ana.locator("form[action$='/adopt']").first.locator("button").click()

    # The editor changes the Kreyòl text and sends it for review.
    eddy = _sign_in(browser, demo, "eddy")
    _shot(eddy, "dashboard")
    eddy.goto(f"{demo.url}/admin/items?topic=trafficking&country=PA")
    eddy.locator("a.item-row-title").first.click()
    _shot(eddy, "item")
    eddy.locator("a[href$='/ht/edit']").first.click()
    body = eddy.locator("textarea[name=body]")
    body.fill(body.input_value().rstrip() + "\n- " + NEW_LINE)
    eddy.locator("button[name=action][value=preview]").click()
    preview = eddy.locator(".preview").first.inner_text()
    assert "WhatsApp" in preview and "/" in preview  # "612 / 1600"-style counts per channel
    _shot(eddy, "editor")
    eddy.locator("button[name=action][value=submit]").click()
    eddy.goto(f"{demo.url}/admin/review")
    eddy.locator("a[href*='/admin/review/']").first.click()
    _shows(eddy, "A reviewer of your organisation publishes")
    assert eddy.locator("form[action$='/publish'] button").count() == 0
    # Posting an approval anyway (a forged button, with the page's own CSRF token) is refused.
    token = eddy.locator("input[name=csrf_token]").first.input_value()
    forged = eddy.request.post(
        eddy.url + "/publish", form={"csrf_token": token, "confirm_differences": "y"}
    )
    assert forged.status == 403

    # The reviewer sees the number highlighted, confirms the difference and publishes.
    rita = _sign_in(browser, demo, "rita")
    rita.goto(f"{demo.url}/admin/review")
    _shot(rita, "review-queue")
    rita.locator("a[href*='/admin/review/']").first.click()
    assert rita.locator("mark.fact-changed").filter(has_text="6000").count() >= 1
    _shot(rita, "review")
    publish = rita.locator("form[action$='/publish']")
    publish.locator("input[name=confirm_differences]").check()
    publish.locator("button[type=submit]").click()
    rita.wait_for_url("**/admin/items/**")

    # The very next answers carry the new text: WhatsApp, then the web chat in the browser.
    assert "+507 6000-0000" in demo.whatsapp(QUESTION, "whatsapp:+50937155501")
    chat = browser.new_page(viewport=PHONE)
    chat.goto(f"{demo.url}/chat")
    chat.fill("textarea, input[name=text]", QUESTION)
    chat.keyboard.press("Enter")
    chat.wait_for_function("document.body.innerText.includes('+507 6000-0000')", timeout=60000)

    # A restart of the demo keeps the partner's published text.
    demo.stop()
    demo.start()
    assert "not reloaded" in "\n".join(demo.output)
    assert "+507 6000-0000" in demo.whatsapp(QUESTION, "whatsapp:+50937155502")
