"""The outbox's WhatsApp sender: Twilio's Messages API (base URL from TWILIO_API_BASE).

Errors become the outbox's decision: 429 (after Twilio's Retry-After) and 5xx wait and retry,
other refusals (an invalid number, a rejected template) are given up; a connection never made
is retried as "not sent", one lost after the request was written as an unknown outcome
(bot/outbox/worker.py says what that means). https://www.twilio.com/docs/api/errors
"""

from __future__ import annotations

import json
import threading
from typing import Any

import requests
from starlette.concurrency import run_in_threadpool
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client
from urllib3.exceptions import MaxRetryError, NewConnectionError

from bot.channels.base import SendError
from bot.channels.whatsapp import CHANNEL

# requests' (connect, read) timeouts: Twilio's own client waits forever by default, and a send
# must end well inside the outbox's lease.
TIMEOUTS = (5.0, 20.0)


class _HttpClient(TwilioHttpClient):
    """Twilio's HTTP client, keeping each thread's last response: TwilioRestException drops
    the headers, and a 429's Retry-After is one of them."""

    def __init__(self) -> None:
        super().__init__()
        self.timeout = TIMEOUTS  # type: ignore[assignment] - requests takes the pair
        self._last = threading.local()

    def request(self, *args: Any, **kwargs: Any) -> Response:
        self._last.response = None
        response = super().request(*args, **kwargs)
        self._last.response = response
        return response

    def retry_after(self) -> float | None:
        response = getattr(self._last, "response", None)
        value = (response.headers or {}).get("Retry-After") if response is not None else None
        try:
            return float(value) if value is not None else None
        except ValueError:  # an HTTP date: the backoff decides instead
            return None


def transport_error(error: requests.RequestException) -> SendError:
    """A request that got no answer: was it ever written? Only then may Twilio have it."""
    if isinstance(error, requests.ConnectTimeout):
        return SendError("connect timeout", retryable=True)
    if isinstance(error, requests.ReadTimeout):
        return SendError("read timeout", retryable=True)
    if isinstance(error, requests.ConnectionError):
        reason = (
            error.args[0].reason
            if error.args and isinstance(error.args[0], MaxRetryError)
            else None
        )
        if isinstance(reason, NewConnectionError):
            return SendError("connect error", retryable=True)
        return SendError("connection lost", retryable=True)
    return SendError(type(error).__name__, retryable=True)


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
        self._http = _HttpClient()
        self._client = Client(account_sid, auth_token, http_client=self._http)
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

    def _send(self, address: str, payload: dict[str, Any]) -> None:
        """In a worker thread, so that the Retry-After read is this request's."""
        try:
            self._create(address, payload)
        except TwilioRestException as error:
            retryable = error.status == 429 or error.status >= 500
            wait = self._http.retry_after() if error.status == 429 else None
            raise SendError(
                f"twilio {error.status}", retryable=retryable, retry_after=wait
            ) from error
        except requests.RequestException as error:
            raise transport_error(error) from error
        except TwilioException as error:
            raise SendError(type(error).__name__, retryable=True) from error

    async def send(self, address: str, payload: dict[str, Any]) -> None:
        await run_in_threadpool(self._send, address, payload)
