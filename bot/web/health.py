"""GET /healthz: what an operator paged at night needs, which part is down, in one request.

Each dependency by name: the store, Redis when REDIS_URL is set, every Rasa instance RASA_URL
lists, the action server. 503 when the gateway cannot answer ordinary messages; 200 with
`degraded` when one Rasa of several is down (the others answer)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import redis
import redis.asyncio
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


async def _redis_ok(url: str | None) -> bool | None:
    """PING; None when no Redis is configured (the embedded default needs none)."""
    if not url:
        return None
    client = redis.asyncio.from_url(url, socket_timeout=CHECK_TIMEOUT_SECONDS)
    try:
        return bool(await client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        await client.aclose()


def instance_name(url: str) -> str:
    """`rasa 127.0.0.1:5005`: which instance, without a token or a path."""
    parsed = urlsplit(url)
    return f"rasa {parsed.hostname}:{parsed.port or 80}"


@dataclass(frozen=True)
class Health:
    """What each dependency answered, and what that means for the gateway as a whole.

    Several Rasa instances answer the same people: one of them down makes the gateway
    degraded (said, not failing: the others answer, and a load balancer must not take the
    gateway out of service for it); all of them down is failing. Every other dependency is
    needed by every message."""

    checks: dict[str, bool]
    rasa_instances: dict[str, bool]

    @property
    def failing(self) -> list[str]:
        return [name for name, ok in self.checks.items() if not ok]

    @property
    def degraded(self) -> list[str]:
        down = [name for name, ok in self.rasa_instances.items() if not ok]
        return down if len(down) < len(self.rasa_instances) else []


async def check(
    http: httpx.AsyncClient,
    sessions: sessionmaker[Session],
    rasa_urls: list[str],
    actions_url: str,
    redis_url: str | None = None,
) -> Health:
    store, actions, redis_up, *rasa = await asyncio.gather(
        run_in_threadpool(_store_ok, sessions),
        _http_ok(http, actions_url.rstrip("/") + "/health"),
        _redis_ok(redis_url),
        *(_http_ok(http, url.rstrip("/") + "/") for url in rasa_urls),
    )
    checks = {"gateway": True, "content_store": store, "rasa": any(rasa)}
    checks["action_server"] = actions
    if redis_up is not None:
        checks["redis"] = redis_up
    return Health(checks, dict(zip(map(instance_name, rasa_urls), rasa, strict=True)))


@router.get("/healthz")
async def healthz(services: ServicesDep) -> JSONResponse:
    settings = services.settings
    health = await check(
        services.http,
        services.words.readers,
        settings.rasa_urls,
        settings.action_server_url,
        settings.redis_url,
    )
    failing = health.failing
    body = {
        "status": "ok" if not failing else "unavailable",
        "checks": health.checks,
        "failing": failing,
        "rasa_instances": health.rasa_instances,
        "degraded": health.degraded,
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
