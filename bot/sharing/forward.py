""" "Share this" (issue 18, item 3): a topic answer's short version, for a WhatsApp group.

A diaspora group reaches people before the journey; a person who has just read an answer is
the best one to pass it on. So an answer whose item has a forwardable text in that language
(`share_text`, written, reviewed and published in the workspace with the body) ends with a
"Share this" button (bot/nlg.py); the button, or the word typed ("pataje", "partager",
"share": `share_words` in translations/languages.yml, heard without the model), gets two
messages: a line saying how to forward, then the forwardable text alone, so that it can be
forwarded as it is, with the assistant's link in the text's language last.

What the forwarded message holds, and why:
- only the published text partners wrote: never a word of the person, no pseudonym, no code;
- plain text (bot/content/schema.py refuses *stars* and the like), so it looks the same in
  every chat it is forwarded to;
- the link opens the assistant in the text's language: Telegram's `?start=<language>` (bot/
  channels/telegram/payloads.py reads it) or WhatsApp's prefilled `share_prefill` phrase in
  that language (a sentence, which settles the receiver's language, bot/langid.py). The
  person's own channel first (a Telegram user forwards on Telegram), else WhatsApp, the
  groups' channel. Neither setting set: no link line, and nothing is said about a link.

Which text: found by the rule the body is found by (bot/content/lookup.py), applied to the
share text, for the topic of the card just read: the country's item, then the general one; in
each, the person's language, then the `fallback:` languages of translations/languages.yml
(ht -> fr -> en). Only a variant people get (never a draft or an archived text; in the
workspace only `publish` writes the variant) counts, and only one with a share text. So a
Kreyòl reader in Panama whose Panama card has no share text forwards the general Kreyòl one;
where no Kreyòl share text exists but a French one does, the French one is offered, and the
line before it says that it is in French (the card's own fallback note), as a card would.
No share text in any of those: no button, and a typed "pataje" gets "no short version yet".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from bot.config import Settings
from bot.content import lookup
from bot.content.shelf import ContentCache, ShelfVariant
from bot.languages import LanguageTable
from bot.phrases import Phrasebook
from bot.pipeline.words import languages_file, normalise, words_by_language
from bot.replies import Reply
from bot.sharing.links import bot_username, whatsapp_digits

SHARE_PAYLOAD = "/share"
SHARE_BUTTON_PHRASE = "share_button"
INTRO_PHRASE = "share_intro"
LINK_PHRASE = "share_link"
UNAVAILABLE_PHRASE = "share_unavailable"
PREFILL_PHRASE = "share_prefill"
LINK_PLACEHOLDER = "{link}"
SHARE_RESPONSE = "share"  # the response name of the forwardable text (Reply.response)
TELEGRAM, WHATSAPP = "telegram", "whatsapp"


@dataclass(frozen=True)
class AssistantLinks:
    """Where the assistant can be reached, from TELEGRAM_BOT_USERNAME and WHATSAPP_NUMBER
    (bot/sharing/links.py checks them); None where a setting is unset or not valid."""

    telegram_bot: str | None = None
    whatsapp_digits: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> AssistantLinks:
        return cls(bot_username(settings), whatsapp_digits(settings))

    def link(self, phrases: Phrasebook, language: str, channel: str) -> str | None:
        """The link that opens the assistant in `language`: the person's own channel first,
        then WhatsApp, then Telegram; None when no channel is set up."""
        order = [channel] if channel in (TELEGRAM, WHATSAPP) else []
        for name in dict.fromkeys([*order, WHATSAPP, TELEGRAM]):
            if name == TELEGRAM and self.telegram_bot:
                return f"https://t.me/{self.telegram_bot}?start={language}"
            if name == WHATSAPP and self.whatsapp_digits:
                text = quote(phrases.get(PREFILL_PHRASE, language), safe="")
                return f"https://wa.me/{self.whatsapp_digits}?text={text}"
        return None


def forwardable(share_text: str, link_line: str | None) -> str:
    """The message as it is forwarded: the partner's text, then the link line, if any."""
    parts = [share_text.strip()]
    if link_line:
        parts.append(link_line)
    return "\n\n".join(parts)


def load_share_words(translations_dir: Path) -> frozenset[str]:
    """translations/languages.yml `share_words`, folded, every language together."""
    return frozenset(words_by_language(languages_file(translations_dir).get("share_words")))


@dataclass
class Sharing:
    """The forwardable version of the answer a person last read."""

    content: ContentCache  # the assistant's own (bot/nlg.py): one copy of the content
    phrases: Phrasebook
    languages: LanguageTable
    links: AssistantLinks
    words: frozenset[str]

    @classmethod
    def build(
        cls,
        settings: Settings,
        content: ContentCache,
        phrases: Phrasebook,
        languages: LanguageTable,
    ) -> Sharing:
        return cls(
            content,
            phrases,
            languages,
            AssistantLinks.from_settings(settings),
            load_share_words(settings.translations_dir),
        )

    def is_request(self, text: str) -> bool:
        """The button's payload, or one of the share words as the whole message."""
        return text.strip() == SHARE_PAYLOAD or normalise(text) in self.words

    def message(self, variant: ShelfVariant, channel: str) -> str | None:
        """The forwardable text of a variant with its link line, all in the text's own
        language; None when the variant has none."""
        if not variant.share_text:
            return None
        language = variant.language
        link = self.links.link(self.phrases, language, channel)
        line = None
        if link is not None:
            line = self.phrases.get(LINK_PHRASE, language).replace(LINK_PLACEHOLDER, link)
        return forwardable(variant.share_text, line)

    def find(self, topic: str | None, country: str | None, language: str) -> ShelfVariant | None:
        """The variant whose forwardable text goes with the answer of `topic`: the card's own
        topic (a sub-answer nobody wrote falls back to its topic's card, and so does this),
        then the body's rule applied to the share text (bot/content/lookup.py)."""
        if not topic:
            return None
        order = self.languages.fallback_order(language)
        shelf = self.content.shelf()
        found = lookup.find_answer(shelf, topic, order, country)
        if found is None:
            return None
        return lookup.find_variant(shelf, found[0], order, country, shared=True)

    def replies(
        self, variant: ShelfVariant | None, language: str, channel: str, note: str | None
    ) -> list[Reply]:
        """How to forward (in the person's language; `note` says when the text is in another
        one), then the forwardable text alone; or "no short version yet"."""
        message = self.message(variant, channel) if variant is not None else None
        if message is None:
            return [Reply(self.phrases.get(UNAVAILABLE_PHRASE, language), response=SHARE_RESPONSE)]
        intro = self.phrases.get(INTRO_PHRASE, language)
        if note:
            intro = f"{intro}\n{note}"
        return [Reply(intro, response=SHARE_RESPONSE), Reply(message, response=SHARE_RESPONSE)]
