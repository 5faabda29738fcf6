"""Signed Twilio webhooks for tests: the form Twilio posts and the signature it computes."""

from __future__ import annotations

import itertools

import httpx
from twilio.request_validator import RequestValidator

AUTH_TOKEN = "test-twilio-auth-token"
ACCOUNT_SID = "AC" + "0" * 32
PERSON = "whatsapp:+50937000001"
OUR_NUMBER = "whatsapp:+14155238886"
_sids = itertools.count(1)


def message_form(body: str | None = "", sender: str = PERSON, **extra: str) -> dict[str, str]:
    """What Twilio posts for an incoming WhatsApp message (text unless `extra` says media)."""
    form = {
        "SmsMessageSid": "",
        "NumMedia": "0",
        "ProfileName": "Test",
        "MessageType": "text",
        "WaId": sender.removeprefix("whatsapp:+"),
        "SmsStatus": "received",
        "To": OUR_NUMBER,
        "NumSegments": "1",
        "ReferralNumMedia": "0",
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }
    sid = f"SM{next(_sids):032x}"
    form.update({"MessageSid": sid, "SmsMessageSid": sid})
    if body is not None:
        form["Body"] = body
    form.update(extra)
    return form


def signature(url: str, form: dict[str, str], token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, form)


def post_signed(
    client: httpx.Client, form: dict[str, str], path: str = "/webhooks/whatsapp"
) -> httpx.Response:
    """Posted as Twilio does, signed for the URL the client calls."""
    url = str(client.base_url).rstrip("/") + path
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature(url, form)})
