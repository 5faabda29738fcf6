""" "Share this" in the workspace (issue 18, item 3): the forwardable text is edited next to the
body, reviewed and published with it, outdates the translations like any change of the
source, is refused in plain words when it would not forward cleanly, is previewed as the
message people forward, and travels in YAML, PO and XLIFF files.

No new action: writing it is the edit (EDIT_SOURCE / TRANSLATE), sending it SUBMIT and making
it what people get PUBLISH, whose role x action table is tested in test_items.py and
test_review.py."""

from __future__ import annotations

import polib
import yaml
from sqlalchemy import select

from bot.content.io import dump_topic, topic_to_doc
from bot.content.schema import TopicDoc
from bot.languages import LanguageTable
from bot.store.models import ContentItem, ContentRevision, ContentVariant, Topic
from bot.workspace import dashboard, exchange
from bot.workspace.pages import PREFIX
from tests.workspace.conftest import WorkspaceUnderTest
from tests.workspace.test_items import edit, editor_fields, give, item_id

NEW = (
    "Warning signs of trafficking:\n"
    "- Someone keeps your passport.\n"
    "- A debt that never ends.\n"
    "IOM and UNHCR can help."
)


def _live_share(ws: WorkspaceUnderTest, item: int, language: str) -> str | None:
    with ws.sessions() as session:
        return session.scalar(
            select(ContentVariant.share_text).where(
                ContentVariant.item_id == item, ContentVariant.language == language
            )
        )


def _head_id(ws: WorkspaceUnderTest, item: int, language: str) -> int:
    with ws.sessions() as session:
        return session.scalar(  # type: ignore[return-value]
            select(ContentRevision.id)
            .where(ContentRevision.item_id == item, ContentRevision.language == language)
            .order_by(ContentRevision.number.desc())
            .limit(1)
        )


def _general_trafficking(ws: WorkspaceUnderTest) -> int:
    item = item_id(ws, "trafficking", None)
    give(ws, item)
    return item


def test_the_share_text_is_edited_beside_the_body_and_sent_only_once_published(
    ws: WorkspaceUnderTest, languages: LanguageTable
) -> None:
    item = _general_trafficking(ws)
    seed = _live_share(ws, item, "en")
    assert seed and seed.startswith("Warning signs of human trafficking")
    editor = ws.sign_in(ws.account("editor"))
    page = editor.get(f"{PREFIX}/items/{item}/en/edit")
    assert editor_fields(page.text)["share_text"] == seed  # next to the body, as it is now

    sent = edit(editor, item, "en", share_text=NEW, action="submit")
    assert sent.status_code == 303
    assert _live_share(ws, item, "en") == seed  # in review: people still get the old one

    reviewer = ws.sign_in(ws.account("reviewer"))
    revision = _head_id(ws, item, "en")
    review = reviewer.get(f"{PREFIX}/review/{revision}")
    assert "Share text" in review.text and "Someone keeps your passport." in review.text
    published = ws.post(reviewer, f"/review/{revision}/publish", "/review", confirm_differences="y")
    assert published.status_code == 303
    assert _live_share(ws, item, "en") == NEW

    # A new English source outdates the translations, the share text as much as the body.
    with ws.sessions() as session:
        gaps = dashboard.item_gaps(session, session.get(ContentItem, item), languages)
    assert {(gap.language, gap.kind) for gap in gaps} >= {("fr", "outdated"), ("ht", "outdated")}


def test_an_emptied_share_text_is_no_share_text(ws: WorkspaceUnderTest) -> None:
    item = _general_trafficking(ws)
    editor = ws.sign_in(ws.account("editor"))
    assert edit(editor, item, "en", share_text="  \n ", action="submit").status_code == 303
    with ws.sessions() as session:
        assert session.get(ContentRevision, _head_id(ws, item, "en")).share_text is None  # type: ignore[union-attr]


def test_a_share_text_that_would_not_forward_cleanly_is_refused_with_nothing_lost(
    ws: WorkspaceUnderTest,
) -> None:
    item = _general_trafficking(ws)
    editor = ws.sign_in(ws.account("editor"))
    starred = "Keep your *passport*.\nIOM can help."
    refused = edit(editor, item, "en", share_text=starred)
    assert refused.status_code == 400
    assert "share text: plain text only: remove *" in refused.text
    assert editor_fields(refused.text)["share_text"] == starred
    seven = "\n".join(f"Line {n}." for n in range(1, 8))
    too_many = edit(editor, item, "en", share_text=seven)
    assert too_many.status_code == 400 and "share text: 7 lines, at most 6" in too_many.text
    long = edit(editor, item, "en", share_text="words " * 83)
    assert long.status_code == 400 and "share text: 497 characters, at most 450" in long.text


def test_the_preview_shows_the_message_people_forward_with_the_link(
    ws: WorkspaceUnderTest,
) -> None:
    ws.settings.whatsapp_number = "+14155238886"  # read when the preview is first built
    item = item_id(ws, "children", None)
    give(ws, item)
    editor = ws.sign_in(ws.account("editor"))
    page = edit(editor, item, "ht", share_text="Pa janm bay pèsonn paspò ou.", action="preview")
    assert page.status_code == 200
    assert 'data-channel="share"' in page.text
    assert "Pa janm bay pèsonn paspò ou." in page.text
    assert "Ou gen kesyon sou wout la? Ekri asistan an: " in page.text  # the link line...
    assert "https://wa.me/14155238886?text=Bonjou" in page.text  # ...opening it in Kreyòl
    assert "Pataje sa a" in page.text  # the button under the card, in every channel's preview


def test_yaml_po_and_xliff_carry_the_share_text(
    ws: WorkspaceUnderTest, languages: LanguageTable
) -> None:
    item = _general_trafficking(ws)
    ws.account("translator")
    with ws.sessions() as session:
        topic = session.get(Topic, "trafficking")
        written = dump_topic(topic_to_doc(topic))
        organisation_id = session.get(ContentItem, item).organisation_id  # type: ignore[union-attr]
        items = exchange.organisation_items(session, organisation_id)
        text, _count = exchange.translation_file(items, "fr", languages, str, "po")
        xliff, _count = exchange.translation_file(items, "fr", languages, str, "xliff")
    again = TopicDoc.model_validate(yaml.safe_load(written))
    general = next(i for i in again.items if i.country is None)
    assert general.variants["ht"].share_text == _live_share(ws, item, "ht")
    assert "share_text: null" not in written  # the items without one say nothing

    po = polib.pofile(text)
    entry = po.find("trafficking@*#share_text", by="msgctxt")
    assert entry is not None and entry.msgid == _live_share(ws, item, "en")
    assert entry.msgstr == _live_share(ws, item, "fr")
    assert po.find("trafficking@PA#share_text", by="msgctxt") is None  # Panama has none
    assert "trafficking@*#share_text" in xliff

    entry.msgstr = "Signes de traite :\n- On garde votre passeport.\nL'OIM peut aider."
    with ws.sessions() as session:
        planned = exchange.plan_translation(
            session, organisation_id, languages, str(po).encode(), "fr.po"
        )
    (change,) = planned.changes
    assert change.after.share_text == entry.msgstr and change.fields == ["share_text"]
