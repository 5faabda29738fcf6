"""Talks to the Rasa server over its REST channel: Rasa is a server, not a library (README).

Rasa's answer is a list of messages. Besides text and buttons, a message may carry a `custom`
object under `gateway` (bot/replies.py GATEWAY_KEY): the NLG endpoint names the topic it
answered, and the actions ask for state changes (`set_language`, `forget`). Rasa relays a
response's `custom` after its text (rasa/core/channels/channel.py `send_response`), so the
gateway reads what Rasa decided without the NLG endpoint or the actions writing the store.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from bot import observability
from bot.replies import GATEWAY_KEY, Reply

log = logging.getLogger(__name__)


class RasaUnavailable(RuntimeError):
    """Rasa did not answer, or answered with something that is not a list of messages."""


@dataclass(frozen=True)
class RasaAnswer:
    replies: list[Reply] = field(default_factory=list)
    set_language: str | None = None  # the person asked for this language
    forget: bool = False  # the person asked to delete their data


_ABOUT_REPLY = ("topic", "response", "card")


def _about_reply(said: dict[str, Any]) -> dict[str, str]:
    return {key: said[key] for key in _ABOUT_REPLY if isinstance(said.get(key), str)}


def parse_messages(messages: list[Any]) -> RasaAnswer:
    """The REST channel's list of messages as replies and the gateway's instructions."""
    replies: list[Reply] = []
    instructions: dict[str, Any] = {}
    for message in messages:
        if not isinstance(message, dict):
            continue
        custom = message.get("custom")
        said = custom.get(GATEWAY_KEY) if isinstance(custom, dict) else None
        if isinstance(said, dict):
            if replies:  # relayed right after its own text
                replies[-1] = replace(replies[-1], **_about_reply(said))
            instructions.update({k: v for k, v in said.items() if k not in _ABOUT_REPLY})
        if message.get("text") or message.get("buttons"):
            replies.append(Reply.from_rasa(message))
    language = instructions.get("set_language")
    return RasaAnswer(
        replies=replies,
        set_language=language if isinstance(language, str) else None,
        forget=instructions.get("forget") is True,
    )


class RasaClient:
    def __init__(
        self,
        base_url: str,
        http: httpx.AsyncClient,
        timeout: float,
        api_token: str | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._url = self._base + "/webhooks/rest/webhook"
        self._http = http
        self._timeout = timeout
        self._api_token = api_token

    async def forget(self, sender: str) -> None:
        """Empty the sender's tracker (its events hold every message the model was sent):
        Rasa's own API replaces the conversation's events with none. Raises RasaUnavailable
        if Rasa did not do it, so that nothing is said to be erased."""
        url = f"{self._base}/conversations/{sender}/tracker/events"
        params = {"token": self._api_token} if self._api_token else None
        try:
            response = await self._http.put(url, json=[], params=params, timeout=self._timeout)
            response.raise_for_status()
        except httpx.HTTPError as error:
            log.warning("Rasa did not erase a tracker: %s", type(error).__name__)
            raise RasaUnavailable from error

    @observability.timed(observability.RASA, failure="unavailable")
    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> RasaAnswer:
        """`metadata` reaches the NLG endpoint in the tracker (the latest user event)."""
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
        return parse_messages(messages)
