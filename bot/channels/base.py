"""What every channel shares: the inbound message and the sending interface.

A channel module does two things (courier's handlers do the same): turn the platform's payload
into an `Inbound`, and turn the assistant's `Reply` list into the platform's payloads. Everything
between (pseudonym, opt-out, digits, the assistant) is channel-neutral: bot/channels/service.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


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
