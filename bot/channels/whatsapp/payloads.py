"""Twilio's WhatsApp webhooks as plain values: a message becomes an `Inbound`, a status callback
its status. Pure functions of the form, so tests/channels/whatsapp/ runs them on captured
payloads without a gateway.

https://www.twilio.com/docs/messaging/guides/webhook-request (the message webhook's fields),
https://www.twilio.com/docs/messaging/guides/track-outbound-message-status (status callbacks).
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.channels.base import Inbound
from bot.channels.whatsapp import CHANNEL

DELIVERY_STATUSES = frozenset(
    {"queued", "sending", "sent", "delivered", "read", "undelivered", "failed", "receiving"}
)
# What Twilio says a message holds when it is not text we can read.
_UNREADABLE_TYPES = frozenset(
    {"image", "audio", "video", "document", "sticker", "location", "contacts", "reaction"}
)


class MalformedWebhook(ValueError):
    """The form lacks what every Twilio message webhook carries; answered with 400."""


def _media_count(form: Mapping[str, str]) -> int:
    try:
        return int(form.get("NumMedia") or 0)
    except ValueError:
        return 0


# A text message, as Twilio posts it (form-encoded; shown decoded):
#   MessageSid=SM1a2b...  SmsMessageSid=SM1a2b...  AccountSid=AC...  MessagingServiceSid=MG...
#   From=whatsapp:+50937000001  To=whatsapp:+14155238886  Body=bonjou  NumMedia=0
#   NumSegments=1  MessageType=text  ProfileName=Jan  WaId=50937000001  SmsStatus=received
#   ApiVersion=2010-04-01
# A quick-reply tap adds ButtonPayload=/menu ButtonText=Meni; a photo has NumMedia=1,
# MediaUrl0, MediaContentType0=image/jpeg and MessageType=image; a location has Latitude,
# Longitude and MessageType=location.
def parse_message(form: Mapping[str, str]) -> tuple[str, Inbound]:
    """The MessageSid and the message; a button tap carries its payload as the text."""
    sid = (form.get("MessageSid") or form.get("SmsMessageSid") or "").strip()
    address = (form.get("From") or "").strip()
    if not sid or not address.startswith("whatsapp:"):
        raise MalformedWebhook("MessageSid and a whatsapp: From are required")
    if not (sid.isascii() and sid.isprintable()):  # Twilio's are "SM" and 32 hex digits
        raise MalformedWebhook("MessageSid must be printable ASCII")
    tapped = form.get("ButtonPayload") or form.get("ListId")
    body = (tapped or form.get("Body") or "").strip()
    kind = (form.get("MessageType") or "").lower()
    unreadable = (
        _media_count(form) > 0 or "Latitude" in form or kind in _UNREADABLE_TYPES
    ) and not body
    return sid, Inbound(CHANNEL, address, body, readable=not unreadable)


# A status callback:
#   MessageSid=SM...  MessageStatus=delivered  SmsStatus=delivered  AccountSid=AC...
#   From=whatsapp:+14155238886  To=whatsapp:+50937000001  ChannelToAddress=+50937000001
#   ApiVersion=2010-04-01  (and ErrorCode=63016 when MessageStatus=failed or undelivered)
def parse_status(form: Mapping[str, str]) -> str:
    status = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip().lower()
    if status not in DELIVERY_STATUSES:
        raise MalformedWebhook("MessageStatus is missing or unknown")
    return status
