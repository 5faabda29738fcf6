"""Request bodies capped before any route reads them, per route: 413 and nothing processed.

Neither uvicorn nor Starlette caps a body (Starlette caps one form field, not the body), so a
client could make the gateway hold any amount in memory or spool it to disk. This ASGI
middleware refuses an announced Content-Length above the route's limit before reading a byte,
and reads a body sent without one (chunked) only up to the limit, then hands it on whole.
Each limit is the owner's (a channel knows its payloads): bot/web/app.py passes the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BYTES = 64 * 1024  # any route not in the table: GET pages, /healthz


@dataclass(frozen=True)
class BodyLimits:
    """The largest body each path prefix takes; the longest matching prefix wins."""

    by_prefix: Mapping[str, int]
    default: int = DEFAULT_MAX_BYTES

    def for_path(self, path: str) -> int:
        matching = [
            prefix
            for prefix in self.by_prefix
            if path == prefix or path.startswith(prefix.rstrip("/") + "/")
        ]
        return self.by_prefix[max(matching, key=len)] if matching else self.default


class LimitBodies:
    """The middleware: `app.add_middleware(LimitBodies, limits=BodyLimits({...}))`."""

    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.for_path(scope["path"])
        declared = _content_length(scope)
        if declared == "invalid":
            await _refuse(400, "Content-Length must be a number of bytes", scope, receive, send)
        elif declared is not None:
            # The server holds the client to its announced length (h11 frames the body).
            if declared > limit:
                await _refuse(413, _too_large(limit), scope, receive, send)
            else:
                await self.app(scope, receive, send)
        else:
            body = await _read_at_most(receive, limit)
            if body is None:
                await _refuse(413, _too_large(limit), scope, receive, send)
            else:
                await self.app(scope, _replay(body, receive), send)


def _content_length(scope: Scope) -> int | str | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else "invalid"
    return None


async def _read_at_most(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None as soon as it passes `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client left: nothing to answer
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body read here, once; then the client's own messages (a disconnect)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


def _too_large(limit: int) -> str:
    return f"request body too large: at most {limit} bytes here"


async def _refuse(status: int, reason: str, scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse(reason, status_code=status)(scope, receive, send)
