"""Talks to the Rasa server over its REST channel: Rasa is a server, not a library (README)."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from bot.replies import Reply

log = logging.getLogger(__name__)


class RasaUnavailable(RuntimeError):
    """Rasa did not answer, or answered with something that is not a list of messages."""


class RasaClient:
    def __init__(self, base_url: str, http: httpx.AsyncClient, timeout: float) -> None:
        self._url = base_url.rstrip("/") + "/webhooks/rest/webhook"
        self._http = http
        self._timeout = timeout

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[Reply]:
        body = {"sender": sender, "message": text, "metadata": metadata}
        try:
            response = await self._http.post(self._url, json=body, timeout=self._timeout)
            response.raise_for_status()
            messages = response.json()
        except (httpx.HTTPError, ValueError) as error:
            # The error's class only: its text may quote the URL or the message.
            log.warning("Rasa unavailable: %s", type(error).__name__)
            raise RasaUnavailable from error
        if not isinstance(messages, list):
            raise RasaUnavailable("unexpected Rasa response shape")
        return [Reply.from_rasa(m) for m in messages if isinstance(m, dict)]
