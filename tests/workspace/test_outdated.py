"""Outdated translations (issue 17, item 5), over HTTP: a new publication of the source
language flags the other languages outdated on the dashboard, on the item's page and in the
PO and XLIFF exports, until a translator presses "Still correct" (the text people get does
not change) or a translation written from the new source is published."""

from __future__ import annotations

import polib
import pytest
from sqlalchemy import select

from bot.languages import LanguageTable
from bot.store.models import AuditEntry, ContentItem
from bot.workspace import revisions, transfer
from bot.workspace.pages import PREFIX
from tests.workspace.conftest import WorkspaceUnderTest
from tests.workspace.test_dashboard import _take_items
from tests.workspace.test_machine_drafts import (
    MAY_TRANSLATE,
    ROLES,
    outdated_item,
    publish,
    with_every_role,
)


@pytest.fixture
def crew(ws: WorkspaceUnderTest) -> WorkspaceUnderTest:
    return with_every_role(ws)


def outdated_on_dashboard(ws: WorkspaceUnderTest, item_id: int) -> list[str]:
    """The languages the dashboard lists as outdated for this item, by their names."""
    page = ws.sign_in("reviewer-1").get(f"{PREFIX}/").text
    start = page.find(f'href="/admin/items/{item_id}"', page.find('id="languages"'))
    if start < 0:
        return []
    row = page[start : page.find("</ul>", start)]
    return [part.split("</strong>")[0] for part in row.split("<strong>")[1:] if "outdated" in part]


def still_correct(ws: WorkspaceUnderTest, username: str, item_id: int, language: str, version: int):  # noqa: ANN201
    client = ws.sign_in(username)
    return ws.post(
        client,
        f"/items/{item_id}/{language}/still-correct",
        f"/items/{item_id}",
        source_version=str(version),
    )


def exported_po(ws: WorkspaceUnderTest, language: str) -> polib.POFile:
    client = ws.sign_in("translator-1")
    answer = client.get(f"{PREFIX}/transfer/export", params={"what": "po", "language": language})
    assert answer.status_code == 200
    return polib.pofile(answer.text)


def test_a_new_source_flags_the_translations_until_a_translator_confirms_them(
    crew: WorkspaceUnderTest, languages: LanguageTable
) -> None:
    (item_id,) = _take_items(crew, 1)
    assert outdated_on_dashboard(crew, item_id) == []

    publish(crew, languages, item_id)  # English version 2

    names = languages.names
    assert outdated_on_dashboard(crew, item_id) == [names["fr"], names["ht"]]
    page = crew.sign_in("translator-1").get(f"{PREFIX}/items/{item_id}").text
    assert page.count("item-outdated") == 2 and "Still correct" in page

    confirmed = still_correct(crew, "translator-1", item_id, "fr", 2)

    assert confirmed.status_code == 303
    assert outdated_on_dashboard(crew, item_id) == [names["ht"]]
    with crew.sessions() as session:
        line = session.scalars(select(AuditEntry).where(AuditEntry.action == "confirm")).one()
        assert line.detail == "still correct for r2"
        published = [
            r for r in revisions.history(session, item_id, "fr") if r.status == "published"
        ]
        assert [r.confirmed_source_number for r in published] == [2]

    publish(crew, languages, item_id, body="Go to the shelter.")  # English version 3

    assert outdated_on_dashboard(crew, item_id) == [names["fr"], names["ht"]]


def test_a_translation_published_from_the_new_source_is_no_longer_outdated(
    crew: WorkspaceUnderTest, languages: LanguageTable
) -> None:
    item_id = outdated_item(crew, languages)
    publish(crew, languages, item_id, "fr", "Refuge ce soir", "Allez au refuge.")
    assert outdated_on_dashboard(crew, item_id) == [languages.names["ht"]]


def test_the_po_and_xliff_exports_mark_an_outdated_translation_until_it_is_confirmed(
    crew: WorkspaceUnderTest, languages: LanguageTable
) -> None:
    item_id = outdated_item(crew, languages)
    with crew.sessions() as session:
        item = session.get(ContentItem, item_id)
        key = f"{item.topic_name}@{item.country or '*'}#body"

    entry = exported_po(crew, "fr").find(key, by="msgctxt")
    assert entry is not None and "fuzzy" in entry.flags and entry.msgstr
    assert transfer.OUTDATED_NOTE in " ".join(entry.comment.split())  # PO wraps comments
    xliff = crew.sign_in("translator-1").get(
        f"{PREFIX}/transfer/export", params={"what": "xliff", "language": "fr"}
    )
    assert 'category="outdated"' in xliff.text

    still_correct(crew, "translator-1", item_id, "fr", 2)

    entry = exported_po(crew, "fr").find(key, by="msgctxt")
    assert entry is not None and "fuzzy" not in entry.flags
    assert "Outdated" not in entry.comment


def test_a_confirmation_made_against_an_older_source_is_refused(
    crew: WorkspaceUnderTest, languages: LanguageTable
) -> None:
    item_id = outdated_item(crew, languages)  # English version 2
    publish(
        crew, languages, item_id, body="Go to the shelter."
    )  # version 3 while the page was open

    refused = still_correct(crew, "translator-1", item_id, "fr", 2)

    assert refused.status_code == 409
    assert "published again since you opened the page" in refused.text
    assert languages.names["fr"] in outdated_on_dashboard(crew, item_id)


def test_a_translation_that_is_up_to_date_cannot_be_confirmed(
    crew: WorkspaceUnderTest, languages: LanguageTable
) -> None:
    (item_id,) = _take_items(crew, 1)
    assert still_correct(crew, "translator-1", item_id, "fr", 1).status_code == 409


@pytest.mark.parametrize("role", ROLES)
def test_only_the_roles_that_write_translations_may_confirm_one(
    crew: WorkspaceUnderTest, languages: LanguageTable, role: str
) -> None:
    item_id = outdated_item(crew, languages)
    answer = still_correct(crew, f"{role}-1", item_id, "fr", 2)
    flagged = languages.names["fr"] in outdated_on_dashboard(crew, item_id)
    if role in MAY_TRANSLATE:
        assert (answer.status_code, flagged) == (303, False)
    else:
        assert (answer.status_code, flagged) == (403, True)
        page = crew.sign_in(f"{role}-1").get(f"{PREFIX}/items/{item_id}").text
        assert "still-correct" not in page
