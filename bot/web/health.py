"""GET /healthz: what an operator paged at night needs, which part is down, in one request."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from bot.outbox import queue
from bot.supervisor import supervision_report
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
    body = {
        "status": "ok" if not failing else "unavailable",
        "checks": checks,
        "failing": failing,
        # Messages kept while Rasa was away, answered when it is back (bot/outbox/replier.py).
        "held_messages": await run_in_threadpool(_held, services.words.readers),
    }
    supervised = _supervised(settings.supervisor_status_file)
    if supervised is not None:
        body["processes"] = supervised
    return JSONResponse(body, status_code=503 if failing else 200)


def _held(sessions: sessionmaker[Session]) -> int | None:
    try:
        with sessions() as session:
            return queue.count_held(session)
    except Exception:  # noqa: BLE001 - the store check above reports the failure
        return None


def _supervised(path: Path | None) -> dict[str, dict[str, Any]] | None:
    """What the supervisor says of each process: running, how often restarted, how it last
    exited (pids and times stay in the file, for the operator on the machine)."""
    report = supervision_report(path)
    processes = report.get("processes") if report else None
    if not isinstance(processes, dict):
        return None
    shown = ("running", "restarts", "last_exit", "crash_loop")
    return {
        name: {key: entry.get(key) for key in shown}
        for name, entry in processes.items()
        if isinstance(entry, dict)
    }
