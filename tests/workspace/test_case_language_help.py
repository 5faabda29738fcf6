"""Language help in the inbox (issue 15, item 4), with tiny real translation packages
(scripts/translation/tiny_models.py: random weights, so the words are gibberish and the
plumbing real): the person's messages shown machine-translated beside the original, the
worker's draft machine-translated into the person's language before sending, both marked;
a pair that is not installed says so and keeps the worker's text."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.handoff import cases
from bot.handoff.models import CaseMessage
from bot.translation import Translator
from bot.workspace.pages import PREFIX
from scripts.translation import tiny_models
from tests.workspace.test_cases_pages import (  # noqa: F401 - address_keys: an autouse fixture
    address_keys,
    claim_as,
    open_case,
    outbox,
    signed_in,
)

FRENCH = "Bonjour, je cherche mon fils et je ne sais pas quoi faire"
DRAFT = "Hello, a colleague will call you today"


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return tiny_models.build_all(tmp_path_factory.mktemp("case-translation"))


def install(ws, *packages: Path) -> None:  # noqa: ANN001 - the workspace under test
    translator = Translator(ws.settings.translation_packages_dir)
    for package in packages:
        translator.install(package)


def french_case(ws) -> int:  # noqa: ANN001
    case = open_case(ws, language="fr", address="whatsapp:+50761110000")
    with ws.sessions() as session:
        row = cases.open_case_for(session, case.pseudonym)
        cases.add_person_message(session, row, FRENCH, ws.clock())
        session.commit()
    return case.id


def person_messages(ws, case_id: int) -> list[CaseMessage]:  # noqa: ANN001
    with ws.sessions() as session:
        query = select(CaseMessage).where(
            CaseMessage.case_id == case_id, CaseMessage.author == "person"
        )
        return list(session.scalars(query))


def test_the_persons_messages_are_shown_machine_translated_beside_the_original(ws, packages):
    install(ws, packages["fr_en"])
    case_id = french_case(ws)
    client = signed_in(ws, "caseworker")
    page = client.get(f"{PREFIX}/cases/{case_id}").text
    assert FRENCH in page, "the original is always shown"
    assert page.count("Machine translation") >= 1
    translated = [m for m in person_messages(ws, case_id) if m.text == FRENCH]
    assert translated[0].machine_translation_language == "en"
    assert translated[0].machine_translation and translated[0].machine_translation != FRENCH
    # Kept with the case: the poll shows the same translation without running the model.
    fragment = client.get(f"{PREFIX}/cases/{case_id}/fragment").text
    assert translated[0].machine_translation in fragment.replace("&#39;", "'")


def test_without_a_pair_nothing_is_translated_and_nothing_fails(ws):
    case_id = french_case(ws)
    client = signed_in(ws, "caseworker")
    page = client.get(f"{PREFIX}/cases/{case_id}").text
    assert FRENCH in page and "Machine translation" not in page
    assert all(m.machine_translation is None for m in person_messages(ws, case_id))


def test_the_workers_draft_is_machine_translated_checked_then_sent_with_the_original(ws, packages):
    install(ws, packages["en_fr"])
    case_id = french_case(ws)
    client = signed_in(ws, "caseworker")
    claim_as(ws, client, case_id)
    page = client.get(f"{PREFIX}/cases/{case_id}").text
    assert "Machine-translate into" in page

    drafted = ws.post(client, f"/cases/{case_id}/translate", f"/cases/{case_id}", text=DRAFT)
    assert drafted.status_code == 200
    assert "read it and correct it before you send it" in drafted.text
    assert f'name="original" type="hidden" value="{DRAFT}"' in drafted.text
    assert outbox(ws) == [], "translating sends nothing"
    machine_text = Translator(ws.settings.translation_packages_dir).translate(DRAFT, "en", "fr")
    assert machine_text.text in drafted.text.replace("&#39;", "'")

    sent = ws.post(
        client,
        f"/cases/{case_id}/reply",
        f"/cases/{case_id}",
        text=machine_text.text,
        original=DRAFT,
    )
    assert sent.status_code == 303
    [(_, _, payload)] = outbox(ws)
    assert payload["body"] == machine_text.text
    with ws.sessions() as session:
        answer = session.scalars(
            select(CaseMessage).where(
                CaseMessage.case_id == case_id, CaseMessage.author == "worker"
            )
        ).one()
        assert (answer.text, answer.machine_translation) == (machine_text.text, DRAFT)
    transcript = client.get(f"{PREFIX}/cases/{case_id}/fragment").text
    assert "Sent as a machine translation of" in transcript and DRAFT in transcript


def test_a_draft_with_no_pair_installed_keeps_the_text_and_says_why(ws):
    case_id = french_case(ws)
    client = signed_in(ws, "caseworker")
    claim_as(ws, client, case_id)
    assert "Machine-translate into" not in client.get(f"{PREFIX}/cases/{case_id}").text
    refused = ws.post(client, f"/cases/{case_id}/translate", f"/cases/{case_id}", text=DRAFT)
    assert refused.status_code == 409
    assert "No machine translation is installed for this pair" in refused.text
    assert DRAFT in refused.text
    assert outbox(ws) == []


def test_only_answering_roles_may_ask_for_a_draft(ws):
    case_id = french_case(ws)
    client = signed_in(ws, "editor")
    assert ws.post(client, f"/cases/{case_id}/translate", "/", text=DRAFT).status_code == 403
