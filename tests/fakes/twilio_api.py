"""A fake of Twilio's Messages API: `POST /2010-04-01/Accounts/{sid}/Messages.json`.

Checks HTTP Basic auth like Twilio, answers 201 with a message resource, records each call's
form (To, From, Body, ContentSid, ContentVariables, StatusCallback).
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.server import Recorded, Recorder, serve


@dataclass
class FakeTwilio:
    url: str
    recorder: Recorder

    def messages(self) -> list[dict[str, str]]:
        return [r.form for r in self.recorder.requests]


def _app(account_sid: str, auth_token: str, recorder: Recorder) -> Starlette:
    numbers = itertools.count(1)
    expected = "Basic " + base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()

    async def create_message(request: Request) -> JSONResponse:
        if request.path_params["sid"] != account_sid or request.headers.get("authorization") != (
            expected
        ):
            return JSONResponse({"code": 20003, "message": "Authenticate", "status": 401}, 401)
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        failure = recorder.record(
            Recorded("POST", request.url.path, dict(request.headers), form, None)
        )
        if failure is not None:
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
            body = {"code": 20500, "message": "planned failure", "status": failure.status}
            return JSONResponse(body, failure.status, headers=headers)
        sid = f"SM{next(numbers):032d}"
        body = {
            "sid": sid,
            "account_sid": account_sid,
            "to": form.get("To"),
            "from": form.get("From"),
            "body": form.get("Body"),
            "status": "queued",
        }
        return JSONResponse(body, 201)

    return Starlette(
        routes=[Route("/2010-04-01/Accounts/{sid}/Messages.json", create_message, methods=["POST"])]
    )


@contextmanager
def fake_twilio(account_sid: str, auth_token: str) -> Iterator[FakeTwilio]:
    recorder = Recorder()
    with serve(_app(account_sid, auth_token, recorder)) as url:
        yield FakeTwilio(url, recorder)
