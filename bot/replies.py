"""What the assistant says, before any channel shapes it: text in our Markdown subset
(`*bold*`, `- ` bullets, blank-line paragraphs) and quick replies; and the whole answer to one
message, which carries its language so no channel has to look it up again."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Rasa passes a response's `custom` object through to the REST channel untouched; the NLG
# endpoint and the actions put what the gateway must know under this key (bot/pipeline/rasa.py).
GATEWAY_KEY = "gateway"


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: list[Button] = field(default_factory=list)
    # The content topic whose words these are ("trafficking"), so the pipeline can remember
    # what was last answered; None for phrases (greetings, prompts, errors).
    topic: str | None = None
    # The response Rasa chose ("fallback", "greet", "trafficking"), so the pipeline knows
    # what was said without reading the words (an emergency's follow-up replaces a fallback).
    response: str | None = None
    # Which card this is ("health/pregnancy@MX": topic and the item's country, "*" for the
    # general item), so the pipeline never sends the same card twice in a row.
    card: str | None = None

    def to_rasa(self) -> dict[str, Any]:
        """The NLG endpoint's response body (Rasa validates these keys)."""
        said = {
            key: value
            for key, value in (
                ("topic", self.topic),
                ("response", self.response),
                ("card", self.card),
            )
            if value
        }
        return {
            "text": self.text,
            "buttons": [{"title": b.title, "payload": b.payload} for b in self.buttons],
            "image": None,
            "elements": [],
            "attachments": [],
            "custom": {GATEWAY_KEY: said} if said else {},
        }

    @classmethod
    def from_rasa(cls, message: dict[str, Any]) -> Reply:
        buttons = [
            Button(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
            for b in message.get("buttons") or []
            if isinstance(b, dict) and b.get("title") and b.get("payload")
        ]
        return cls(text=str(message.get("text") or ""), buttons=buttons)


@dataclass(frozen=True)
class Answer:
    """Everything said in answer to one message, and the language it is said in."""

    replies: list[Reply]
    language: str
    # Rasa could not answer: the message is kept and answered when Rasa is back; `replies`
    # is the short note that says so (bot/outbox/replier.py decides whether it is sent).
    held: bool = False
    # Over the person's rate limit (bot/pipeline/rate_limit.py): not sent to Rasa, the
    # conversation left as it was; `replies` is the notice (once per window) or nothing.
    slowed: bool = False

    @property
    def buttons(self) -> list[Button]:
        """Every quick reply, in order: the numbers a text channel shows."""
        return [button for reply in self.replies for button in reply.buttons]

    @property
    def topic(self) -> str | None:
        """The last content topic answered, if any."""
        return next((r.topic for r in reversed(self.replies) if r.topic), None)

    @property
    def card(self) -> str | None:
        """The first content card said, if any."""
        return next((r.card for r in self.replies if r.card), None)

    @property
    def responses(self) -> set[str]:
        """The names of the responses said ("fallback", "trafficking")."""
        return {r.response for r in self.replies if r.response}
