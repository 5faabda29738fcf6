"""What every channel shares: the inbound message and the sending interface.

A channel folder does two things (courier's handlers do the same): turn the platform's payload
into an `Inbound`, and turn the pipeline's `Answer` into the platform's payloads. Everything
between (pseudonym, opt-out, digits, language, safety, Rasa) is channel-neutral: bot/pipeline/.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

from bot.pipeline.text import clean_text


@dataclass(frozen=True)
class Traits:
    """What a channel's people can do, so the pipeline treats them right."""

    # STOP/START: a messaging app pushes to people, so they must be able to stop it. The web
    # chat only answers what is asked: "stop" there is a word to answer, not an opt-out.
    opt_out: bool = True
    # Options shown as numbered lines (or buttons numbered across an answer): "2" picks one.
    numbered_options: bool = True


MESSAGING = Traits()


@dataclass(frozen=True)
class Inbound:
    """One message from a person, as every channel hands it on.

    `address` is the raw phone number or chat id: needed to answer, replaced by a pseudonym
    before anything else sees the message, and never logged.
    """

    channel: str
    address: str
    text: str
    # False for what we cannot read: a photo, a voice note, a location, a contact card.
    readable: bool = True
    # A language the person chose through the channel itself (a Telegram deep link).
    language: str | None = None
    traits: Traits = MESSAGING
    # When the person wrote it, if that was not just now: a message held while Rasa was away
    # is answered later, and WhatsApp's 24-hour window runs from when it was written.
    received_at: dt.datetime | None = None

    def __post_init__(self) -> None:
        # The edge: whatever a channel read, what goes on is text the store, Rasa and the
        # logs can hold (no NUL, no lone surrogate, no control characters).
        object.__setattr__(self, "text", clean_text(self.text))


class SendError(Exception):
    """A platform refused or did not take a message. `retryable` decides between the outbox's
    backoff (429, 5xx, network) and giving up (an invalid number, a rejected template)."""

    def __init__(self, kind: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.retryable = retryable
        self.retry_after = retry_after


class Sender(Protocol):
    """Sends one rendered payload to one address; raises SendError."""

    channel: str

    async def send(self, address: str, payload: dict[str, Any]) -> None: ...
