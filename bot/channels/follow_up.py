"""A later message to a person on WhatsApp: an NGO worker's answer, a reply to "talk to a person".

WhatsApp takes free text only within 24 hours of the person's last message; later, only an
approved template. The choice is made here, from the time the gateway keeps (not the text),
and the message joins the outbox like any answer, so it is retried and survives a restart.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy.orm import Session

from bot.channels import whatsapp
from bot.pseudonym import pseudonymise
from bot.store import conversations, outbox


class FollowUpRefused(RuntimeError):
    """Not sent: the person wrote STOP, or the window is closed and no template is set."""


class SentAs(StrEnum):
    FREE_TEXT = "free text"
    TEMPLATE = "template"


def queue_whatsapp_follow_up(
    session: Session,
    pseudonym_key: bytes,
    address: str,
    text: str,
    window_template: str | None,
    now: dt.datetime | None = None,
) -> SentAs:
    if not address.startswith("whatsapp:+"):
        raise FollowUpRefused("the address must look like whatsapp:+50937000000")
    conversation = conversations.get(
        session, pseudonymise(pseudonym_key, whatsapp.CHANNEL, address)
    )
    if conversation is not None and conversation.opted_out:
        raise FollowUpRefused("this person wrote STOP: nothing is sent until they write START")
    last_message = conversation.last_inbound_at if conversation else None
    if whatsapp.window_open(last_message, now or dt.datetime.now(dt.UTC)):
        outbox.enqueue(session, whatsapp.CHANNEL, address, [{"body": text}])
        return SentAs.FREE_TEXT
    try:
        payload = whatsapp.outside_window(text, window_template)
    except whatsapp.WindowClosed as error:
        raise FollowUpRefused(
            "more than 24 hours since the person's last message and no "
            "WHATSAPP_WINDOW_TEMPLATE configured: WhatsApp would reject free text"
        ) from error
    outbox.enqueue(session, whatsapp.CHANNEL, address, [payload])
    return SentAs.TEMPLATE
