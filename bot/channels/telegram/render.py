"""The assistant's replies as Telegram sendMessage parameters: HTML, 4,096 characters, an
inline keyboard. https://core.telegram.org/bots/api#sendmessage
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from bot.channels.splitting import split_message
from bot.replies import Answer, Button, Reply

# https://core.telegram.org/bots/api#sendmessage: "1-4096 characters after entities parsing",
# counted in UTF-16 code units (https://core.telegram.org/api/entities#entity-length).
MAX_TEXT_CHARS = 4096
# https://core.telegram.org/bots/api#inlinekeyboardbutton: callback_data is 1-64 bytes.
MAX_CALLBACK_DATA_BYTES = 64
# Two buttons share a row only when both titles fit half a cheap phone's width.
SHORT_TITLE_CHARS = 14
_BOLD = re.compile(r"\*(\S|\S[^*\n]*\S)\*")  # "a * b * c" is not bold


def to_html(text: str) -> str:
    """Our Markdown subset as Telegram HTML: escaped first, then *bold* and "- " bullets.

    https://core.telegram.org/bots/api#html-style: only <, > and & must be escaped.
    """
    lines = []
    for raw in text.strip().splitlines():
        line = html.escape(raw.strip(), quote=False)
        if line.startswith("- "):
            line = "• " + line[2:]
        lines.append(_BOLD.sub(r"<b>\1</b>", line))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def utf16_length(text: str) -> int:
    """Telegram's own measure: an emoji outside the BMP counts twice."""
    return len(text.encode("utf-16-le")) // 2


def _visible(markdown: str) -> str:
    return re.sub(r"<[^>]+>", "", html.unescape(to_html(markdown)))


def split_for_telegram(text: str) -> list[str]:
    """Messages of at most 4,096 visible characters, cut at sentences by split_message."""
    limit = MAX_TEXT_CHARS
    while True:
        parts = split_message(text, limit)
        if limit <= 512 or all(utf16_length(_visible(p)) <= MAX_TEXT_CHARS for p in parts):
            return parts
        limit -= 256


def callback_data(button: Button, number: int) -> str:
    """The payload itself when it fits 64 bytes, else its 1-based number, which the channel
    service resolves to the option offered (as it does for a digit typed on WhatsApp)."""
    if 0 < len(button.payload.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
        return button.payload
    return str(number)


def keyboard(buttons: Sequence[tuple[Button, int]]) -> dict[str, Any]:
    """An inline keyboard: one button per row, two when both titles are short."""
    rows: list[list[dict[str, str]]] = []
    for button, number in buttons:
        key = {"text": button.title, "callback_data": callback_data(button, number)}
        last = rows[-1] if rows else None
        if (
            last is not None
            and len(last) == 1
            and len(last[0]["text"]) <= SHORT_TITLE_CHARS
            and len(button.title) <= SHORT_TITLE_CHARS
        ):
            last.append(key)
        else:
            rows.append([key])
    return {"inline_keyboard": rows}


def render(replies: Sequence[Reply]) -> list[dict[str, Any]]:
    """sendMessage parameters (without chat_id: that is the outbox address), one or more per
    reply; a reply's buttons go on its last message, numbered across the whole answer."""
    payloads: list[dict[str, Any]] = []
    number = 0
    for reply in replies:
        numbered = []
        for button in reply.buttons:
            number += 1
            numbered.append((button, number))
        parts = split_for_telegram(reply.text) if reply.text.strip() else []
        if not parts and numbered:
            parts = ["…"]  # a keyboard needs a message to hang on
        for index, part in enumerate(parts):
            payload: dict[str, Any] = {
                "text": to_html(part),
                "parse_mode": "HTML",
                # Previews of every source link cost data on a prepaid phone plan.
                "link_preview_options": {"is_disabled": True},
            }
            if numbered and index == len(parts) - 1:
                payload["reply_markup"] = keyboard(numbered)
            payloads.append(payload)
    return payloads


def render_answer(answer: Answer) -> list[dict[str, Any]]:
    """What the outbox sends for one answer (Telegram needs no per-language hint)."""
    return render(answer.replies)
