"""WhatsApp's 24-hour window, and later messages to a person (an NGO worker's answer).

WhatsApp takes free text only within 24 hours of the person's last message; later, only an
approved template (https://www.twilio.com/docs/whatsapp/key-concepts#the-24-hour-window-or-24-hour-session).
The choice is made here, from the time the gateway keeps (not the text), and the message
joins the outbox like any answer, so it is retried and survives a restart.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from bot.channels.whatsapp import CHANNEL
from bot.channels.whatsapp.render import TEMPLATE_BODY_LIMIT
from bot.outbox import queue
from bot.pseudonym import pseudonymise
from bot.store import conversations
from bot.store.db import as_utc

WINDOW = dt.timedelta(hours=24)


def window_open(last_inbound_at: dt.datetime | None, now: dt.datetime) -> bool:
    """WhatsApp accepts free text only within 24 hours of the person's last message."""
    if last_inbound_at is None:
        return False
    return now - as_utc(last_inbound_at) < WINDOW


class WindowClosed(RuntimeError):
    """Outside the 24-hour window and no approved template configured: not sendable."""


def outside_window(text: str, template_sid: str | None) -> dict[str, Any]:
    """A later message (an NGO worker's answer) as the approved template, never free text."""
    if not template_sid:
        raise WindowClosed("WHATSAPP_WINDOW_TEMPLATE is not configured")
    return {"content_sid": template_sid, "content_variables": {"1": text[:TEMPLATE_BODY_LIMIT]}}


class FollowUpRefused(RuntimeError):
    """Not sent: the person wrote STOP, or the window is closed and no template is set."""


class SentAs(StrEnum):
    FREE_TEXT = "free text"
    TEMPLATE = "template"


def queue_follow_up(
    session: Session,
    pseudonym_key: bytes,
    address: str,
    text: str,
    window_template: str | None,
    now: dt.datetime,
) -> SentAs:
    """Queue a later message to `address` as free text or as the window template."""
    if not address.startswith("whatsapp:+"):
        raise FollowUpRefused("the address must look like whatsapp:+50937000000")
    conversation = conversations.get(session, pseudonymise(pseudonym_key, CHANNEL, address))
    if conversation is not None and conversation.opted_out:
        raise FollowUpRefused("this person wrote STOP: nothing is sent until they write START")
    last_message = conversation.last_inbound_at if conversation else None
    if window_open(last_message, now):
        queue.enqueue(session, CHANNEL, address, [{"body": text}], now)
        return SentAs.FREE_TEXT
    try:
        payload = outside_window(text, window_template)
    except WindowClosed as error:
        raise FollowUpRefused(
            "more than 24 hours since the person's last message and no "
            "WHATSAPP_WINDOW_TEMPLATE configured: WhatsApp would reject free text"
        ) from error
    queue.enqueue(session, CHANNEL, address, [payload], now)
    return SentAs.TEMPLATE
