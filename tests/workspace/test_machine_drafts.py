"""Machine drafts on an item's page (issue 17, item 3), over HTTP, with tiny real packages
(scripts/translation/tiny_models.py: random weights, so the words are gibberish and the
plumbing real): a missing or outdated language filled as a draft marked with the engine,
model and version; the assistant keeps sending the published text; a draft nobody read
cannot go to review; no package for the pair and a lost number each say so, never a 500."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.content.lookup import find_variant
from bot.content.shelf import Shelf
from bot.languages import LanguageTable
from bot.store.models import AuditEntry, ContentItem, ContentRevision
from bot.translation import Translator
from bot.workspace import revisions
from bot.workspace.pages import PREFIX
from scripts.translation import tiny_models
from tests.workspace.conftest import WorkspaceUnderTest
from tests.workspace.test_dashboard import ORG, SOURCE, _account, _take_items

ROLES = ["admin", "editor", "translator", "reviewer", "caseworker"]
MAY_TRANSLATE = {"admin", "editor", "translator"}
# Plain words: the tiny random model cannot keep a number or a bold run (that is SpanLost's test).
ENGLISH_TITLE = "Shelter tonight"
ENGLISH_BODY = "Go to the shelter near the church.\n\nAsk for help at the door."


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return tiny_models.build_all(tmp_path_factory.mktemp("machine-drafts"))


def with_every_role(ws: WorkspaceUnderTest) -> WorkspaceUnderTest:
    """An account of each role in the organisation, named admin-1, editor-1..."""
    for role in ROLES:
        ws.account(role, org=ORG, username=f"{role}-1")
    return ws


@pytest.fixture
def team(ws: WorkspaceUnderTest) -> WorkspaceUnderTest:
    return with_every_role(ws)


def install(ws: WorkspaceUnderTest, *packages: Path) -> None:
    translator = Translator(ws.settings.translation_packages_dir)
    for package in packages:
        translator.install(package)


def publish(
    ws: WorkspaceUnderTest,
    languages: LanguageTable,
    item_id: int,
    language: str = "en",
    title: str = ENGLISH_TITLE,
    body: str = ENGLISH_BODY,
) -> None:
    """The editor (or a translator) writes one language of the item; a reviewer publishes it."""
    with ws.sessions() as session, session.begin():
        author = _account(session, "editor-1" if language == "en" else "translator-1")
        current = revisions.head(session, item_id, language)
        draft = revisions.save_draft(
            session,
            author,
            session.get(ContentItem, item_id),
            language,
            languages=languages,
            base_number=current.number if current else None,
            title=title,
            body=body,
            options=[],
            sources=SOURCE,
            note=None,
            now=ws.clock.now,
        )
        revisions.submit(session, author, draft, ws.clock.now)
        revisions.publish(
            session, _account(session, "reviewer-1"), draft, ws.clock.now, confirm_differences=True
        )


def outdated_item(ws: WorkspaceUnderTest, languages: LanguageTable) -> int:
    """An item of the organisation whose English was published again: fr and ht outdated."""
    (item_id,) = _take_items(ws, 1)
    publish(ws, languages, item_id)
    return item_id


def ask(ws: WorkspaceUnderTest, username: str, item_id: int, language: str):  # noqa: ANN201
    client = ws.sign_in(username)
    return client, ws.post(
        client, f"/items/{item_id}/{language}/machine-draft", f"/items/{item_id}"
    )


def french_head(ws: WorkspaceUnderTest, item_id: int) -> ContentRevision:
    with ws.sessions() as session:
        head = revisions.head(session, item_id, "fr")
        assert head is not None
        session.expunge(head)
        return head


def sent_in_french(ws: WorkspaceUnderTest, item_id: int) -> tuple[str, str]:
    """What the assistant sends a French speaker for this item (bot/content/lookup.py)."""
    with ws.sessions() as session:
        item = session.get(ContentItem, item_id)
        variant = find_variant(Shelf.load(session), item.topic_name, ["fr"], item.country)
        assert variant is not None and variant.language == "fr"
        return variant.title, variant.body


def test_a_machine_draft_is_a_marked_draft_and_people_keep_the_published_text(
    team: WorkspaceUnderTest, languages: LanguageTable, packages: dict[str, Path]
) -> None:
    install(team, packages["en_fr"])
    item_id = outdated_item(team, languages)
    before = sent_in_french(team, item_id)
    expected = Translator(team.settings.translation_packages_dir).translate(
        ENGLISH_BODY, "en", "fr"
    )

    client, answer = ask(team, "translator-1", item_id, "fr")

    assert answer.status_code == 303, answer.text
    head = french_head(team, item_id)
    assert head.status == "draft"
    assert (head.machine_engine, head.machine_model, head.machine_version) == (
        expected.engine,
        "translate-en_fr-0_1",
        "0.1",
    )
    assert head.machine_number == head.number
    assert head.body == expected.text
    assert head.sources == SOURCE, "the source text's sources come with the draft"
    page = client.get(f"{PREFIX}/items/{item_id}").text
    assert (
        f"Machine draft: {expected.engine}, translate-en_fr-0_1, version 0.1 — "
        "a translator must check it."
    ) in page
    assert "A machine draft is saved." in client.get(answer.headers["location"]).text
    assert sent_in_french(team, item_id) == before, "the assistant keeps the published text"
    with team.sessions() as session:
        line = session.scalars(select(AuditEntry).where(AuditEntry.action == "machine_draft")).one()
        assert line.target == f"item {item_id} fr r{head.number}"


def test_nobody_sends_the_machines_words_for_review_unread(
    team: WorkspaceUnderTest, languages: LanguageTable, packages: dict[str, Path]
) -> None:
    install(team, packages["en_fr"])
    item_id = outdated_item(team, languages)
    client, _answer = ask(team, "translator-1", item_id, "fr")
    head = french_head(team, item_id)
    page = client.get(f"{PREFIX}/items/{item_id}").text
    assert f"/items/{item_id}/fr/submit" not in page, "no 'Send for review' on an unread draft"

    refused = team.post(
        client, f"/items/{item_id}/fr/submit", f"/items/{item_id}", number=str(head.number)
    )
    assert refused.status_code == 409
    assert "machine draft nobody has read yet" in refused.text
    assert french_head(team, item_id).status == "draft"


def test_the_translators_edit_goes_to_review_marked_and_people_get_it_once_published(
    team: WorkspaceUnderTest, languages: LanguageTable, packages: dict[str, Path]
) -> None:
    install(team, packages["en_fr"])
    item_id = outdated_item(team, languages)
    translator, _answer = ask(team, "translator-1", item_id, "fr")
    machine = french_head(team, item_id)
    corrected = "Allez au refuge près de l'église.\n\nDemandez de l'aide à la porte."

    saved = team.post(
        translator,
        f"/items/{item_id}/fr/edit",
        f"/items/{item_id}/fr/edit",
        title="Refuge ce soir",
        body=corrected,
        base_number=str(machine.number),
        **{"sources-0-title": SOURCE[0]["title"], "sources-0-url": SOURCE[0]["url"]},
        action="submit",
    )

    assert saved.status_code == 303, saved.text
    edited = french_head(team, item_id)
    assert (edited.status, edited.machine_number) == ("in_review", machine.number)
    reviewer = team.sign_in("reviewer-1")
    mark = f"Edited by a person from machine draft version {machine.number} ("
    assert mark in reviewer.get(f"{PREFIX}/review").text, "the queue says where it came from"
    assert mark in reviewer.get(f"{PREFIX}/review/{edited.id}").text
    assert sent_in_french(team, item_id)[1] != corrected, "still the old text in review"

    published = team.post(
        reviewer, f"/review/{edited.id}/publish", f"/review/{edited.id}", confirm_differences="y"
    )

    assert published.status_code == 303, published.text
    assert sent_in_french(team, item_id) == ("Refuge ce soir", corrected)


@pytest.mark.parametrize("role", ROLES)
def test_only_the_roles_that_write_translations_may_ask_for_a_machine_draft(
    team: WorkspaceUnderTest, languages: LanguageTable, packages: dict[str, Path], role: str
) -> None:
    install(team, packages["en_fr"])
    item_id = outdated_item(team, languages)
    client, answer = ask(team, f"{role}-1", item_id, "fr")
    page = client.get(f"{PREFIX}/items/{item_id}").text
    if role in MAY_TRANSLATE:
        assert answer.status_code == 303
        assert french_head(team, item_id).machine_engine is not None
    else:
        assert answer.status_code == 403
        assert french_head(team, item_id).machine_engine is None
        assert "Draft a machine translation" not in page


def test_a_form_without_its_token_is_refused(
    team: WorkspaceUnderTest, languages: LanguageTable, packages: dict[str, Path]
) -> None:
    install(team, packages["en_fr"])
    item_id = outdated_item(team, languages)
    client = team.sign_in("translator-1")
    answer = client.post(f"{PREFIX}/items/{item_id}/fr/machine-draft", follow_redirects=False)
    assert answer.status_code == 400
    assert french_head(team, item_id).machine_engine is None


def test_without_a_package_for_the_pair_the_item_goes_to_the_translators_with_a_message(
    team: WorkspaceUnderTest, languages: LanguageTable, packages: dict[str, Path]
) -> None:
    install(team, packages["fr_en"])  # a package, but none into Kreyòl, even through English
    item_id = outdated_item(team, languages)
    before = revisions.head

    client, answer = ask(team, "translator-1", item_id, "ht")

    assert answer.status_code == 200
    assert (
        f"No machine translation from {languages.names['en']} to {languages.names['ht']} is "
        "installed; a translator writes it."
    ) in answer.text.replace("&#39;", "'")
    assert "languages missing or outdated, for a translator" in answer.text
    with team.sessions() as session:
        assert before(session, item_id, "ht").machine_engine is None, "no draft was made"
        assert session.scalars(
            select(AuditEntry.detail).where(AuditEntry.action == "machine_draft_unavailable")
        ).all() == ["no pair en->ht"]
    dashboard = client.get(f"{PREFIX}/").text
    assert f'href="/admin/items/{item_id}"' in dashboard and "outdated" in dashboard


def test_a_draft_that_would_lose_a_number_or_a_name_is_not_made(
    team: WorkspaceUnderTest, languages: LanguageTable, packages: dict[str, Path]
) -> None:
    install(team, packages["en_fr"])
    (item_id,) = _take_items(team, 1)
    publish(team, languages, item_id, body="Call *Cruz Roja* on 911 or write to help@example.org.")

    _client, answer = ask(team, "translator-1", item_id, "fr")

    assert answer.status_code == 422
    assert "There is no machine draft: the translation would have lost" in answer.text
    assert "A translator writes this text." in answer.text
    assert french_head(team, item_id).machine_engine is None


def test_an_up_to_date_language_is_not_replaced_by_a_machine_draft(
    team: WorkspaceUnderTest, languages: LanguageTable, packages: dict[str, Path]
) -> None:
    install(team, packages["en_fr"])
    (item_id,) = _take_items(team, 1)  # seed nobody changed: every language current
    client, answer = ask(team, "translator-1", item_id, "fr")
    assert answer.status_code == 409
    assert "Draft a machine translation" not in client.get(f"{PREFIX}/items/{item_id}").text


def test_a_persons_draft_in_progress_is_not_replaced(
    team: WorkspaceUnderTest, languages: LanguageTable, packages: dict[str, Path]
) -> None:
    install(team, packages["en_fr"])
    item_id = outdated_item(team, languages)
    with team.sessions() as session, session.begin():
        current = revisions.head(session, item_id, "fr")
        revisions.save_draft(
            session,
            _account(session, "translator-1"),
            session.get(ContentItem, item_id),
            "fr",
            languages=languages,
            base_number=current.number,
            title="Refuge",
            body="Un texte en cours.",
            options=[],
            sources=SOURCE,
            note=None,
            now=team.clock.now,
        )
    _client, answer = ask(team, "editor-1", item_id, "fr")
    assert answer.status_code == 409
    assert "somebody is already writing the fr text" in answer.text
    assert french_head(team, item_id).body == "Un texte en cours."
