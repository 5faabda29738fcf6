"""GET /metrics: the gateway's Prometheus metrics (bot/observability.py), for operators only.

Counts by channel and language are not personal, but they are not public either (how many
people write, in which language, how often the emergency card goes out). With METRICS_TOKEN
set, a scrape sends it as `Authorization: Bearer ...` (Prometheus' `authorization:` setting)
or `?token=` (compared in constant time). Without it, only a caller on this machine is
answered, and not through a proxy: a local reverse proxy makes every public request come
from 127.0.0.1, so a request with forwarding headers is refused too.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.orm import Session, sessionmaker

from bot import observability
from bot.outbox import queue
from bot.web.dependencies import SettingsDep

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


def _bearer(request: Request) -> str:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else ""


def operator_only(
    request: Request, settings: SettingsDep, token: Annotated[str, Query()] = ""
) -> None:
    """The caller holds METRICS_TOKEN, or (unset) is this machine itself, unproxied."""
    expected = settings.metrics_token
    if expected:
        given = _bearer(request) or token
        if not secrets.compare_digest(given.encode(), expected.encode()):
            raise HTTPException(403, "wrong or missing metrics token")
        return
    host = request.client.host if request.client else ""
    proxied = any(name in request.headers for name in FORWARDING_HEADERS)
    if host not in LOOPBACK or proxied:
        raise HTTPException(403, "set METRICS_TOKEN to scrape /metrics from another machine")


def outbox_depth(readers: sessionmaker[Session]) -> Callable[[], int]:
    """What the outbox gauge reads at scrape time (bot/observability.py watch_outbox)."""

    def count() -> int:
        with readers() as session:
            return queue.count_waiting(session)

    return count


router = APIRouter(dependencies=[Depends(operator_only)], include_in_schema=False)


@router.get("/metrics")
def metrics() -> Response:
    """Prometheus text format; the outbox depth is counted now (one COUNT)."""
    registry = observability.scrape_registry()
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
