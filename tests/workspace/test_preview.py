"""The editor's channel preview: the same card the assistant sends, cut and counted by each
channel's own renderer, never a copy of their rules; and safe HTML whatever the text holds."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.channels.telegram.render import MAX_TEXT_CHARS
from bot.channels.whatsapp.render import BODY_LIMIT, TEMPLATE_BODY_LIMIT
from bot.config import REPO_ROOT
from bot.content.schema import BODY_MAX_CHARS
from bot.languages import LanguageTable
from bot.nlg import Audience, ResponseGenerator
from bot.phrases import Phrasebook
from bot.places import load_gazetteer
from bot.store.models import Account, ContentItem, ContentRevision
from bot.workspace import revisions
from bot.workspace.pages import PREFIX
from bot.workspace.preview import Draft, Previewer
from tests.workspace.conftest import WorkspaceUnderTest
from tests.workspace.test_items import edit, editor_fields, give, item_id

# A long Kreyòl text: the Panama trafficking card's advice, and more of it (about 2,400
# characters, more than one WhatsApp message of 1,600 and less than one Telegram message).
PARAGRAPH = (
    "Si yon moun pran paspò ou oswa li fòse ou travay, rele *104* oswa *911*. "
    "Ou ka rele tou nan *+507 512-2222*. Pa peye pèsonn pou papye: èd la gratis. "
    "Kenbe yon foto dokiman ou yo nan telefòn ou, epi voye yon kopi bay fanmi ou."
)
LONG_KREYOL = "\n\n".join([f"*Pati {n}:* {PARAGRAPH}" for n in range(1, 11)])
SOURCE = {"title": "Minseg Panama – liy 104", "url": "https://www.minseg.gob.pa/"}


@pytest.fixture
def previewer(languages: LanguageTable) -> Previewer:
    phrases = Phrasebook(REPO_ROOT / "translations", languages)
    places = load_gazetteer(REPO_ROOT / "content" / "places" / "gazetteer.yml")
    return Previewer(phrases, languages, places, {})


def _item(ws: WorkspaceUnderTest, session, topic: str = "trafficking", country: str = "PA"):  # noqa: ANN001, ANN202
    return session.get(ContentItem, item_id(ws, topic, country))


def _fragment(ws: WorkspaceUnderTest, client, item: int, **changes: str) -> str:  # noqa: ANN001
    fields = {**editor_fields(client.get(f"{PREFIX}/items/{item}/ht/edit").text), **changes}
    response = client.post(f"{PREFIX}/preview?item={item}&language=ht", data=fields)
    assert response.status_code == 200, response.text
    return response.text


def test_a_long_kreyol_text_is_two_whatsapp_messages_and_one_telegram_message(
    ws: WorkspaceUnderTest, previewer: Previewer
) -> None:
    assert BODY_LIMIT < len(LONG_KREYOL) < MAX_TEXT_CHARS
    with ws.sessions() as session:
        draft = Draft("Trafik moun", LONG_KREYOL, [], [SOURCE])
        preview = previewer.preview(session, _item(ws, session), "ht", draft)
    whatsapp, telegram, webchat = preview.channels
    assert (whatsapp.name, telegram.name, webchat.name) == ("whatsapp", "telegram", "webchat")
    assert {part.limit for part in whatsapp.parts} == {BODY_LIMIT}
    assert telegram.parts[0].limit == MAX_TEXT_CHARS
    assert whatsapp.messages == 2 and not whatsapp.over_limit
    assert all(part.length <= BODY_LIMIT for part in whatsapp.parts)
    assert "(1/2)" in whatsapp.parts[0].html and "(2/2)" in whatsapp.parts[1].html
    assert telegram.messages == 1 and webchat.messages == 1 and webchat.parts[0].limit is None
    # The content rule of bot/content/schema.py: body + source line within one phone screen.
    assert preview.sent_length > BODY_MAX_CHARS and preview.too_long


def test_the_counts_reach_the_editor_page_and_the_live_fragment(ws: WorkspaceUnderTest) -> None:
    item = item_id(ws)
    give(ws, item)
    client = ws.sign_in(ws.account("editor"))
    fragment = _fragment(ws, client, item, body=LONG_KREYOL)
    assert "<html" not in fragment  # a fragment for editor.js, not a page
    assert 'data-channel="whatsapp" data-messages="2"' in fragment
    assert 'data-channel="telegram" data-messages="1"' in fragment
    lengths = [int(n) for n in re.findall(r'data-length="(\d+)"', fragment)]
    assert len(lengths) == 4 and all(n <= BODY_LIMIT for n in lengths[:2])
    assert f"of {BODY_LIMIT} characters" in fragment and "Message 2 of 2" in fragment
    assert "Too long to read on a phone screen" in fragment
    # The same preview is on the page the "Preview" button shows, without JavaScript.
    page = edit(client, item, "ht", body=LONG_KREYOL, action="preview").text
    assert 'data-channel="whatsapp" data-messages="2"' in page and "editor.js" in page
    short = _fragment(ws, client, item, body="Rele *911*.")
    assert 'data-channel="whatsapp" data-messages="1"' in short
    assert "Too long" not in short


def test_the_preview_is_the_card_the_assistant_sends_once_published(
    ws: WorkspaceUnderTest, previewer: Previewer, languages: LanguageTable
) -> None:
    item = item_id(ws)
    give(ws, item)
    editor = ws.sign_in(ws.account("editor"))
    reviewer = ws.account("reviewer")
    body = "Rele *104* pou denonse trafik moun.\n- Si ou an danje, rele *911*."
    assert edit(editor, item, "ht", body=body, action="submit").status_code == 303
    with ws.sessions() as session, session.begin():
        head = revisions.head(session, item, "ht")
        account = session.scalar(select(Account).where(Account.username == reviewer))
        assert head is not None and account is not None
        revisions.publish(session, account, head, ws.clock(), confirm_differences=True)
    with ws.sessions() as session:
        head = revisions.head(session, item, "ht")
        assert isinstance(head, ContentRevision)
        draft = Draft(head.title, head.body, head.options, head.sources)
        previewed = previewer.reply(session, head.item, "ht", draft)
    phrases = Phrasebook(REPO_ROOT / "translations", languages)
    places = load_gazetteer(REPO_ROOT / "content" / "places" / "gazetteer.yml")
    sent = ResponseGenerator(ws.sessions, phrases, languages, places).generate(
        "utter_trafficking", Audience("ht", "PA"), {}
    )
    assert previewed.text == sent.text and previewed.buttons == sent.buttons
    assert body in sent.text


def test_numbers_and_links_are_marked_on_every_channel(
    ws: WorkspaceUnderTest, previewer: Previewer
) -> None:
    with ws.sessions() as session:
        draft = Draft("Trafik moun", "Rele *+507 512-2222* oswa *911*.", [], [SOURCE])
        preview = previewer.preview(session, _item(ws, session), "ht", draft)
    for channel in preview.channels:
        shown = "".join(part.html for part in channel.parts)
        assert '<mark class="fact fact-phone">+507 512-2222</mark>' in shown, channel.name
        assert '<mark class="fact fact-phone">911</mark>' in shown, channel.name
        assert '<mark class="fact fact-url">https://www.minseg.gob.pa/</mark>' in shown, (
            channel.name
        )
    webchat = preview.channels[2].parts[0].html
    assert 'href="https://www.minseg.gob.pa/"' in webchat  # marks never enter an attribute


def test_the_fragment_escapes_whatever_html_the_text_holds(ws: WorkspaceUnderTest) -> None:
    item = item_id(ws)
    give(ws, item)
    client = ws.sign_in(ws.account("editor"))
    fragment = _fragment(
        ws,
        client,
        item,
        body='<script>alert("x")</script> & <b onmouseover="x">Rele 911</b>',
        **{"options-0-title": "<img src=x onerror=alert(1)>", "sources-0-title": "<i>IOM</i>"},
    )
    assert "<script" not in fragment and "<img" not in fragment and "<i>" not in fragment
    assert 'onmouseover="x">' not in fragment
    assert "&lt;script&gt;" in fragment and "&lt;img src=x onerror=alert(1)&gt;" in fragment


def test_the_fragment_needs_the_right_to_edit_and_an_item_of_ones_own(
    ws: WorkspaceUnderTest,
) -> None:
    item = item_id(ws)
    give(ws, item)
    editor = ws.sign_in(ws.account("editor"))
    fields = editor_fields(editor.get(f"{PREFIX}/items/{item}/ht/edit").text)
    reviewer = ws.sign_in(ws.account("reviewer"))
    page = reviewer.get(f"{PREFIX}/items/{item}").text
    reviewer_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert reviewer_token
    data = {**fields, "csrf_token": reviewer_token.group(1)}
    assert reviewer.post(f"{PREFIX}/preview?item={item}&language=ht", data=data).status_code == 403
    assert editor.post(f"{PREFIX}/preview?language=ht", data=fields).status_code == 404
    assert editor.post(f"{PREFIX}/preview?item={item}&language=es", data=fields).status_code == 404


def test_whatsapp_buttons_sent_as_a_content_template_are_shown_as_buttons(
    ws: WorkspaceUnderTest, languages: LanguageTable
) -> None:
    phrases = Phrasebook(REPO_ROOT / "translations", languages)
    places = load_gazetteer(REPO_ROOT / "content" / "places" / "gazetteer.yml")
    with_templates = Previewer(phrases, languages, places, {"quick-reply:3": "HX0001"})
    with ws.sessions() as session:
        draft = Draft("Trafik moun", "Rele *911*.", [], [SOURCE])
        whatsapp = with_templates.preview(session, _item(ws, session), "ht", draft).channels[0]
    assert [part.limit for part in whatsapp.parts] == [TEMPLATE_BODY_LIMIT]
    # The self-check, a person and "Share this" (the general item's Kreyòl share text).
    assert whatsapp.buttons == ["Tcheke yon travay", "Pale ak yon moun", "Pataje sa a"]
    assert whatsapp.note is None
