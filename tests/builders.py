"""Content in a line, for tests: `topic_doc("trafficking", en="Keep your passport.")`."""

from __future__ import annotations

from typing import Any

from bot.content.schema import TopicDoc

SOURCE = {"title": "IOM", "url": "https://www.iom.int/counter-trafficking"}


def variant(body: str, title: str = "Title", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": title,
        "body": body,
        "options": [{"title": "Menu", "payload": "/menu"}],
        "sources": [SOURCE],
        "review_status": "in_review",
    }
    data.update(overrides)
    return data


def topic_doc(
    topic: str, country: str | None = None, menu_order: int | None = 1, **bodies: str
) -> TopicDoc:
    return TopicDoc.model_validate(
        {
            "topic": topic,
            "menu_order": menu_order,
            "items": [
                {
                    "country": country,
                    "variants": {
                        lang: variant(body, title=f"{topic}-{lang}")
                        for lang, body in bodies.items()
                    },
                }
            ],
        }
    )


def without_privacy_notice(text: str, phrases: Any, language: str = "en") -> str:
    """The first answer a person gets ends with the privacy notice (bot/pipeline/privacy.py):
    checked there, and the answer before it returned. Works on plain, Markdown or HTML text."""
    body, _, notice = text.rpartition("\n\n")
    first_words = phrases.get("privacy_notice", language).split(":")[0]
    assert notice.startswith(first_words), f"no privacy notice at the end of {text!r}"
    return body
