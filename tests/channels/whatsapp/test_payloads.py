"""Twilio's WhatsApp webhooks: one stored body per case and what it parses to.

Each `payloads/<case>.form` is the `application/x-www-form-urlencoded` body as Twilio POSTs it,
on one line: the fields Twilio documents (the page each row follows is named in the row), in the
order captured requests show them. Numbers and SIDs are fake: people are whatsapp:+5093700000N,
the sender is Twilio's sandbox number, every SID is made up.

- Inbound messages: https://www.twilio.com/docs/messaging/guides/webhook-request (MessageSid,
  Body, NumMedia, MediaUrl0/MediaContentType0; for WhatsApp ProfileName, WaId, MessageType,
  ButtonText/ButtonPayload, Latitude/Longitude/Address/Label) and
  https://www.twilio.com/docs/whatsapp/api (quick replies, OriginalRepliedMessageSid).
- Status callbacks: https://www.twilio.com/docs/messaging/guides/track-outbound-message-status
  (MessageStatus, SmsStatus, ErrorCode; WhatsApp adds ChannelPrefix, ChannelToAddress,
  ChannelInstallSid, StructuredMessage).
- The call-permission reply copies the request body printed in Twilio's guide "WhatsApp
  Business Calling with Twilio Programmable Voice".
- Sticker, document and contact card: MessageType values and media types as captured requests
  published in public code show them (a vCard arrives as MediaContentType0=text/vcard).
- Broken: an SMS posted to the same webhook, an empty body, fields removed by hand, and the
  invalid status of nyaruka/courier's handlers/twiml tests.

No list-picker reply: we found no Twilio page naming its fields (ListId/ListTitle appear only in
third-party code), so there is no sample for it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest

from bot.channels.base import Inbound
from bot.channels.whatsapp.payloads import MalformedWebhook, parse_message, parse_status

PAYLOADS = Path(__file__).parent / "payloads"
WEBHOOK = "https://www.twilio.com/docs/messaging/guides/webhook-request"
WHATSAPP = "https://www.twilio.com/docs/whatsapp/api"
STATUS = "https://www.twilio.com/docs/messaging/guides/track-outbound-message-status"
CALLING = "Twilio: WhatsApp Business Calling with Twilio Programmable Voice"
JAN = "whatsapp:+50937000001"
MARI = "whatsapp:+50937000002"


def form(name: str) -> dict[str, str]:
    """The stored body, parsed as the gateway parses Twilio's form (blank values kept)."""
    body = (PAYLOADS / f"{name}.form").read_text(encoding="ascii").strip()
    return dict(parse_qsl(body, keep_blank_values=True))


def message(
    sid: str, text: str, *, readable: bool = True, address: str = JAN
) -> tuple[str, Inbound]:
    return sid, Inbound("whatsapp", address, text, readable=readable)


def row(name: str, source: str, parse: Callable[..., Any], expected: Any) -> Any:
    """One case: the sample's file name (also the test id), the documentation it follows
    (`source`, for the reader), the parser it goes to and what comes out, or the exception."""
    return pytest.param(name, parse, expected, id=name)


CASES = [
    # --- text --------------------------------------------------------------------------------
    row(
        "text",
        WEBHOOK,
        parse_message,
        message("SM5553b99c7ead4b2b0d727831d8cfa7ed", "Hello, I need help. They took my passport."),
    ),
    row(
        "text-kreyol",
        WEBHOOK,
        parse_message,
        message(
            "SMd260597448a5d63db9c0672ea274d007",
            "Bonjou, m bezwen èd. Yo pran paspò m nan Necoclí 🙏",
            address=MARI,
        ),
    ),
    row(  # leading spaces and the final newline go; the newline inside stays
        "text-multiline",
        WEBHOOK,
        parse_message,
        message("SMd1441c6d5517763b2f5f9b53de0dce75", "Bonjou\nM nan Necoclí, ki kote pou m ale?"),
    ),
    row(  # a swipe-reply to one of our messages: the quoted message is not read
        "reply-to-message",
        WHATSAPP,
        parse_message,
        message("SM19f2c14643584ad0a6873e78d6ba4f20", "2"),
    ),
    row(  # Twilio adds fields without notice
        "unknown-extra-field",
        WEBHOOK,
        parse_message,
        message("SM36c53bfd0126703fa735994e0a902253", "menu"),
    ),
    row(  # the deprecated SmsMessageSid is enough when MessageSid is absent
        "sid-from-sms-message-sid",
        WEBHOOK,
        parse_message,
        message("SMed90126227fc392ed569ff1fefeb6f30", "Bonjou"),
    ),
    # --- media: unreadable unless captioned ---------------------------------------------------
    row(
        "image",
        WEBHOOK,
        parse_message,
        message("MM34d3059b2a3fcd2bd8ca2c494422cc62", "", readable=False),
    ),
    row(
        "image-with-caption",
        WEBHOOK,
        parse_message,
        message("MM4355bc4db37105a8ad992142fb2d3ef9", "Sa se papye yo ban m nan"),
    ),
    row(
        "voice-note",
        WEBHOOK,
        parse_message,
        message("MM49602a006651ee47711c770f20d6ee42", "", readable=False),
    ),
    row(
        "document",
        WEBHOOK,
        parse_message,
        message("MM369ded3af2a256b0823d63a8a93897b0", "", readable=False),
    ),
    row(
        "sticker",
        WEBHOOK,
        parse_message,
        message("MM596e4bc037fdd97aaade5598c45df40b", "", readable=False),
    ),
    row(
        "contacts",
        WEBHOOK,
        parse_message,
        message("MMe48b9ccfe7e39d9bc9c20fce88a6c30c", "", readable=False),
    ),
    row(
        "location",
        WEBHOOK,
        parse_message,
        message("SM936f625fa39d5f287a668e1c5b44fa27", "", readable=False),
    ),
    row(  # a named place: Address and Label are not read as text
        "location-named",
        WEBHOOK,
        parse_message,
        message("SM6aa3cd377abf007a5ffec50601c3f6b7", "", readable=False),
    ),
    # --- taps: the payload, not the title ----------------------------------------------------
    row(
        "quick-reply-tap",
        WHATSAPP,
        parse_message,
        message("SMf1ca9fe82cecbb032e6e60378a6d06e9", "/trafficking"),
    ),
    row(
        "template-button-tap",
        WHATSAPP,
        parse_message,
        message("SM4c6e8eff5393cf7d1704cdd1644c750c", "/affirm"),
    ),
    row(  # a "may we call you?" answer: its ButtonPayload wins over Body like any tap
        "call-permission-reply",
        CALLING,
        parse_message,
        message("SM15b9a79df6b214d422a68ad6a0383dae", "REJECTED"),
    ),
    # --- status callbacks ----------------------------------------------------------------------
    row("status-delivered", STATUS, parse_status, "delivered"),
    row("status-read", STATUS, parse_status, "read"),
    row("status-failed", STATUS, parse_status, "failed"),
    row("status-undelivered", STATUS, parse_status, "undelivered"),
    # --- broken: answered 400 ----------------------------------------------------------------
    row("broken-empty", WEBHOOK, parse_message, MalformedWebhook),
    row("broken-no-message-sid", WEBHOOK, parse_message, MalformedWebhook),
    row("broken-sms-not-whatsapp", WEBHOOK, parse_message, MalformedWebhook),
    row("broken-status-unknown", STATUS, parse_status, MalformedWebhook),
    row("broken-status-missing", STATUS, parse_status, MalformedWebhook),
]


@pytest.mark.parametrize(("name", "parse", "expected"), CASES)
def test_payload(name: str, parse: Callable[..., Any], expected: Any) -> None:
    if expected is MalformedWebhook:
        with pytest.raises(MalformedWebhook):
            parse(form(name))
    else:
        assert parse(form(name)) == expected


MESSAGES = [p.values[0] for p in CASES if p.values[1] is parse_message]


@pytest.mark.parametrize("name", MESSAGES)
def test_a_message_is_never_taken_for_a_delivery_status(name: str) -> None:
    """Inbound messages carry SmsStatus=received: posted to the status route, they are refused."""
    with pytest.raises(MalformedWebhook):
        parse_status(form(name))


def test_every_stored_payload_is_in_the_table() -> None:
    stored = {path.stem for path in PAYLOADS.glob("*.form")}
    assert stored == {p.values[0] for p in CASES}
