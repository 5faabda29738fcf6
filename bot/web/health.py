"""GET /healthz: what an operator paged at night needs, which part is down, in one request."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from bot.web.dependencies import ServicesDep

CHECK_TIMEOUT_SECONDS = 2.0
router = APIRouter()


async def _http_ok(http: httpx.AsyncClient, url: str) -> bool:
    try:
        response = await http.get(url, timeout=CHECK_TIMEOUT_SECONDS)
    except httpx.HTTPError:
        return False
    return response.status_code == 200


def _store_ok(sessions: sessionmaker[Session]) -> bool:
    try:
        with sessions() as session:
            session.execute(text("SELECT 1 FROM topics LIMIT 1"))
    except Exception:  # noqa: BLE001 - any failure means "the store does not answer"
        return False
    return True


async def check(
    http: httpx.AsyncClient, sessions: sessionmaker[Session], rasa_url: str, actions_url: str
) -> dict[str, bool]:
    store, rasa, actions = await asyncio.gather(
        run_in_threadpool(_store_ok, sessions),
        _http_ok(http, rasa_url.rstrip("/") + "/"),
        _http_ok(http, actions_url.rstrip("/") + "/health"),
    )
    return {"gateway": True, "content_store": store, "rasa": rasa, "action_server": actions}


@router.get("/healthz")
async def healthz(services: ServicesDep) -> JSONResponse:
    settings = services.settings
    checks = await check(
        services.http, services.words.readers, settings.rasa_url, settings.action_server_url
    )
    failing = [name for name, ok in checks.items() if not ok]
    body = {"status": "ok" if not failing else "unavailable", "checks": checks, "failing": failing}
    return JSONResponse(body, status_code=503 if failing else 200)
