"""A local HTTP server in a thread, for fakes of platforms outside this machine.

Twilio's and Telegram's servers are the only parts we do not run for real; each fake is a small
Starlette app that speaks the platform's HTTP API, records every request and can be told to
fail the next calls (429, 500) so retries are tested against real HTTP.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str]
    json: Any


@dataclass
class FailurePlan:
    """The next `count` calls answer `status` (with a Retry-After when given)."""

    count: int = 0
    status: int = 500
    retry_after: int | None = None


@dataclass
class SharePlan:
    """A share of all calls fail, each with one of `failures` (status, Retry-After), drawn
    from a seeded generator so a run can be repeated."""

    share: float = 0.0
    failures: tuple[tuple[int, int | None], ...] = ((500, None),)
    rng: random.Random = field(default_factory=lambda: random.Random(0))  # noqa: S311


@dataclass
class Recorder:
    requests: list[Recorded] = field(default_factory=list)
    failures: FailurePlan = field(default_factory=FailurePlan)
    shares: SharePlan = field(default_factory=SharePlan)
    failed: int = 0  # calls answered with a failure, planned or drawn
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, request: Recorded) -> FailurePlan | None:
        """Store the request; return the failure to answer with, if one is planned. A failed
        call is not stored: the platform did not take the message."""
        with self.lock:
            if self.failures.count > 0:
                self.failures.count -= 1
                self.failed += 1
                return FailurePlan(1, self.failures.status, self.failures.retry_after)
            if self.shares.share and self.shares.rng.random() < self.shares.share:
                status, retry_after = self.shares.rng.choice(self.shares.failures)
                self.failed += 1
                return FailurePlan(1, status, retry_after)
            self.requests.append(request)
            return None

    def fail_share(
        self, share: float, failures: tuple[tuple[int, int | None], ...], seed: int = 0
    ) -> None:
        """From now on, fail about `share` of the calls (e.g. 0.2, ((500, None), (429, 1)))."""
        with self.lock:
            self.shares = SharePlan(share, failures, random.Random(seed))  # noqa: S311

    def fail_next(self, count: int, status: int = 500, retry_after: int | None = None) -> None:
        with self.lock:
            self.failures = FailurePlan(count, status, retry_after)

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()
            self.failures = FailurePlan()
            self.shares = SharePlan()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Recorded]:
        """Block until `count` requests were recorded (sending is asynchronous)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.requests) >= count:
                    return list(self.requests)
            time.sleep(0.05)
        with self.lock:
            got = list(self.requests)
        raise AssertionError(f"expected {count} requests, got {len(got)}: {got}")


@contextmanager
def serve(app: Starlette) -> Iterator[str]:
    """Run `app` on a free local port until the block ends; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("fake server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
