"""An organisation's glossary: written as lines on /admin/glossary, read back the same,
refused with the line that is wrong, and used by the machine drafts of its items.

Over HTTP, as a partner uses it: every role x every action of the page, CSRF, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.languages import LanguageTable
from bot.store.models import Organisation
from bot.translation import Translator, glossary_text
from bot.translation.glossary_text import GlossaryLineError
from bot.workspace.pages import PREFIX
from tests.workspace.conftest import WorkspaceUnderTest, csrf_token
from tests.workspace.test_machine_drafts import (
    french_head,
    install,
    outdated_item,
    packages,  # noqa: F401 - the module's fixture of tiny packages
    publish,
    with_every_role,
)

ROLES = ["admin", "editor", "translator", "reviewer", "caseworker"]
ORG = "Panama Aid"
LINES = "Lakay Panama\nCruz Roja = fr: Croix-Rouge (Cruz Roja); ht: Kwa Wouj (Cruz Roja)"
CODES = ["en", "fr", "ht"]


def _glossary(ws: WorkspaceUnderTest) -> dict:
    with ws.sessions() as session:
        return session.query(Organisation).filter_by(name=ORG).one().glossary or {}


def _save(client, text: str):  # noqa: ANN001, ANN202
    token = csrf_token(client.get(f"{PREFIX}/glossary").text)
    return client.post(
        f"{PREFIX}/glossary", data={"text": text, "csrf_token": token}, follow_redirects=False
    )


def test_lines_are_read_into_terms_and_written_back_the_same():
    terms = glossary_text.parse(f"# our names\n{LINES}\n\n", CODES)
    assert terms == {
        "Lakay Panama": {},
        "Cruz Roja": {"fr": "Croix-Rouge (Cruz Roja)", "ht": "Kwa Wouj (Cruz Roja)"},
    }
    assert glossary_text.render(terms) == LINES


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("COMAR\n= fr: x", 2, "no_term"),
        ("Cruz Roja = Croix-Rouge", 1, "no_language"),
        ("Cruz Roja = de: Rotes Kreuz", 1, "unknown_language"),
        ("COMAR\nCOMAR", 2, "twice"),
    ],
)
def test_a_wrong_line_is_named(text: str, line: int, reason: str):
    with pytest.raises(GlossaryLineError) as refused:
        glossary_text.parse(text, CODES)
    assert (refused.value.line, refused.value.reason) == (line, reason)


@pytest.mark.parametrize("role", ROLES)
def test_who_may_read_and_who_may_change_the_glossary(ws: WorkspaceUnderTest, role: str):
    client = ws.sign_in(ws.account(role, org=ORG))
    page = client.get(f"{PREFIX}/glossary")
    answer = _save(client, LINES)
    may = role in ("admin", "editor", "translator")
    assert (page.status_code, answer.status_code) == (200, 303 if may else 403)
    assert ("Lakay Panama" in _glossary(ws)) is may
    assert ("<textarea" in page.text) is may
    assert "Cruz Roja" in page.text  # the shared terms are listed for everyone


def test_a_wrong_line_is_refused_with_its_number_and_nothing_is_lost(ws: WorkspaceUnderTest):
    client = ws.sign_in(ws.account("translator", org=ORG))
    assert _save(client, "Lakay Panama").status_code == 303
    answer = _save(client, "Lakay Panama\nCruz Roja = de: Rotes Kreuz")
    assert answer.status_code == 400
    assert "Line 2: de is not a language of the assistant." in answer.text
    assert "Rotes Kreuz" in answer.text  # what was written stays in the box
    assert _glossary(ws) == {"Lakay Panama": {}}


def test_a_post_without_its_token_is_refused(ws: WorkspaceUnderTest):
    client = ws.sign_in(ws.account("admin", org=ORG))
    client.get(f"{PREFIX}/glossary")
    assert client.post(f"{PREFIX}/glossary", data={"text": LINES}).status_code == 400
    assert _glossary(ws) == {}


class ShoutingModel:
    """Stands in for the neural model only (the tiny one drops the masked spans): upper-cases
    the words it is given, so the real routing, masking and restoring around it show."""

    def translate(self, words: str) -> str:
        return words.upper()


def test_machine_drafts_of_the_organisation_keep_its_terms(
    ws: WorkspaceUnderTest,
    languages: LanguageTable,
    packages: dict[str, Path],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setattr(Translator, "_translation", lambda self, pair: ShoutingModel())
    team = with_every_role(ws)
    install(team, packages["en_fr"])
    item_id = outdated_item(team, languages)
    publish(team, languages, item_id, body="Ask Lakay Panama or Cruz Roja at the border.")
    translator = team.sign_in("translator-1")
    assert _save(translator, LINES).status_code == 303
    answer = team.post(translator, f"/items/{item_id}/fr/machine-draft", f"/items/{item_id}")
    assert answer.status_code == 303, answer.text
    assert (
        french_head(team, item_id).body
        == "ASK Lakay Panama OR Croix-Rouge (Cruz Roja) AT THE BORDER."
    )


def test_another_organisations_terms_are_not_used(ws: WorkspaceUnderTest):
    other = ws.sign_in(ws.account("admin", org="Kay Fanmi"))
    assert _save(other, "Fondasyon Kay Fanmi").status_code == 303
    mine = ws.sign_in(ws.account("translator", org=ORG))
    assert "Fondasyon Kay Fanmi" not in mine.get(f"{PREFIX}/glossary").text
    assert _glossary(ws) == {}
