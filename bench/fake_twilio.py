"""Twilio's Messages API as the bench needs it: every accepted message recorded with the moment
it arrived, and a seeded share of sends refused with 500 or 429 (with Retry-After), as
Twilio does on a bad day. A refused send was not taken: it is not recorded, so a message the
gateway never manages to send shows up as lost, and one it sends twice as a duplicate.

Its own small app rather than tests/fakes/twilio_api.py: the bench needs arrival times and a
per-address index, read thousands of times a second by the simulated people."""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.server import serve

ACCOUNT_SID = "AC" + "b" * 32
AUTH_TOKEN = "bench-twilio-auth-token"
OUR_NUMBER = "whatsapp:+14155238886"


@dataclass(frozen=True)
class Delivered:
    body: str
    at: float  # time.monotonic() when Twilio took it


@dataclass
class Inbox:
    """What each WhatsApp address received, in the order Twilio took it."""

    fail_share: float = 0.0
    rng: random.Random = field(default_factory=lambda: random.Random(19))
    by_address: dict[str, list[Delivered]] = field(default_factory=lambda: defaultdict(list))
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, address: str, body: str) -> int | None:
        """Record one send, or return the status to refuse it with."""
        with self.lock:
            if self.rng.random() < self.fail_share:
                self.refused += 1
                return 429 if self.rng.random() < 0.3 else 500
            self.by_address[address].append(Delivered(body, time.monotonic()))
            return None

    def received(self, address: str) -> list[Delivered]:
        with self.lock:
            return list(self.by_address.get(address, ()))


def _app(inbox: Inbox) -> Starlette:
    numbers = iter(range(1, 10**9))

    async def create_message(request: Request) -> JSONResponse:
        form = await request.form()
        address, body = str(form.get("To", "")), str(form.get("Body", ""))
        status = inbox.take(address, body)
        if status == 429:
            return JSONResponse(
                {"code": 20429, "message": "Too Many Requests", "status": 429},
                429,
                headers={"Retry-After": "1"},
            )
        if status is not None:
            return JSONResponse({"code": 20500, "message": "Internal error", "status": 500}, 500)
        sid = f"SM{next(numbers):032d}"
        return JSONResponse({"sid": sid, "to": address, "body": body, "status": "queued"}, 201)

    path = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    return Starlette(routes=[Route(path, create_message, methods=["POST"])])


@contextmanager
def running(fail_share: float) -> Iterator[tuple[str, Inbox]]:
    """The fake on a free local port: its base URL (TWILIO_API_BASE) and its inbox."""
    inbox = Inbox(fail_share=fail_share)
    with serve(_app(inbox)) as url:
        yield url, inbox


def gateway_env(api_base: str) -> dict[str, str]:
    """What the gateway needs to answer WhatsApp through this fake, in REST mode."""
    return {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_API_BASE": api_base,
        "WHATSAPP_FROM": OUR_NUMBER,
        "WHATSAPP_REPLY": "rest",
    }
