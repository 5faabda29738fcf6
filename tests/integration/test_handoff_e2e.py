"""Issue 15 as people live it, against the real stack (Rasa with the trained model, the action
server, the gateway) and a real browser for the caseworker.

A Haitian in Panama writes on WhatsApp (signed webhooks; the bot's answers in TwiML, the
worker's through a local fake of Twilio's Messages API) and another on Telegram (webhook mode,
a local fake of the Bot API). "mwen vle pale ak yon moun" opens a case for the partner that
serves Haitians in Panama; the person is told once; a caseworker answers from /admin in
Chromium; the answer reaches the person's own channel; the person's next message lands in the
inbox and gets no bot answer; an emergency is still answered at once; outside WhatsApp's
24 hours the answer goes as the approved template and the inbox says so; closing hands the
conversation back to the bot. Screenshots at 360 px and 1280 px go to docs/img/workspace/.
"""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from bot.config import REPO_ROOT
from bot.handoff.models import Case
from bot.store.db import session_scope
from bot.store.models import Role
from bot.translation import Translator
from bot.workspace.accounts import create_account, create_organisation
from scripts.translation import tiny_models
from tests.fakes.telegram_api import TOKEN, FakeTelegram, fake_telegram, text_update
from tests.fakes.twilio_api import FakeTwilio, fake_twilio
from tests.integration.conftest import TWILIO_TEST_TOKEN, RunningStack, plain, running_stack
from tests.whatsapp_helpers import message_form, signature

pytestmark = pytest.mark.integration
playwright_api = pytest.importorskip("playwright.sync_api")

PUBLIC = "https://gateway.example.org"
SECRET = "integration-handoff-secret"
ACCOUNT_SID = "AC" + "4" * 32
OUR_NUMBER = "whatsapp:+14155238886"
TEMPLATE = "HX" + "7" * 32
PERSON_PHONE = "whatsapp:+50760001234"
PASSWORD = "a long password for the caseworker"
SHOTS = REPO_ROOT / "docs" / "img" / "workspace"
PHONE, DESKTOP = {"width": 360, "height": 740}, {"width": 1280, "height": 800}
ALL_WEEK = {day: ["00:00", "23:59"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
_chats = itertools.count(700_100_000)


@pytest.fixture(scope="module")
def twilio() -> Iterator[FakeTwilio]:
    with fake_twilio(ACCOUNT_SID, TWILIO_TEST_TOKEN) as fake:
        yield fake


@pytest.fixture(scope="module")
def telegram() -> Iterator[FakeTelegram]:
    with fake_telegram() as fake:
        yield fake


@pytest.fixture(scope="module")
def stack(tmp_path_factory, twilio, telegram) -> Iterator[RunningStack]:
    env = {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "WHATSAPP_FROM": OUR_NUMBER,
        "TWILIO_API_BASE": twilio.url,
        "WHATSAPP_WINDOW_TEMPLATE": TEMPLATE,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE": telegram.url,
        "PUBLIC_BASE_URL": PUBLIC,
        "HANDOFF_ADDRESS_KEYS": Fernet.generate_key().decode(),
        "WORKSPACE_SECRET": "integration-handoff-workspace-secret",
        # Empty until the machine-translation test installs packages there.
        "TRANSLATION_PACKAGES_DIR": str(tmp_path_factory.mktemp("translation-packages")),
    }
    with running_stack(tmp_path_factory.mktemp("handoff-stack"), env=env) as running:
        with session_scope(running.database_url) as session:
            create_organisation(session, "Ayuda Panamá", countries=["PA"], languages=["es"])
            lakay = create_organisation(
                session, "Lakay Panama", countries=["PA"], languages=["ht", "fr"]
            )
            lakay.opening_hours, lakay.time_zone = ALL_WEEK, "America/Panama"
            create_account(session, lakay, "rose", Role.CASEWORKER.value, PASSWORD)
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Debian's chromium is missing: `make test` installs it (make browser)")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium)
        yield launched
        launched.close()


def whatsapp(stack: RunningStack, text: str, sender: str = PERSON_PHONE) -> str:
    """What the person reads of the TwiML answer to one signed webhook ('' for none)."""
    form = message_form(text, sender=sender)
    response = httpx.post(
        f"{stack.gateway}/webhooks/whatsapp",
        data=form,
        headers={"X-Twilio-Signature": signature(f"{PUBLIC}/webhooks/whatsapp", form)},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    bodies = [m.text or "" for m in ET.fromstring(response.text).iter("Message")]
    return plain(" ".join(bodies).replace("*", ""))


def telegram_says(stack: RunningStack, telegram: FakeTelegram, chat_id: int, text: str) -> str:
    """Post one Update; what the bot sent back to that chat ('' for nothing)."""
    before = len(telegram.calls("sendMessage"))
    response = httpx.post(
        f"{stack.gateway}/webhooks/telegram",
        json=text_update(chat_id, text),
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    sent = telegram.settle("sendMessage", seconds=1.5)[before:]
    return " ".join(plain(m["text"]) for m in sent if m["chat_id"] == str(chat_id))


def wait_for(found, what: str, timeout: float = 30.0):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = found()
        if result:
            return result
        time.sleep(0.3)
    pytest.fail(f"waited {timeout:.0f} s for {what}")


def shot(page, name: str) -> None:  # noqa: ANN001 - a Playwright Page
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(PHONE)


def sign_in(browser, stack: RunningStack):  # noqa: ANN001, ANN201
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{stack.gateway}/admin/login")
    page.fill("input[name=username]", "rose")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{stack.gateway}/admin/**")
    return page


def answer_from_the_inbox(page, stack: RunningStack, case_id: int, text: str) -> str:  # noqa: ANN001
    """Open the case, claim it if nobody has, send `text`; the page's words after sending."""
    page.goto(f"{stack.gateway}/admin/cases/{case_id}")
    claim = page.locator("button", has_text="Claim this case")
    if claim.count():
        with page.expect_navigation():  # the page the form leads to, loaded
            claim.click()
    page.fill("#reply-text", text)
    with page.expect_navigation():  # the page the form leads to, loaded
        page.locator("button", has_text="Send to the person").click()
    return page.content()


def the_case(stack: RunningStack, channel: str) -> Case:
    with session_scope(stack.database_url) as session:
        case = session.scalars(
            select(Case).where(Case.channel == channel).order_by(Case.id.desc())
        ).first()
        assert case is not None, f"no {channel} case"
        session.expunge(case)
        return case


def test_whatsapp_person_caseworker_and_back_to_the_bot(stack, twilio, browser) -> None:  # noqa: ANN001
    whatsapp(stack, "bonjou, mwen nan Panama")
    told = whatsapp(stack, "mwen vle pale ak yon moun")
    assert "Yon moun nan Lakay Panama ap reponn ou isit la byento" in told  # once, in Kreyòl
    assert "911" in told  # Panama's emergency number from the store
    case = the_case(stack, "whatsapp")
    assert (case.language, case.country, case.status) == ("ht", "PA", "open")

    assert whatsapp(stack, "pitit mwen an malad anpil, li gen lafyèv") == ""  # for the worker

    page = sign_in(browser, stack)
    page.goto(f"{stack.gateway}/admin/cases")
    listing = page.content()
    assert f"/admin/cases/{case.id}" in listing and "Kreyòl" in listing
    assert "50760001234" not in listing and "6000" not in listing  # never a phone number
    shot(page, "inbox")
    page.goto(f"{stack.gateway}/admin/cases/{case.id}")
    assert "pitit mwen an malad anpil" in page.content()
    before = len(twilio.messages())
    after_send = answer_from_the_inbox(
        page, stack, case.id, "Bonjou, se Rose nan Lakay Panama. Ki laj pitit ou a?"
    )
    assert "on its way to the person" in after_send
    shot(page, "case-answered")
    sent = wait_for(lambda: twilio.messages()[before:], "the worker's answer at Twilio")
    assert sent[0]["To"] == PERSON_PHONE and sent[0]["From"] == OUR_NUMBER
    assert sent[0]["Body"] == "Bonjou, se Rose nan Lakay Panama. Ki laj pitit ou a?"

    assert whatsapp(stack, "li gen 4 an") == ""  # the person answers the worker, not the bot
    page.goto(f"{stack.gateway}/admin/cases/{case.id}")
    page.wait_for_function("document.body.innerText.includes('li gen 4 an')", timeout=15000)

    emergency = whatsapp(stack, "yo kenbe m, m pa ka soti")  # the fast path, inside the case
    assert "911" in emergency

    # 25 hours without a word from the person: WhatsApp's window has closed.
    with session_scope(stack.database_url) as session:
        stored = session.get(Case, case.id)
        stored.last_person_message_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=25)
    page.goto(f"{stack.gateway}/admin/cases/{case.id}")
    assert "More than 24 hours since the person wrote" in page.content()  # warned before
    before = len(twilio.messages())
    after_send = answer_from_the_inbox(page, stack, case.id, "Nou la toujou. Ekri nou.")
    assert "approved template" in after_send
    shot(page, "case-template")
    sent = wait_for(lambda: twilio.messages()[before:], "the template at Twilio")
    assert sent[0]["ContentSid"] == TEMPLATE and "Nou la toujou" in sent[0]["ContentVariables"]
    assert "Body" not in sent[0]

    page.select_option("select[name=outcome]", "answered")
    with page.expect_navigation():  # the page the form leads to, loaded
        page.locator("button", has_text="Close the case").click()
    assert "assistant answers the person again" in page.content()
    page.close()
    assert the_case(stack, "whatsapp").status == "closed"

    back = whatsapp(stack, "kote m ka dòmi aswè a?")  # the bot answers again
    assert back and "Lakay Panama" not in back


def test_telegram_person_gets_the_workers_answer_in_their_chat(stack, telegram, browser) -> None:  # noqa: ANN001
    chat_id = next(_chats)
    telegram_says(stack, telegram, chat_id, "mwen nan Panama")
    told = telegram_says(stack, telegram, chat_id, "mwen vle pale ak yon moun")
    assert "Lakay Panama" in told
    assert telegram_says(stack, telegram, chat_id, "m bezwen yon avoka") == ""  # silent
    case = the_case(stack, "telegram")
    page = sign_in(browser, stack)
    before = len(telegram.calls("sendMessage"))
    answer_from_the_inbox(page, stack, case.id, "Bonjou! Nou ka ede w jwenn yon avoka.")
    sent = wait_for(
        lambda: [m for m in telegram.calls("sendMessage")[before:] if m["chat_id"] == str(chat_id)],
        "the worker's answer at the Bot API",
    )
    assert plain(sent[0]["text"]) == "Bonjou! Nou ka ede w jwenn yon avoka."
    page.close()


def test_machine_translation_helps_a_worker_who_reads_no_kreyol(stack, twilio, browser, tmp_path):  # noqa: ANN001
    """Tiny real packages (random weights: gibberish words, real plumbing) for ht→en and
    en→ht, installed while the stack runs, as a partner does with `translate install`."""
    packages = Path(stack.stack.env["TRANSLATION_PACKAGES_DIR"])
    translator = Translator(packages)
    for source, target in (("ht", "en"), ("en", "ht")):
        translator.install(
            tiny_models.build_argosmodel(tmp_path / f"{source}_{target}.argosmodel", source, target)
        )
    person = "whatsapp:+50760005678"
    try:
        whatsapp(stack, "bonjou, mwen nan Panama", sender=person)
        whatsapp(stack, "mwen vle pale ak yon moun", sender=person)
        assert whatsapp(stack, "mwen pa jwenn kote pou m dòmi ak pitit mwen", sender=person) == ""
        case = the_case(stack, "whatsapp")
        page = sign_in(browser, stack)
        page.goto(f"{stack.gateway}/admin/cases/{case.id}")
        with page.expect_navigation():  # the page the form leads to, loaded
            page.locator("button", has_text="Claim this case").click()
        content = page.content()
        assert "mwen pa jwenn kote pou m dòmi" in content  # the original, always
        assert "Machine translation" in content
        page.fill("#reply-text", "We have a place for you and your child tonight")
        with page.expect_navigation():  # the page the form leads to, loaded
            page.locator("button", has_text="Machine-translate into Kreyòl").click()
        assert "read it and correct it before you send it" in page.content()
        machine_text = page.input_value("#reply-text")
        assert machine_text and machine_text != "We have a place for you and your child tonight"
        shot(page, "case-machine-translation")
        before = len(twilio.messages())
        with page.expect_navigation():  # the page the form leads to, loaded
            page.locator("button", has_text="Send to the person").click()
        sent = wait_for(lambda: twilio.messages()[before:], "the translated answer at Twilio")
        assert sent[0]["To"] == person and sent[0]["Body"] == machine_text
        assert "Sent as a machine translation of" in page.content()
        page.close()
    finally:
        shutil.rmtree(packages, ignore_errors=True)
        packages.mkdir()
