"""WhatsApp through Twilio: webhook form → Inbound, replies → WhatsApp messages.

Limits that shape the rendering (Twilio and WhatsApp documentation, docs/channels.md):
a body of at most 1,600 characters; quick-reply buttons (at most 3, titles of at most 20
characters) and list pickers (at most 10 rows of 24) exist only as pre-approved content
templates. Without a template, options become numbered lines the person answers with a digit.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from starlette.concurrency import run_in_threadpool
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse

from bot.channels.base import Inbound, SendError
from bot.channels.splitting import split_message
from bot.replies import Button, Reply
from bot.store.db import as_utc

CHANNEL = "whatsapp"
BODY_LIMIT = 1600
TEMPLATE_BODY_LIMIT = 1024
QUICK_REPLY = ("quick-reply", 3, 20)  # kind, most options, longest title
LIST_PICKER = ("list-picker", 10, 24)
WINDOW = dt.timedelta(hours=24)
DELIVERY_STATUSES = frozenset(
    {"queued", "sending", "sent", "delivered", "read", "undelivered", "failed", "receiving"}
)
# What Twilio says a message holds when it is not text we can read.
_UNREADABLE_TYPES = frozenset(
    {"image", "audio", "video", "document", "sticker", "location", "contacts", "reaction"}
)
_BULLET = re.compile(r"^- ", re.MULTILINE)


class MalformedWebhook(ValueError):
    """The form lacks what every Twilio message webhook carries; answered with 400."""


def signature_url(public_base_url: str | None, request_url: str, path_and_query: str) -> str:
    """The URL Twilio signed: the public one behind a proxy, else the one we were called at."""
    if public_base_url:
        return public_base_url.rstrip("/") + path_and_query
    return request_url


def is_signed(auth_token: str | None, url: str, form: Mapping[str, str], signature: str) -> bool:
    if not auth_token or not signature:
        return False
    return bool(RequestValidator(auth_token).validate(url, dict(form), signature))


def _media_count(form: Mapping[str, str]) -> int:
    try:
        return int(form.get("NumMedia") or 0)
    except ValueError:
        return 0


def parse_message(form: Mapping[str, str]) -> tuple[str, Inbound]:
    """The MessageSid and the message; a button tap carries its payload as the text."""
    sid = (form.get("MessageSid") or form.get("SmsMessageSid") or "").strip()
    address = (form.get("From") or "").strip()
    if not sid or not address.startswith("whatsapp:"):
        raise MalformedWebhook("MessageSid and a whatsapp: From are required")
    tapped = form.get("ButtonPayload") or form.get("ListId")
    body = (tapped or form.get("Body") or "").strip()
    kind = (form.get("MessageType") or "").lower()
    unreadable = (
        _media_count(form) > 0 or "Latitude" in form or kind in _UNREADABLE_TYPES
    ) and not body
    return sid, Inbound(CHANNEL, address, body, readable=not unreadable)


def parse_status(form: Mapping[str, str]) -> str:
    status = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip().lower()
    if status not in DELIVERY_STATUSES:
        raise MalformedWebhook("MessageStatus is missing or unknown")
    return status


def to_whatsapp_text(text: str) -> str:
    """Our Markdown subset is WhatsApp's already (*bold*); bullets get a bullet sign."""
    return _BULLET.sub("• ", text.strip())


def numbered(buttons: list[Button], first: int, hint: str) -> str:
    lines = [f"{first + i}. {button.title}" for i, button in enumerate(buttons)]
    return "\n".join([hint, *lines])


@dataclass(frozen=True)
class Renderer:
    """Replies → message payloads: {"body": ...} or {"content_sid": ..., "content_variables"}.

    `templates` maps "quick-reply:3" or "list-picker:7" to a content SID; templates can only be
    sent through the Messages API, so the TwiML mode passes none and numbers the options.
    """

    templates: Mapping[str, str]

    def render(self, replies: list[Reply], options_hint: str) -> list[dict[str, Any]]:
        payloads: list[dict[str, Any]] = []
        numbered_so_far = 0
        for reply in replies:
            text = to_whatsapp_text(reply.text)
            template = self._template_for(reply.buttons)
            if template is not None:
                payloads.extend(self._with_template(template, text, reply.buttons, options_hint))
                numbered_so_far += len(reply.buttons)
                continue
            if reply.buttons:
                options = numbered(reply.buttons, numbered_so_far + 1, options_hint)
                text = f"{text}\n\n{options}" if text else options
                numbered_so_far += len(reply.buttons)
            payloads.extend({"body": part} for part in split_message(text, BODY_LIMIT) if part)
        return payloads

    def _template_for(self, buttons: list[Button]) -> str | None:
        if not buttons:
            return None
        for kind, most, longest in (QUICK_REPLY, LIST_PICKER):
            fits = len(buttons) <= most and all(len(b.title) <= longest for b in buttons)
            sid = self.templates.get(f"{kind}:{len(buttons)}")
            if fits and sid:
                return sid
        return None

    @staticmethod
    def _with_template(
        sid: str, text: str, buttons: list[Button], hint: str
    ) -> list[dict[str, Any]]:
        """Variables: {{1}} the body, then each option's title and id ({{2}}, {{3}}, ...)."""
        before: list[dict[str, Any]] = []
        if len(text) > TEMPLATE_BODY_LIMIT:
            before = [{"body": part} for part in split_message(text, BODY_LIMIT)]
            text = hint
        variables = {"1": text or hint}
        for i, button in enumerate(buttons):
            variables[str(2 + 2 * i)] = button.title
            variables[str(3 + 2 * i)] = button.payload
        return [*before, {"content_sid": sid, "content_variables": variables}]


def twiml(payloads: list[dict[str, Any]]) -> str:
    """The webhook's answer in TwiML mode; an empty <Response/> sends nothing."""
    response = MessagingResponse()
    for payload in payloads:
        if "body" in payload:
            response.message(payload["body"])
    return str(response)


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


class TwilioSender:
    """Sends outbox payloads through Twilio's Messages API (base URL from TWILIO_API_BASE)."""

    channel = CHANNEL

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        sender: str,
        api_base: str,
        status_callback: str | None,
    ) -> None:
        self._client = Client(account_sid, auth_token)
        # Every Messages API call goes through this domain object's base URL.
        self._client.api.base_url = api_base.rstrip("/")
        self._from = sender
        self._status_callback = status_callback

    def _create(self, address: str, payload: dict[str, Any]) -> None:
        arguments: dict[str, Any] = {"to": address, "from_": self._from}
        if self._status_callback:
            arguments["status_callback"] = self._status_callback
        if "content_sid" in payload:
            arguments["content_sid"] = payload["content_sid"]
            arguments["content_variables"] = json.dumps(payload.get("content_variables") or {})
        else:
            arguments["body"] = payload.get("body", "")
        self._client.messages.create(**arguments)

    async def send(self, address: str, payload: dict[str, Any]) -> None:
        try:
            await run_in_threadpool(self._create, address, payload)
        except TwilioRestException as error:
            retryable = error.status == 429 or error.status >= 500
            raise SendError(f"twilio {error.status}", retryable=retryable) from error
        except (requests.RequestException, TwilioException) as error:
            raise SendError(type(error).__name__, retryable=True) from error
