"""Talks to the Rasa server over its REST channel: Rasa is a server, not a library (README).

Rasa's answer is a list of messages. Besides text and buttons, a message may carry a `custom`
object under `gateway` (bot/replies.py GATEWAY_KEY): the NLG endpoint names the topic it
answered, and the actions ask for state changes (`set_language`, `forget`). Rasa relays a
response's `custom` after its text (rasa/core/channels/channel.py `send_response`), so the
gateway reads what Rasa decided without the NLG endpoint or the actions writing the store.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
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
    """One or several Rasa instances, taken in turn (the gateway's own round-robin).

    Several instances share one tracker store (PostgreSQL) and one lock store (Redis), so any
    of them can answer any person (`make stack` runs two). A message goes to the next instance;
    if that one refuses the connection (killed, restarting, still loading), the next is tried,
    because such a request never reached a Rasa. Any later failure (a timeout, a 500) is not
    retried elsewhere: that Rasa may have taken the message into the person's tracker, and a
    second instance would take it twice. Why not a load balancer in front: it would need to
    know the same thing, and one process fewer is one thing fewer to page someone about."""

    def __init__(
        self,
        base_url: str | Sequence[str],
        http: httpx.AsyncClient,
        timeout: float,
        api_token: str | None = None,
    ) -> None:
        bases = [base_url] if isinstance(base_url, str) else list(base_url)
        self._bases = [base.rstrip("/") for base in bases if base.strip()]
        if not self._bases:
            raise ValueError("RasaClient needs at least one Rasa URL")
        self._turn = itertools.count()
        self._http = http
        self._timeout = timeout
        self._api_token = api_token

    @property
    def base_urls(self) -> list[str]:
        return list(self._bases)

    def _in_turn(self) -> list[str]:
        """Every instance once, starting with the next one in the rotation."""
        start = next(self._turn) % len(self._bases)
        return self._bases[start:] + self._bases[:start]

    async def _request(self, method: str, path: str, **request: Any) -> httpx.Response:
        """`method path` on the first instance in turn that accepts the connection."""
        refused: httpx.ConnectError | None = None
        for base in self._in_turn():
            try:
                return await self._http.request(
                    method, base + path, timeout=self._timeout, **request
                )
            except httpx.ConnectError as error:  # never reached this Rasa: try the next
                refused = error
        assert refused is not None  # noqa: S101 - at least one base, each refused
        raise refused

    async def forget(self, sender: str) -> None:
        """Empty the sender's tracker (its events hold every message the model was sent):
        Rasa's own API replaces the conversation's events with none. Raises RasaUnavailable
        if Rasa did not do it, so that nothing is said to be erased."""
        params = {"token": self._api_token} if self._api_token else None
        try:
            response = await self._request(
                "PUT", f"/conversations/{sender}/tracker/events", json=[], params=params
            )
            response.raise_for_status()
        except httpx.HTTPError as error:
            log.warning("Rasa did not erase a tracker: %s", type(error).__name__)
            raise RasaUnavailable from error

    @observability.timed(observability.RASA, failure="unavailable")
    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> RasaAnswer:
        """`metadata` reaches the NLG endpoint in the tracker (the latest user event)."""
        body = {"sender": sender, "message": text, "metadata": metadata}
        try:
            response = await self._request("POST", "/webhooks/rest/webhook", json=body)
            response.raise_for_status()
            messages = response.json()
        except (httpx.HTTPError, ValueError) as error:
            # The error's class only: its text may quote the URL or the message.
            log.warning("Rasa unavailable: %s", type(error).__name__)
            raise RasaUnavailable from error
        if not isinstance(messages, list):
            raise RasaUnavailable("unexpected Rasa response shape")
        return parse_messages(messages)
