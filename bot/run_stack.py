"""`make demo` and `make stack`: load content, start every process, keep them running until
SIGINT/SIGTERM, then stop them all.

The demo runs on embedded defaults: SQLite, in-process locks and limits, one gateway process,
one Rasa. The stack is the production shape on one machine: a local PostgreSQL (the store, and
Rasa's tracker store in a database of its own) and Redis (Rasa's lock store, the gateway's
per-person order and rate limits), both from bot/servers.py with their data in var/stack/,
the migrations run once before any worker starts (several workers upgrading one PostgreSQL at
the same moment would race), then 2 Rasa instances, the action server and several gateway
workers behind one port. The same code runs both; only the environment differs.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import psycopg

from bot.config import Settings, get_settings
from bot.servers import PostgresServer, RedisServer
from bot.stack import Ports, Stack, die_with_parent

FIRST_ACCOUNT_HINT = (
    "workspace accounts: there is no default password; make the first ones with\n"
    '  .venv/bin/python -m bot admin create-org "My NGO" --countries PA --languages ht fr en\n'
    '  .venv/bin/python -m bot admin create-user --org "My NGO" --role admin USERNAME'
)
STACK_FOLDER_NAME = "stack"
TRACKER_DATABASE = "tracker"


def seed_if_empty(settings: Settings) -> int:
    """Migrate, then put the seed into an empty store only: a partner's published edit
    survives a restart (`content import DIR` replaces topics when asked explicitly)."""
    from bot.content.io import ContentError, import_directory, store_is_empty
    from bot.languages import load_languages
    from bot.store.db import session_scope, upgrade

    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        if not store_is_empty(session):
            print("content: the store has content already; the seed in content/ is not reloaded")
            return 0
        try:
            topics = import_directory(
                session, settings.content_dir, load_languages(settings.translations_dir)
            )
        except ContentError as error:
            print(f"content not imported: {error}", file=sys.stderr)
            return 1
    print(f"content: the seed's {len(topics)} topics loaded into the empty store")
    return 0


def run_supervised(stack: Stack, settings: Settings, urls: Callable[[], str]) -> int:
    """Start the stack's processes, restart what exits (bot/supervisor.py), say `ready` once
    /healthz answers 200, run the purge on schedule, stop everything on SIGINT/SIGTERM."""
    from bot.purge import PurgeSchedule
    from bot.supervisor import ReadyWatch, Supervisor, supervise

    supervisor = Supervisor(stack, names=stack.names())
    stopping = False

    def request_stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    def announce_ready() -> None:
        print(
            f"{urls()}\nlogs:      {stack.run_dir}\nprocesses: {supervisor.status_file}\n"
            f"purge:     every {settings.purge_every_minutes:g} minutes, see purge.log",
            flush=True,
        )
        print(FIRST_ACCOUNT_HINT, flush=True)
        print("ready", flush=True)

    def warn_late(waited: float) -> None:
        print(
            f"not ready yet after {waited:.0f}s; still waiting, and restarting what exits; "
            f"logs in {stack.run_dir}",
            file=sys.stderr,
            flush=True,
        )

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    print(f"starting: {', '.join(stack.names())} (loading the model takes a while)...", flush=True)
    watch = ReadyWatch(is_ready=stack.healthy, on_ready=announce_ready, on_late=warn_late)
    purge_schedule = PurgeSchedule(
        start=lambda: stack.run_command("purge", ["purge"]), every=settings.purge_every_minutes * 60
    )

    def tick() -> None:
        watch()
        purge_schedule()

    supervise(supervisor, until=lambda: stopping, on_tick=tick)
    print("stopped every process", flush=True)
    return 0


def _urls(stack: Stack) -> str:
    gateway = stack.ports.url(stack.ports.gateway)
    rasa = ", ".join(stack.ports.url(port) for port in stack.ports.rasa_instances().values())
    return (
        f"web chat:  {gateway}/chat\nworkspace: {gateway}/admin\nhealth:    {gateway}/healthz\n"
        f"rasa:      {rasa}"
    )


def _ports(settings: Settings, rasa_instances: int) -> Ports:
    rasa = urlparse(settings.rasa_urls[0]).port or 5005
    return Ports(
        gateway=settings.port,
        rasa=rasa,
        actions=urlparse(settings.action_server_url).port or 5055,
        more_rasa=tuple(rasa + n for n in range(1, rasa_instances)),
    )


def demo() -> int:
    """`make demo`: everything on embedded defaults."""
    from bot.training import train_if_needed

    die_with_parent()  # `make demo` killed: we stop too, and stop everything we started
    settings = get_settings()
    if seed_if_empty(settings):
        return 1
    train_if_needed()
    stack = Stack(ports=_ports(settings, 1), run_dir=settings.demo_run_dir)
    return run_supervised(stack, settings, lambda: _urls(stack))


@dataclass
class Backing:
    """PostgreSQL and Redis running for a production-shaped stack, and the settings that
    reach them (what every gateway worker and Rasa instance is started with)."""

    postgres: PostgresServer
    redis: RedisServer
    env: dict[str, str]


@contextmanager
def production_backing(folder: Path) -> Iterator[Backing]:
    """PostgreSQL and Redis with their data in `folder` (durable: fsync on, Redis AOF),
    Rasa's tracker database created once, and an empty folder for the workers' metrics.

    `make stack` and the bench (bench/targets.py) both start the stack through this, so the
    bench measures the same settings people run."""
    from bot import servers

    folder.mkdir(parents=True, exist_ok=True)
    with servers.running(folder) as (postgres, redis):
        tracker = postgres.url_for(TRACKER_DATABASE)
        with contextlib.suppress(psycopg.errors.DuplicateDatabase):  # kept from a last run
            postgres.create_database(TRACKER_DATABASE)
        metrics_dir = folder / "run" / "metrics"
        shutil.rmtree(metrics_dir, ignore_errors=True)  # each run's counters start from zero
        metrics_dir.mkdir(parents=True)
        yield Backing(
            postgres,
            redis,
            {
                "DATABASE_URL": postgres.url,
                "TRACKER_STORE_URL": tracker,
                "REDIS_URL": redis.url,
                "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir.resolve()),
            },
        )


def production_stack(
    backing: Backing, ports: Ports, gateway_workers: int, env: dict[str, str] | None = None
) -> Stack:
    """The stack's processes on `ports` against `backing`, with the run folder beside the
    metrics (`env` adds settings, e.g. the bench's fake Twilio)."""
    run_dir = Path(backing.env["PROMETHEUS_MULTIPROC_DIR"]).parent
    return Stack(
        ports=ports,
        run_dir=run_dir,
        env=(env or {}) | backing.env,
        gateway_workers=gateway_workers,
    )


def stack(folder: Path, gateway_workers: int, rasa_instances: int) -> int:
    """`make stack`: the production shape on one machine (see the module's docstring)."""
    from bot.training import train_if_needed

    die_with_parent()
    with production_backing(folder) as backing:
        print(
            f"postgres:  {backing.postgres.url.split('@')[-1]}\nredis:     {backing.redis.url}",
            flush=True,
        )
        settings = get_settings().model_copy(
            update={
                "database_url": backing.env["DATABASE_URL"],
                "tracker_store_url": backing.env["TRACKER_STORE_URL"],
                "redis_url": backing.env["REDIS_URL"],
            }
        )
        if seed_if_empty(settings):  # the migrations, once, before any worker starts
            return 1
        train_if_needed()
        running = production_stack(backing, _ports(settings, rasa_instances), gateway_workers)
        return run_supervised(running, settings, lambda: _urls(running))
