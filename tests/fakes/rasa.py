"""Rasa's REST channel, faked for tests that are about the gateway, not the model: records what
the gateway sends and answers `reply(message)`; `up = False` is a Rasa that is down (503 on
every route), as while it loads its model or after a crash. Also the one route of Rasa's HTTP
API the gateway calls: PUT /conversations/{id}/tracker/events (the erasure of a tracker)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
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
    forgotten: list[str] = field(default_factory=list)  # senders whose tracker was emptied

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

        async def replace_events(request: Request) -> Response:
            if not self.up:
                return PlainTextResponse("down", status_code=503)
            if await request.json() != []:
                return JSONResponse({"error": "the gateway only ever empties a tracker"}, 400)
            self.forgotten.append(request.path_params["sender"])
            return JSONResponse({"sender_id": request.path_params["sender"], "events": []})

        return Starlette(
            routes=[
                Route("/", hello, methods=["GET"]),
                Route("/webhooks/rest/webhook", webhook, methods=["POST"]),
                Route("/conversations/{sender}/tracker/events", replace_events, methods=["PUT"]),
            ]
        )

    def messages(self) -> list[str]:
        return [c["message"] for c in self.calls]
