"""The two things the bench runs against, started for real, and the faults it causes there.

- embedded: what `make demo` runs (SQLite, in-process locks, one gateway process, one Rasa);
- stack: what `make stack` runs (PostgreSQL, Redis, gateway workers, 2 Rasa instances).

Both are bot/stack.py's Stack, so the bench runs the same processes, commands and settings as
people do; only the data lives in a throwaway folder.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import Settings
from bot.run_stack import production_backing, production_stack, seed_if_empty
from bot.stack import Ports, Stack

BENCH_KEY = "bench-pseudonym-key-not-secret"


@dataclass
class Target:
    name: str
    stack: Stack
    extra_pids: dict[str, int] = field(default_factory=dict)  # PostgreSQL, Redis

    @property
    def webhook(self) -> str:
        return self.stack.ports.url(self.stack.ports.gateway, "/webhooks/whatsapp")

    @property
    def rasa_urls(self) -> list[str]:
        return [self.stack.ports.url(p) for p in self.stack.ports.rasa_instances().values()]

    def pids(self) -> dict[str, int]:
        """Each process group leader the bench watches, by name."""
        found = {name: process.pid for name, process in self.stack.processes.items()}
        return found | self.extra_pids


def _start(name: str, stack: Stack, database_url: str, extra: dict[str, int]) -> Iterator[Target]:
    if seed_if_empty(Settings(database_url=database_url, pseudonym_key=BENCH_KEY)):
        raise RuntimeError("the seed content did not load")
    stack.start()
    try:
        stack.wait_ready(timeout=600)
        yield Target(name, stack, extra)
    finally:
        stack.stop()


@contextmanager
def embedded(folder: Path, env: dict[str, str]) -> Iterator[Target]:
    database_url = f"sqlite:///{folder / 'store.sqlite3'}"
    stack = Stack(
        ports=Ports.free(),
        run_dir=folder / "run",
        env=env | {"DATABASE_URL": database_url, "PSEUDONYM_KEY": BENCH_KEY},
    )
    yield from _start("embedded (SQLite, 1 gateway process, 1 Rasa)", stack, database_url, {})


@contextmanager
def production(folder: Path, env: dict[str, str], workers: int, rasa: int) -> Iterator[Target]:
    """The stack as `make stack` starts it (bot/run_stack.py), on free ports."""
    with production_backing(folder) as backing:
        stack = production_stack(
            backing,
            Ports.free(rasa_instances=rasa),
            workers,
            env | {"PSEUDONYM_KEY": BENCH_KEY},
        )
        extra = {
            name: server.process.pid
            for name, server in (("postgres", backing.postgres), ("redis", backing.redis))
            if server.process is not None
        }
        name = f"stack (PostgreSQL, Redis, {workers} gateway workers, {rasa} Rasa)"
        yield from _start(name, stack, backing.env["DATABASE_URL"], extra)


def children(pid: int) -> list[int]:
    """Every process whose parent is `pid` (uvicorn's workers, Rasa's helpers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def tree(pid: int) -> list[int]:
    pids, queue = [], [pid]
    while queue:
        current = queue.pop()
        pids.append(current)
        queue.extend(children(current))
    return pids


def kill_gateway_worker(target: Target) -> str:
    """kill -9 one gateway worker. Several: their supervisor starts a new one on the same socket
    (bot/web/workers.py). One process (the embedded default): killed whole and started again,
    as the demo's supervisor does."""
    stack = target.stack
    leader = stack.processes["gateway"].pid
    workers = children(leader) if stack.gateway_workers > 1 else []
    if workers:
        os.kill(workers[0], signal.SIGKILL)
        return f"gateway worker {workers[0]} killed (its supervisor starts another on its socket)"
    os.killpg(leader, signal.SIGKILL)
    stack.processes["gateway"].wait()
    stack.discard("gateway")
    stack.spawn("gateway")
    return "gateway process killed and started again"


def kill_rasa(target: Target, restart_after: float) -> str:
    """kill -9 the last Rasa instance's process group; start it again after a while (loading
    its model takes a minute or more here), in a thread so the load goes on meanwhile."""
    stack = target.stack
    name = list(stack.ports.rasa_instances())[-1]
    process = stack.processes[name]
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    stack.discard(name)

    def restart() -> None:
        time.sleep(restart_after)
        stack.spawn(name)

    threading.Thread(target=restart, daemon=True).start()
    return f"{name} killed (started again {restart_after:.0f} s later)"


def rss_mib(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class MemoryWatch:
    """Samples the resident memory of every process tree each second; keeps each one's peak
    (a tree: a gateway with its workers, a Rasa with its helpers). Sampled rather than
    VmHWM, which dies with a killed process."""

    def __init__(self, target: Target, every: float = 1.0) -> None:
        self._target = target
        self._every = every
        self.peaks: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, pid in self._target.pids().items():
                used = sum(rss_mib(p) for p in tree(pid))
                self.peaks[name] = max(self.peaks.get(name, 0.0), used)
            self.peaks["bench"] = max(self.peaks.get("bench", 0.0), rss_mib(os.getpid()))
            self._stop.wait(self._every)
