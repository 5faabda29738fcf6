"""What the assistant says, before any channel shapes it: text in our Markdown subset
(`*bold*`, `- ` bullets, blank-line paragraphs) and quick replies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: list[Button] = field(default_factory=list)

    def to_rasa(self) -> dict[str, Any]:
        """The NLG endpoint's response body (Rasa validates these keys)."""
        return {
            "text": self.text,
            "buttons": [{"title": b.title, "payload": b.payload} for b in self.buttons],
            "image": None,
            "elements": [],
            "attachments": [],
            "custom": {},
        }

    @classmethod
    def from_rasa(cls, message: dict[str, Any]) -> Reply:
        buttons = [
            Button(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
            for b in message.get("buttons") or []
            if b.get("title") and b.get("payload")
        ]
        return cls(text=str(message.get("text") or ""), buttons=buttons)
