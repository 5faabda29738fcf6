"""The printable A5 card of a campaign: the QR code, the assistant's name, three safety messages.

Why the safety messages are cut from published content and never written here: a card stays on
a church wall for months, so only words a reviewer published may be on it (drafts and texts
still in review are not), in the campaign's language only (a card in two languages helps
nobody), for the campaign's country when the country has its own item (its emergency numbers).
A message is the first paragraph of the text, whole lines only, cut after about
`EXCERPT_CHARS`: shorter, never reworded. A topic with no published text in that language is
left off the card and named on the page, so the partner knows what to ask a reviewer for.

The card is HTML with `@page { size: A5 }`: the browser prints it, and fonts that every Debian
and most phones have (Noto Sans, DejaVu Sans) carry Kreyòl's ò and è; nothing is fetched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.phrases import Phrasebook
from bot.sharing.links import Link
from bot.sharing.models import Campaign
from bot.sharing.qr import svg_inline
from bot.store.models import ContentItem, ContentVariant, ReviewStatus

SAFETY_TOPICS = ("emergency", "trafficking", "route_risks")
EXCERPT_CHARS = 260
ASSISTANT_NAME_PHRASE = "chat_title"  # the name the web chat shows, in every language
CHANNEL_NAMES = {"telegram": "Telegram", "whatsapp": "WhatsApp"}
_BOLD = re.compile(r"\*([^*\n]+)\*")


@dataclass(frozen=True)
class SafetyMessage:
    topic: str
    title: str
    html: Markup  # the excerpt, *bold* and "- " bullets as HTML
    source: str | None  # the first source's title, printed small


@dataclass(frozen=True)
class Card:
    language: str
    assistant: str
    scan: str
    open_link: str
    link_text: str  # the link as printed (without https://)
    qr_svg: Markup
    safety_title: str
    messages: list[SafetyMessage]
    missing: list[str]  # topics without a published text in the language


def published_variant(
    session: Session, topic: str, language: str, country: str | None
) -> ContentVariant | None:
    """The published variant of `topic` in `language`: the country's item first, then the
    general one. Nothing else: no fallback language, no text in review."""
    items = session.scalars(
        select(ContentItem)
        .where(ContentItem.topic_name == topic)
        .options(selectinload(ContentItem.variants).selectinload(ContentVariant.sources))
    ).all()
    ordered = [i for i in items if country and i.country == country]
    ordered += [i for i in items if i.country is None]
    for item in ordered:
        for variant in item.variants:
            if variant.language == language and variant.review_status == ReviewStatus.PUBLISHED:
                return variant
    return None


def excerpt(body: str, limit: int = EXCERPT_CHARS) -> list[str]:
    """The first paragraph's lines, as many whole lines as fit in `limit` (at least one)."""
    paragraph = body.strip().split("\n\n", 1)[0]
    lines = [line.strip() for line in paragraph.splitlines() if line.strip()]
    kept: list[str] = []
    used = 0
    for line in lines:
        if kept and used + len(line) > limit:
            break
        kept.append(line)
        used += len(line)
    return kept


def to_html(lines: list[str]) -> Markup:
    """Lines of the content's Markdown (*bold*, "- " bullets) as HTML, escaped."""
    parts: list[str] = []
    bullets: list[str] = []
    for line in lines:
        html = _BOLD.sub(r"<strong>\1</strong>", str(escape(line)))
        if line.startswith("- "):
            bullets.append(f"<li>{html[2:]}</li>")
            continue
        if bullets:
            parts.append(f"<ul>{''.join(bullets)}</ul>")
            bullets = []
        parts.append(f"<p>{html}</p>")
    if bullets:
        parts.append(f"<ul>{''.join(bullets)}</ul>")
    return Markup("".join(parts))  # noqa: S704 - every piece was escaped above


def safety_messages(session: Session, campaign: Campaign) -> tuple[list[SafetyMessage], list[str]]:
    messages, missing = [], []
    for topic in SAFETY_TOPICS:
        variant = published_variant(session, topic, campaign.language, campaign.country)
        if variant is None:
            missing.append(topic)
            continue
        source = variant.sources[0].title if variant.sources else None
        messages.append(SafetyMessage(topic, variant.title, to_html(excerpt(variant.body)), source))
    return messages, missing


def build_card(
    session: Session, campaign: Campaign, link: Link, phrases: Phrasebook
) -> Card | None:
    """The card, or None while the campaign has no link (a setting is missing)."""
    if link.url is None:
        return None
    language = campaign.language
    channel = CHANNEL_NAMES[campaign.channel]
    messages, missing = safety_messages(session, campaign)
    return Card(
        language=language,
        assistant=phrases.get(ASSISTANT_NAME_PHRASE, language),
        scan=phrases.get("card_scan", language).replace("{channel}", channel),
        open_link=phrases.get("card_open_link", language),
        link_text=printed_link(link.url),
        qr_svg=Markup(svg_inline(link.url)),  # noqa: S704 - segno's own SVG, no input in it
        safety_title=phrases.get("card_safety_title", language),
        messages=messages,
        missing=missing,
    )


def printed_link(url: str) -> str:
    """What a person can type from the paper: the address without the scheme; a WhatsApp
    link without its prefilled text (too long to type; the chat opens all the same)."""
    short = url.removeprefix("https://")
    return short.split("?", 1)[0] if short.startswith("wa.me/") else short
