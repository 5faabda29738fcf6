"""Rasa's REST channel, faked for tests that are about the gateway, not the model: records what
the gateway sends and answers `reply(message)`; `up = False` is a Rasa that is down (503 on
every route), as while it loads its model or after a crash."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route


@dataclass
class FakeRasa:
    """Rasa's REST channel: records what the gateway sends, answers `reply(message)`."""

    calls: list[dict[str, Any]]
    reply: Callable[[str], list[dict[str, Any]]]
    up: bool = True

    def app(self) -> Starlette:
        async def webhook(request: Request) -> Response:
            if not self.up:
                return PlainTextResponse("down", status_code=503)
            body = await request.json()
            self.calls.append(body)
            return JSONResponse(self.reply(body["message"]))

        async def hello(_request: Request) -> PlainTextResponse:
            if not self.up:
                return PlainTextResponse("down", status_code=503)
            return PlainTextResponse("Hello from Rasa: 3.6.21")  # what Rasa's GET / says

        return Starlette(
            routes=[
                Route("/", hello, methods=["GET"]),
                Route("/webhooks/rest/webhook", webhook, methods=["POST"]),
            ]
        )

    def messages(self) -> list[str]:
        return [c["message"] for c in self.calls]
