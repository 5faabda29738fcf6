"""The schema of content/*.yml, checked when content is imported.

Limits are named constants with the numbers in the message, so an editor who writes a 30-character
button title learns what to cut, not that "validation failed".
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.store.models import ReviewStatus

# WhatsApp list rows show 24 characters and reply buttons 20:
# https://www.twilio.com/docs/content/whatsapp-list-picker ,
# https://www.twilio.com/docs/content/twilio-quick-reply
TITLE_MAX_CHARS = 24
OPTION_TITLE_MAX_CHARS = 20
MAX_OPTIONS = 3
# One message part on a phone screen; the limit for every part of an answer.
BODY_MAX_CHARS = 700
# The answer ends with its first source, "Source: <title> <url>" (bot/nlg.py); the label is
# counted at its longest so that the limit holds in every language.
SOURCE_LABEL_ALLOWANCE = len("Source: ")
# "Share this" (issue 18, item 3): the forwardable version is a few lines a person passes on
# to a WhatsApp group as it is, so it is plain text (no *stars*, no `code`, no ~strike~, which
# WhatsApp would turn into formatting) and short enough to read in a group's stream.
SHARE_MAX_CHARS = 450
SHARE_MAX_LINES = 6
SHARE_FORBIDDEN = ("*", "`", "~")


def share_problem(text: str) -> str | None:
    """Why a forwardable text cannot be sent as it is, in words; None when it can."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > SHARE_MAX_LINES:
        return f"{len(lines)} lines, at most {SHARE_MAX_LINES}: a forwarded message is read fast"
    marks = [mark for mark in SHARE_FORBIDDEN if mark in text]
    if marks:
        return (
            f"plain text only: remove {' '.join(marks)} (WhatsApp would show it as formatting "
            "in the forwarded message)"
        )
    return None


def sent_length(body: str, source_title: str, source_url: str) -> int:
    """Characters of the message a person receives for this body and its first source."""
    return len(body.strip()) + 2 + SOURCE_LABEL_ALLOWANCE + len(source_title) + 1 + len(source_url)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceDoc(_Strict):
    title: str = Field(min_length=1)
    url: str = Field(pattern=r"^https?://\S+$")


class OptionDoc(_Strict):
    title: str = Field(min_length=1, max_length=OPTION_TITLE_MAX_CHARS)
    payload: str = Field(pattern=r"^/[a-z_]+(\{.*\})?$")


class VariantDoc(_Strict):
    title: str = Field(min_length=1, max_length=TITLE_MAX_CHARS)
    body: str = Field(min_length=1, max_length=BODY_MAX_CHARS)
    options: list[OptionDoc] = Field(default_factory=list, max_length=MAX_OPTIONS)
    sources: list[SourceDoc] = Field(min_length=1)
    # The short forwardable version ("Share this"); None: the answer offers no sharing.
    share_text: str | None = Field(default=None, min_length=1, max_length=SHARE_MAX_CHARS)
    review_status: ReviewStatus = ReviewStatus.DRAFT
    last_reviewed: dt.date | None = None
    version: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _fits_one_message(self) -> VariantDoc:
        first = self.sources[0]
        length = sent_length(self.body, first.title, first.url)
        if length > BODY_MAX_CHARS:
            raise ValueError(
                f"body plus its first source line is {length} characters; the limit for one "
                f"message is {BODY_MAX_CHARS}: shorten the body or the source title"
            )
        return self

    @field_validator("share_text")
    @classmethod
    def _forwards_cleanly(cls, text: str | None) -> str | None:
        if text is None:
            return None
        problem = share_problem(text)
        if problem:
            raise ValueError(problem)
        return text


class ItemDoc(_Strict):
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    sample: bool = False
    needs_review: bool = False
    review_note: str | None = None
    # The day a person last read this item's sources and found them still true (issue 13): a
    # number or a deadline checked long ago is the first thing a partner re-reads.
    checked_on: dt.date | None = None
    variants: dict[str, VariantDoc] = Field(min_length=1)


# A topic is "health"; an answer inside it is "health/pregnancy" (a sub-answer, which Rasa's
# ResponseSelector picks), stored in the file health.pregnancy.yml.
TOPIC_PATTERN = r"^[a-z_]+(/[a-z_]+)?$"
SUB_SEPARATOR = "/"


def parent_topic(topic: str) -> str:
    """ "health/pregnancy" -> "health"; a topic without a sub-answer is its own parent."""
    return topic.split(SUB_SEPARATOR, 1)[0]


def file_stem(topic: str) -> str:
    """The file name (without .yml) of a topic: a slash cannot be in a file name."""
    return topic.replace(SUB_SEPARATOR, ".")


class TopicDoc(_Strict):
    topic: str = Field(pattern=TOPIC_PATTERN)
    menu_order: int | None = None
    items: list[ItemDoc] = Field(min_length=1)

    @field_validator("items")
    @classmethod
    def _one_item_per_country(cls, items: list[ItemDoc]) -> list[ItemDoc]:
        countries = [item.country for item in items]
        if len(countries) != len(set(countries)):
            raise ValueError("two items for the same country (or two general items)")
        return items
