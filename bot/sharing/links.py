"""A campaign's links: Telegram's deep link and WhatsApp's click-to-chat, or what is missing.

- Telegram: `https://t.me/<bot>?start=<language>_<code>`. The start parameter is at most 64 of
  [A-Za-z0-9_-] (https://core.telegram.org/bots/features#deep-linking); bot/channels/telegram/
  payloads.py `parse_deep_link` reads the language in front, so a link whose code is unknown
  still opens in its language.
- WhatsApp: `https://wa.me/<number, digits only>?text=<the prefilled text>`
  (https://faq.whatsapp.com/5913398998672934). The text is the assistant's phrase
  `campaign_prefill` in the campaign's language with the code in it: the person sees it in the
  message box and sends it; bot/sharing/arrivals.py recognises it.

A setting that is unset gives no link but the name of the setting to fill in, so the page never
shows a link that cannot work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from bot.config import Settings
from bot.phrases import Phrasebook
from bot.sharing.models import Campaign

PREFILL_PHRASE = "campaign_prefill"  # translations/<lang>.po; "{code}" is where the code goes
CODE_PLACEHOLDER = "{code}"
TELEGRAM_SETTING = "TELEGRAM_BOT_USERNAME"
WHATSAPP_SETTING = "WHATSAPP_NUMBER"
MAX_START_PARAMETER = 64
_BOT_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")  # BotFather: 5-32, ends in "bot"
_NUMBER_DIGITS = re.compile(r"^[1-9]\d{6,14}$")  # E.164 without "+": country code and number


@dataclass(frozen=True)
class Link:
    """A link to show, or (url None) the setting the operator must set first."""

    url: str | None
    missing_setting: str | None = None


def telegram_start_parameter(campaign: Campaign) -> str:
    parameter = f"{campaign.language}_{campaign.code}"
    assert len(parameter) <= MAX_START_PARAMETER  # noqa: S101 - a language code and 16 characters
    return parameter


def bot_username(settings: Settings) -> str | None:
    """TELEGRAM_BOT_USERNAME as t.me wants it (an "@" in front is forgiven); None if unset or
    not a bot's name."""
    name = (settings.telegram_bot_username or "").strip().removeprefix("@")
    return name if _BOT_USERNAME.match(name) and name.lower().endswith("bot") else None


def whatsapp_digits(settings: Settings) -> str | None:
    """WHATSAPP_NUMBER as wa.me wants it: digits only, no "+", no "whatsapp:", no spaces."""
    raw = (settings.whatsapp_number or "").removeprefix("whatsapp:")
    digits = re.sub(r"[\s().+-]", "", raw)
    return digits if _NUMBER_DIGITS.match(digits) else None


def prefilled_text(phrases: Phrasebook, language: str, code: str) -> str:
    return phrases.get(PREFILL_PHRASE, language).replace(CODE_PLACEHOLDER, code)


def link_for(campaign: Campaign, settings: Settings, phrases: Phrasebook) -> Link:
    """The campaign's one link, for its channel."""
    if campaign.channel == "telegram":
        username = bot_username(settings)
        if username is None:
            return Link(None, TELEGRAM_SETTING)
        return Link(f"https://t.me/{username}?start={telegram_start_parameter(campaign)}")
    digits = whatsapp_digits(settings)
    if digits is None:
        return Link(None, WHATSAPP_SETTING)
    text = prefilled_text(phrases, campaign.language, campaign.code)
    return Link(f"https://wa.me/{digits}?text={quote(text, safe='')}")
