"""An app that answers with the pid of the worker that served the request (tests of
bot/web/workers.py: which worker took which connection)."""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def _pid(_request: object) -> PlainTextResponse:
    return PlainTextResponse(str(os.getpid()))


def create_app() -> Starlette:
    return Starlette(routes=[Route("/", _pid)])
