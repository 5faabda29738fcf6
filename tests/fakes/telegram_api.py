"""A fake Telegram Bot API: the methods we call, answered the way api.telegram.org does.

https://core.telegram.org/bots/api#making-requests: `POST /bot<token>/<method>`, parameters
form-encoded (python-telegram-bot sends objects such as reply_markup as JSON strings), answers
`{"ok": true, "result": ...}` or `{"ok": false, "error_code": ..., "description": ...}`.
Every call but getUpdates is recorded (path = "/<method>", json = decoded parameters);
getUpdates serves the updates queued with `queue_update`, for the polling test.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.server import FailurePlan, Recorded, Recorder, serve

TOKEN = "123456789:TEST-token_for-the-fake-bot-api"
BOT_USER = {
    "id": 123456789,
    "is_bot": True,
    "first_name": "Route assistant",
    "username": "route_test_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
# https://core.telegram.org/bots/api#responseparameters and the usual descriptions.
_DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    403: "Forbidden: bot was blocked by the user",
    429: "Too Many Requests: retry after {retry_after}",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


def _decode(value: str) -> Any:
    if value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


@dataclass
class FakeTelegram:
    token: str = TOKEN
    url: str = ""
    recorder: Recorder = field(default_factory=Recorder)
    updates: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _message_id: int = 0

    # --- for tests ---

    def queue_update(self, update: dict[str, Any]) -> None:
        with self.lock:
            self.updates.append(update)

    def calls(self, method: str) -> list[dict[str, Any]]:
        """The parameters of every recorded call to `method`, in order."""
        with self.recorder.lock:
            return [r.json for r in self.recorder.requests if r.path == f"/{method}"]

    def wait_for_calls(self, method: str, count: int, timeout: float = 30.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.calls(method)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"expected {count} {method} calls, got {self.calls(method)}")

    def settle(self, method: str, seconds: float = 0.5) -> list[dict[str, Any]]:
        """The calls once nothing more arrives for `seconds` (to assert "exactly n")."""
        seen = -1
        while len(self.calls(method)) != seen:
            seen = len(self.calls(method))
            time.sleep(seconds)
        return self.calls(method)

    def clear(self) -> None:
        self.recorder.clear()
        with self.lock:
            self.updates.clear()

    # --- the API ---

    def app(self) -> Starlette:
        return Starlette(
            routes=[Route("/bot{token}/{method}", self._call, methods=["GET", "POST"])]
        )

    async def _params(self, request: Request) -> dict[str, Any]:
        if request.headers.get("content-type", "").startswith("application/json"):
            body = await request.json()
            return body if isinstance(body, dict) else {}
        form = await request.form()
        params = {key: _decode(str(value)) for key, value in form.items()}
        params.update({key: _decode(value) for key, value in request.query_params.items()})
        return params

    async def _call(self, request: Request) -> JSONResponse:
        if request.path_params["token"] != self.token:
            return self._fail(FailurePlan(1, 401), "Unauthorized")
        method = request.path_params["method"]
        params = await self._params(request)
        if method == "getUpdates":
            return await self._get_updates(params)
        plan = self.recorder.record(
            Recorded(
                method=request.method,
                path=f"/{method}",
                headers=dict(request.headers),
                form={k: str(v) for k, v in params.items()},
                json=params,
            )
        )
        if plan is not None:
            return self._fail(plan)
        if method == "getMe":
            return self._ok(BOT_USER)
        if method == "sendMessage":
            return self._ok(self._sent_message(params))
        if method in {"answerCallbackQuery", "setWebhook", "deleteWebhook", "setMyCommands"}:
            return self._ok(True)
        return self._fail(FailurePlan(1, 404), "Not Found: method not found")

    def _sent_message(self, params: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self._message_id += 1
            message_id = self._message_id
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": int(params.get("chat_id", 0)), "type": "private"},
            "from": BOT_USER,
            "text": params.get("text", ""),
        }

    async def _get_updates(self, params: dict[str, Any]) -> JSONResponse:
        """Long polling, shortened: waits up to half a second for a queued update."""
        offset = int(params.get("offset") or 0)
        for _ in range(10):
            with self.lock:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
                ready = list(self.updates)
            if ready:
                return self._ok(ready)
            await asyncio.sleep(0.05)
        return self._ok([])

    @staticmethod
    def _ok(result: Any) -> JSONResponse:
        return JSONResponse({"ok": True, "result": result})

    @staticmethod
    def _fail(plan: FailurePlan, description: str | None = None) -> JSONResponse:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": plan.status,
            "description": description
            or _DESCRIPTIONS.get(plan.status, "Error").format(retry_after=plan.retry_after),
        }
        if plan.retry_after is not None:
            body["parameters"] = {"retry_after": plan.retry_after}
        return JSONResponse(body, status_code=plan.status)


@contextmanager
def fake_telegram(token: str = TOKEN) -> Iterator[FakeTelegram]:
    """A running fake Bot API; its `url` is what TELEGRAM_API_BASE points at."""
    fake = FakeTelegram(token=token)
    with serve(fake.app()) as url:
        fake.url = url
        yield fake


# --- real-shaped updates (https://core.telegram.org/bots/api#update) ---------------------------

_update_ids = itertools.count(10_000)


def new_update_id() -> int:
    return next(_update_ids)


_chat_ids = itertools.count(700_000_001)


def new_chat() -> int:
    return next(_chat_ids)


def person(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Jean", "language_code": "fr"}


def message(chat_id: int, chat_type: str = "private", **content: Any) -> dict[str, Any]:
    chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
    if chat_type == "private":
        chat["first_name"] = "Jean"
    else:
        chat["title"] = "Migrants Necoclí"
    text = content.get("text", "")
    if text.startswith("/"):
        command = text.split()[0]
        content["entities"] = [{"offset": 0, "length": len(command), "type": "bot_command"}]
    return {
        "message_id": 41,
        "from": person(chat_id),
        "chat": chat,
        "date": int(time.time()),
        **content,
    }


def text_update(chat_id: int, text: str, chat_type: str = "private") -> dict[str, Any]:
    return {"update_id": next(_update_ids), "message": message(chat_id, chat_type, text=text)}


def callback_update(chat_id: int, data: str, chat_type: str = "private") -> dict[str, Any]:
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": f"cbq-{chat_id}",
            "from": person(chat_id),
            "message": message(chat_id, chat_type, text="Choose a topic"),
            "chat_instance": "-4242",
            "data": data,
        },
    }
