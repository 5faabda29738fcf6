"""How a text being edited will look on WhatsApp, on Telegram and in the web chat (issue 14).

Why it calls the assistant's own code instead of imitating it: a preview that re-implements
the limits or the splitting drifts the day a channel changes, and then it lies to the partner.
So the card is composed by bot/nlg.py's ResponseGenerator exactly as for a person (body, the
"Source: title url" line, the buttons, and for the safety topics their extra question and
buttons), and each channel's renderer and splitter (bot/channels/*/render.py, splitting.py)
turns it into the messages that would be sent. Nothing is saved: the card is built from
transient objects that never enter a store session.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request

from bot.channels.telegram import render as telegram
from bot.channels.webchat import render as webchat
from bot.channels.whatsapp import render as whatsapp
from bot.content import lookup
from bot.content.schema import BODY_MAX_CHARS, SHARE_MAX_CHARS, sent_length, share_problem
from bot.content.shelf import Shelf
from bot.languages import LanguageTable
from bot.nlg import SAFETY_TOPICS, ResponseGenerator
from bot.phrases import Phrasebook
from bot.places import Gazetteer
from bot.replies import Reply
from bot.sharing.forward import LINK_PHRASE, LINK_PLACEHOLDER, WHATSAPP, AssistantLinks, forwardable
from bot.store.models import ContentItem, ContentSource, ContentVariant
from bot.workspace import truth
from bot.workspace.items import gazetteer

_TAG = re.compile(r"(<[^>]*>)")


@dataclass(frozen=True)
class Part:
    """One message as the channel sends it: its text as HTML to show, its length in the
    channel's own measure, and that message's limit (None: the channel has none)."""

    html: Markup
    length: int
    limit: int | None

    @property
    def over_limit(self) -> bool:
        return self.limit is not None and self.length > self.limit


@dataclass(frozen=True)
class ChannelPreview:
    name: str  # "whatsapp", "telegram", "webchat"
    parts: list[Part]
    buttons: list[str] = field(default_factory=list)
    note: str | None = None  # how the buttons are shown, when that is not obvious

    @property
    def messages(self) -> int:
        return len(self.parts)

    @property
    def over_limit(self) -> bool:
        return any(part.over_limit for part in self.parts)


@dataclass(frozen=True)
class Preview:
    channels: list[ChannelPreview]
    sent_length: int  # body + first source line, as bot/content/schema.py counts it
    content_limit: int = BODY_MAX_CHARS
    # "Share this": the forwardable message as it is sent (text and link line), if any.
    share: Part | None = None
    share_length: int = 0  # the share text alone, as bot/content/schema.py counts it
    share_limit: int = SHARE_MAX_CHARS
    share_problem: str | None = None  # why it could not be sent as it is (lines, stars)

    @property
    def too_long(self) -> bool:
        return self.sent_length > self.content_limit


@dataclass(frozen=True)
class Draft:
    """The text of the editor's form, whatever state it is in (a preview never refuses)."""

    title: str
    body: str
    options: Sequence[dict[str, str]]
    sources: Sequence[dict[str, str]]
    share_text: str | None = None  # the forwardable version ("Share this"), if any


class Previewer:
    """The assistant's composer and the channels' renderers, built once per workspace."""

    def __init__(
        self,
        phrases: Phrasebook,
        languages: LanguageTable,
        gazetteer: Gazetteer,
        whatsapp_templates: dict[str, str],
        links: AssistantLinks | None = None,
    ) -> None:
        self._phrases = phrases
        self._languages = languages
        self._links = links or AssistantLinks()
        # The generator's store sessions are never opened here: the card is composed from the
        # draft, and the lookups a card needs read a shelf loaded through the page's session.
        never_used: sessionmaker[Session] = sessionmaker()
        self._generator = ResponseGenerator(never_used, phrases, languages, gazetteer)
        self._whatsapp = whatsapp.Renderer(whatsapp_templates)

    def reply(self, session: Session, item: ContentItem, language: str, draft: Draft) -> Reply:
        """The card a person in the item's country, writing in `language`, would get if this
        draft were published: composed by the assistant's own code (bot/nlg.py)."""
        # Transient copies, never attached to `item` or a session, so nothing can be flushed.
        scope = ContentItem(topic_name=item.topic_name, country=item.country)
        variant = ContentVariant(
            language=language,
            title=draft.title,
            body=draft.body,
            options=[dict(option) for option in draft.options],
            item=scope,
            sources=[
                ContentSource(position=position, title=source["title"], url=source["url"])
                for position, source in enumerate(draft.sources)
            ],
        )
        # ResponseGenerator composes a card from a variant in these two steps (its `_card` and
        # `_words`); calling them keeps the preview identical to what is sent.
        shelf = Shelf.load(session)  # what is published now, as the assistant reads it
        shared = bool(draft.share_text) or self._shared_elsewhere(shelf, item, language)
        card = self._generator._topic_reply(variant, language, item.topic_name, shared=shared)
        if card.topic in SAFETY_TOPICS:
            card = self._generator._safety(shelf, card, language, item.country)
        return card

    def _shared_elsewhere(self, shelf: Shelf, item: ContentItem, language: str) -> bool:
        """Another text gives this card its "Share this" (the general item's, for a country's
        card: bot/sharing/forward.py), whatever this draft says."""
        order = self._languages.fallback_order(language)
        found = lookup.find_variant(shelf, item.topic_name, order, item.country, shared=True)
        return found is not None and (found.item_id, found.language) != (item.id, language)

    def preview(self, session: Session, item: ContentItem, language: str, draft: Draft) -> Preview:
        reply = self.reply(session, item, language, draft)
        facts = {fact.text: fact.kind for fact in truth.facts_in(reply.text)}
        first = draft.sources[0] if draft.sources else {"title": "", "url": ""}
        return Preview(
            channels=[
                self._on_whatsapp(reply, language),
                _on_telegram(reply, facts),
                _on_webchat(reply, facts),
            ],
            sent_length=sent_length(draft.body, first["title"], first["url"]),
            **self._share(draft, language),
        )

    def _share(self, draft: Draft, language: str) -> dict[str, Any]:
        """The forwardable message as a person on WhatsApp gets it after "Share this": the
        share text, then the link line of this language (none while WHATSAPP_NUMBER and
        TELEGRAM_BOT_USERNAME are unset, as for people)."""
        if not draft.share_text:
            return {}
        link = self._links.link(self._phrases, language, WHATSAPP)
        line = None
        if link is not None:
            line = self._phrases.get(LINK_PHRASE, language).replace(LINK_PLACEHOLDER, link)
        # As WhatsApp's renderer sends it ("- " bullets become "• "): the share text is plain.
        sent = self._whatsapp.render([Reply(forwardable(draft.share_text, line))], "")
        message = "\n\n".join(payload["body"] for payload in sent if "body" in payload)
        return {
            "share": Part(truth.highlight(message), len(message), whatsapp.BODY_LIMIT),
            "share_length": len(draft.share_text.strip()),
            "share_problem": share_problem(draft.share_text),
        }

    def _on_whatsapp(self, reply: Reply, language: str) -> ChannelPreview:
        hint = self._phrases.get(whatsapp.OPTIONS_HINT_PHRASE, language)
        parts, buttons = [], []
        for payload in self._whatsapp.render([reply], hint):
            if "body" in payload:
                body = payload["body"]
                parts.append(Part(truth.highlight(body), len(body), whatsapp.BODY_LIMIT))
                continue
            # A content template: its body is variable 1, its buttons the titles after it.
            variables: dict[str, str] = payload["content_variables"]
            text = variables["1"]
            parts.append(Part(truth.highlight(text), len(text), whatsapp.TEMPLATE_BODY_LIMIT))
            buttons = [variables[key] for key in sorted(variables, key=int)[1::2]]
        note = None if buttons or not reply.buttons else "numbered"
        return ChannelPreview("whatsapp", parts, buttons, note)


def _on_telegram(reply: Reply, facts: dict[str, str]) -> ChannelPreview:
    parts, buttons = [], []
    for payload in telegram.render([reply]):
        text: str = payload["text"]
        visible = html.unescape(_TAG.sub("", text))  # what Telegram shows of its HTML
        length = telegram.utf16_length(visible)
        parts.append(Part(_mark(text, facts), length, telegram.MAX_TEXT_CHARS))
        keyboard: dict[str, Any] = payload.get("reply_markup") or {}
        buttons += [key["text"] for row in keyboard.get("inline_keyboard", []) for key in row]
    return ChannelPreview("telegram", parts, buttons)


def _on_webchat(reply: Reply, facts: dict[str, str]) -> ChannelPreview:
    rendered = webchat.render(reply)
    visible = html.unescape(_TAG.sub("", str(rendered.html)))
    buttons = [button["title"] for button in rendered.buttons]
    return ChannelPreview(
        "webchat", [Part(_mark(rendered.html, facts), len(visible), None)], buttons
    )


def _mark(rendered: str, facts: dict[str, str]) -> Markup:
    """The channel's HTML (already escaped by its renderer) with every fact that truth found
    in the card's text marked, in text only, never inside a tag or its attributes.

    The facts are found in the card's own text (our Markdown, what truth.py is tuned on) and
    marked where they appear in the rendering, where a bold short code has lost its stars."""
    if not facts:
        return Markup(rendered)  # noqa: S704 - the channels' renderers escape the content
    kinds = {str(escape(written)): kind for written, kind in facts.items()}
    written = sorted(kinds, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w+*#])(" + "|".join(map(re.escape, written)) + r")(?!\w)")

    def marked(found: re.Match[str]) -> str:
        return f'<mark class="fact fact-{kinds[found.group(1)]}">{found.group(1)}</mark>'

    pieces = [
        piece if piece.startswith("<") else pattern.sub(marked, piece)
        for piece in _TAG.split(rendered)
    ]
    return Markup("".join(pieces))  # noqa: S704 - escaped by the renderer, marks added here


def previewer_for(request: Request) -> Previewer:
    """The previewer of this workspace app, built on first use and kept on the app (the
    phrasebook re-reads a changed catalog by itself)."""
    state = request.app.state
    if getattr(state, "previewer", None) is None:
        workspace = state.workspace
        settings = workspace.settings
        # A WhatsApp answer given inside the webhook's response (TwiML) cannot use content
        # templates: its buttons are numbered lines (bot/channels/whatsapp/routes.py).
        templates = settings.whatsapp_content_templates if settings.whatsapp_reply == "rest" else {}
        state.previewer = Previewer(
            Phrasebook(settings.translations_dir, workspace.languages),
            workspace.languages,
            gazetteer(settings.gazetteer_path),
            dict(templates),
            AssistantLinks.from_settings(settings),
        )
    return state.previewer
