"""The outbox's WhatsApp sender: Twilio's Messages API (base URL from TWILIO_API_BASE).

Errors become the outbox's decision: 429 and 5xx wait and retry, other refusals (an invalid
number, a rejected template) are given up. https://www.twilio.com/docs/api/errors
"""

from __future__ import annotations

import json
from typing import Any

import requests
from starlette.concurrency import run_in_threadpool
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from bot.channels.base import SendError
from bot.channels.whatsapp import CHANNEL


class TwilioSender:
    """Sends outbox payloads ({"body"} or {"content_sid", "content_variables"})."""

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
