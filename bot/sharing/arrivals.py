"""Arrivals: the first message that came through a campaign's link, counted, its code dropped.

Where it runs: at the channel's edge, before the pipeline, the inbox or Rasa see the message,
so the code is never stored with the person (not in the conversation, the inbox row or Rasa's
tracker). What goes on instead is what the person asked by following the link: the campaign's
language, chosen, and its first topic (a payload such as `/trafficking`) or the greeting.

- Telegram: `/start <language>_<code>` (bot/channels/telegram/payloads.py `DeepLink`).
- WhatsApp: the prefilled text of bot/sharing/links.py, in any language, sent as it is or with
  words added; words the person added are answered instead of the greeting.

Only a code a partner made for that channel counts. Anything else (an invented code, one changed
by hand, a prefilled text whose code is unknown) counts nothing and is greeted as usual, in the
language the link or the text shows; a code-shaped word in a text is not sent on to Rasa.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock, system_clock
from bot.phrases import Phrasebook
from bot.sharing import campaigns
from bot.sharing.links import CODE_PLACEHOLDER, PREFILL_PHRASE
from bot.sharing.models import Campaign

GREET_PAYLOAD = "/greet"
_CODE = rf"[A-Za-z0-9]{{{campaigns.CODE_LENGTH}}}"
_WORDS = re.compile(r"[^\W_]")  # a letter or a digit: something the person wrote themselves


@dataclass(frozen=True)
class Arrival:
    """What the pipeline gets instead of the message that carried a code."""

    text: str
    language: str | None  # the campaign's (or the link's) language; None: detect as usual
    campaign_id: int | None = None  # a partner's campaign: count it once the message is taken


def opening(campaign: Campaign) -> str:
    """The payload that answers a campaign's arrival: its first topic, else the greeting."""
    return f"/{campaign.topic}" if campaign.topic else GREET_PAYLOAD


@dataclass
class Arrivals:
    sessions: sessionmaker[Session]
    phrases: Phrasebook
    languages: Sequence[str]  # the languages the assistant speaks
    clock: Clock = system_clock

    # --- Telegram -----------------------------------------------------------------------------

    def telegram(self, code: str | None, link_language: str | None) -> Arrival:
        """/start with a deep link's code (or none) and the language in front of it."""
        campaign = self._campaign(code, "telegram") if code else None
        if campaign is None:
            return Arrival(GREET_PAYLOAD, link_language)
        return Arrival(opening(campaign), campaign.language, campaign.id)

    # --- WhatsApp -----------------------------------------------------------------------------

    def whatsapp(self, text: str) -> Arrival | None:
        """None: the text carries no code and no prefilled text; answer it as it is."""
        tokens = campaigns.code_tokens(text)
        if not tokens:
            return None
        language, rest = self._without_prefill(text)
        for token in tokens:
            campaign = self._campaign(token, "whatsapp")
            if campaign is not None:
                own = _without(rest, token)
                said = own if _WORDS.search(own) else opening(campaign)
                return Arrival(said, campaign.language, campaign.id)
        if language is None:
            return None  # a code-shaped word in someone's own message: not ours to change
        return Arrival(rest if _WORDS.search(rest) else GREET_PAYLOAD, language)

    def _without_prefill(self, text: str) -> tuple[str | None, str]:
        """The language whose prefilled text the message holds (code and all) and the rest."""
        for language, pattern in self._prefills:
            found = pattern.search(text)
            if found:
                rest = text[: found.start()] + " " + text[found.end() :]
                return language, " ".join(rest.split())
        return None, text

    @cached_property
    def _prefills(self) -> list[tuple[str, re.Pattern[str]]]:
        """Each language's prefilled text as a pattern: any code where the code goes, any
        spacing, any case (a phone may capitalise or a person retype it)."""
        patterns = []
        for language in self.languages:
            template = self.phrases.get(PREFILL_PHRASE, language)
            before, _, after = template.partition(CODE_PLACEHOLDER)
            parts = [_loose(before), _CODE, _loose(after)]
            patterns.append((language, re.compile(r"\s*".join(parts), re.IGNORECASE)))
        return patterns

    # --- the store ----------------------------------------------------------------------------

    def _campaign(self, code: str, channel: str) -> Campaign | None:
        with self.sessions() as session:
            campaign = campaigns.by_code(session, code, channel)
            if campaign is not None:
                session.expunge(campaign)
            return campaign

    def count(self, campaign_id: int) -> None:
        with self.sessions() as session, session.begin():
            campaigns.count_arrival(session, campaign_id, self.clock().date())

    def count_in(self, session: Session, campaign_id: int) -> None:
        """Counted in the caller's transaction (with the webhook id that deduplicates it)."""
        campaigns.count_arrival(session, campaign_id, self.clock().date())


def _loose(fixed: str) -> str:
    """A fixed piece of text as a pattern that allows any spacing between its words."""
    return r"\s*".join(re.escape(word) for word in fixed.split())


def _without(text: str, token: str) -> str:
    return " ".join(text.replace(token, " ").split())
