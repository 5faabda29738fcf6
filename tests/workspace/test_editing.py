"""The editor over HTTP: saving never changes what people get, two editors cannot overwrite
each other, a refused text is shown back with nothing lost, buttons keep their payloads."""

from __future__ import annotations

from sqlalchemy import select

from bot.store.models import ContentRevision, ContentVariant, RevisionStatus
from bot.workspace.pages import PREFIX
from tests.workspace.conftest import WorkspaceUnderTest
from tests.workspace.test_items import edit, editor_fields, give, head_number, hidden, item_id


def _live(ws: WorkspaceUnderTest, item: int, language: str) -> tuple[object, ...]:
    with ws.sessions() as session:
        variant = session.scalar(
            select(ContentVariant).where(
                ContentVariant.item_id == item, ContentVariant.language == language
            )
        )
        assert variant is not None
        return (
            variant.title,
            variant.body,
            variant.version,
            variant.review_status,
            list(variant.options),
            [(s.title, s.url) for s in variant.sources],
        )


def _head(ws: WorkspaceUnderTest, item: int, language: str) -> ContentRevision:
    with ws.sessions() as session:
        revision = session.scalar(
            select(ContentRevision)
            .where(ContentRevision.item_id == item, ContentRevision.language == language)
            .order_by(ContentRevision.number.desc())
            .limit(1)
        )
        assert revision is not None
        session.expunge(revision)
        return revision


def test_saving_and_sending_for_review_leave_the_text_people_get_unchanged(
    ws: WorkspaceUnderTest,
) -> None:
    item = item_id(ws)
    give(ws, item)
    before = _live(ws, item, "ht")
    client = ws.sign_in(ws.account("editor"))
    saved = edit(client, item, "ht", body="Rele *104* oswa *911*.", note="Nimewo a chanje")
    assert saved.status_code == 303
    assert saved.headers["location"] == f"{PREFIX}/items/{item}?done=saved#lang-ht"
    assert _live(ws, item, "ht") == before
    draft = _head(ws, item, "ht")
    assert (draft.number, draft.base_number, draft.status) == (2, 1, RevisionStatus.DRAFT)
    assert draft.body == "Rele *104* oswa *911*." and draft.note == "Nimewo a chanje"
    sent = edit(client, item, "ht", body="Rele *104* oswa *911* kounye a.", action="submit")
    assert sent.status_code == 303 and "done=submitted" in sent.headers["location"]
    assert _live(ws, item, "ht") == before
    assert _head(ws, item, "ht").status == RevisionStatus.IN_REVIEW


def test_two_editors_saving_the_same_text_the_second_sees_the_first_ones_and_keeps_their_own(
    ws: WorkspaceUnderTest,
) -> None:
    item = item_id(ws)
    give(ws, item)
    jean = ws.sign_in(ws.account("editor", username="jean"))
    marie = ws.sign_in(ws.account("editor", username="marie"))
    # Both open the editor on the same version.
    forms = {}
    for name, client in (("jean", jean), ("marie", marie)):
        forms[name] = editor_fields(client.get(f"{PREFIX}/items/{item}/ht/edit").text)
    assert forms["jean"]["base_number"] == forms["marie"]["base_number"] == "1"
    path = f"{PREFIX}/items/{item}/ht/edit"
    first = jean.post(
        path,
        data={**forms["jean"], "body": "Jean: rele 104.", "action": "save"},
        follow_redirects=False,
    )
    assert first.status_code == 303
    ws.clock.advance(minutes=5)
    second = marie.post(path, data={**forms["marie"], "body": "Marie: rele 911.", "action": "save"})
    assert second.status_code == 409
    page = second.text
    assert "Someone else saved a newer version" in page
    assert "jean saved version 2" in page and "2 Dec 2026, 09:00 UTC" in page
    assert "Jean: rele <mark" in page  # their text, shown next to hers
    assert "Only in their version" in page and "Only in your text" in page
    again = editor_fields(page)
    assert again["body"] == "Marie: rele 911."  # her text is still in the form...
    assert again["base_number"] == "2"  # ...now based on his version
    assert head_number(ws, item, "ht") == 2 and _head(ws, item, "ht").body == "Jean: rele 104."
    # Saving again is her deliberate choice, over the version she has now seen.
    third = marie.post(path, data={**again, "action": "save"}, follow_redirects=False)
    assert third.status_code == 303
    assert _head(ws, item, "ht").body == "Marie: rele 911."


def test_a_refused_text_comes_back_with_the_reason_and_nothing_lost(
    ws: WorkspaceUnderTest,
) -> None:
    item = item_id(ws)
    give(ws, item)
    client = ws.sign_in(ws.account("editor"))
    body = "Rele 911.\nPa bay paspò ou."
    too_long = edit(client, item, "ht", title="A title much longer than the menu allows", body=body)
    assert too_long.status_code == 400
    assert "title: 40 characters, at most 24" in too_long.text
    kept = editor_fields(too_long.text)
    assert kept["body"] == body and kept["title"].startswith("A title much longer")
    assert head_number(ws, item, "ht") == 1  # nothing saved

    # "Save and send" is all or nothing: without a source, not even the draft is saved.
    no_source = {"sources-0-title": "", "sources-0-url": "", "sources-1-title": ""}
    no_source["sources-1-url"] = ""
    refused = edit(client, item, "ht", body=body, action="submit", **no_source)
    assert refused.status_code == 400 and "add at least one source" in refused.text
    assert editor_fields(refused.text)["body"] == body
    assert head_number(ws, item, "ht") == 1
    # A draft may lack its source: the editor is still looking for it.
    assert edit(client, item, "ht", body=body, **no_source).status_code == 303
    half = edit(client, item, "ht", body=body, **{"sources-0-title": "IOM"})
    assert half.status_code == 400 and "source 1 url" in half.text


def test_the_preview_button_shows_the_page_again_with_the_text_kept_and_saves_nothing(
    ws: WorkspaceUnderTest,
) -> None:
    item = item_id(ws)
    give(ws, item)
    client = ws.sign_in(ws.account("editor"))
    shown = edit(client, item, "ht", body="Rele *104*.\r\nPa bay paspò ou.", action="preview")
    assert shown.status_code == 200
    assert editor_fields(shown.text)["body"] == "Rele *104*.\nPa bay paspò ou."
    assert 'data-channel="whatsapp"' in shown.text and "<mark" in shown.text
    assert head_number(ws, item, "ht") == 1


def test_a_translation_shows_the_source_text_and_the_source_language_does_not(
    ws: WorkspaceUnderTest,
) -> None:
    item = item_id(ws)
    give(ws, item)
    client = ws.sign_in(ws.account("translator"))
    page = client.get(f"{PREFIX}/items/{item}/ht/edit").text
    assert "The English text, to translate from" in page
    assert page.index("to translate from") < page.index("data-preview-url")
    assert "In Panama, if someone keeps your passport" in page
    editor = ws.sign_in(ws.account("editor"))
    assert "to translate from" not in editor.get(f"{PREFIX}/items/{item}/en/edit").text
    refused = client.get(f"{PREFIX}/items/{item}/en/edit")
    assert refused.status_code == 403 and "Your role does not allow this" in refused.text


def test_buttons_keep_their_payloads_an_empty_title_removes_one_and_none_can_be_invented(
    ws: WorkspaceUnderTest,
) -> None:
    item = item_id(ws)
    give(ws, item)
    client = ws.sign_in(ws.account("editor"))
    fields = editor_fields(client.get(f"{PREFIX}/items/{item}/ht/edit").text)
    assert fields["options-0-payload"] == "/emergency"
    changed = edit(
        client,
        item,
        "ht",
        **{
            "options-0-title": "Ijans kounye a",
            "options-1-title": "",
            "options-2-payload": "/delete_my_data",  # not a button of this item
        },
    )
    assert changed.status_code == 303
    assert _head(ws, item, "ht").options == [{"title": "Ijans kounye a", "payload": "/emergency"}]


def test_a_language_with_no_text_starts_empty_with_the_source_languages_buttons(
    ws: WorkspaceUnderTest,
) -> None:
    client = ws.sign_in(ws.account("editor"))
    ws.post(client, "/items/new", "/items/new", topic="trafficking", country="BR")
    item = item_id(ws, "trafficking", "BR")
    english = edit(
        client, item, "en", title="Trafficking", body="Call 104.", **{"note": "first text"}
    )
    assert english.status_code == 303
    opened = client.get(f"{PREFIX}/items/{item}/ht/edit")
    assert opened.status_code == 200, opened.text
    page = opened.text
    fields = editor_fields(page)
    assert fields["title"] == "" and fields["body"] == "" and hidden(page, "base_number") == ""
    assert 'Call <mark class="fact fact-phone">104</mark>.' in page  # the source text
    assert edit(client, item, "ht", title="Trafik moun", body="Rele 104.").status_code == 303
    assert head_number(ws, item, "ht") == 1
