"""Rasa's SQL tracker store and Redis lock store on the stack's real servers: the sections the
gateway writes into Rasa's endpoints.yml are read by Rasa 3.6 itself (in .venv-rasa), and the
gateway deletes what Rasa wrote there (erasure, purge)."""

from __future__ import annotations

import datetime as dt
import subprocess
import textwrap

import yaml

from bot.tracker_store import TrackerEvents, rasa_endpoint, rasa_lock_store
from bot.training import RASA_BIN

RASA_PYTHON = RASA_BIN.parent / "python"

# Rasa reads the endpoints file as `rasa run` does, saves two conversations through its
# tracker store and takes a conversation's lock in Redis.
RASA_WRITES = textwrap.dedent(
    """
    import asyncio, sys
    from rasa.core.lock_store import LockStore
    from rasa.core.tracker_store import TrackerStore
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import read_endpoint_config

    async def main():
        store = TrackerStore.create(read_endpoint_config(sys.argv[1], "tracker_store"))
        for sender in ("erased", "kept"):
            await store.save(DialogueStateTracker.from_events(sender, [UserUttered("bonjou")]))
        locks = LockStore.create(read_endpoint_config(sys.argv[1], "lock_store"))
        async with locks.lock("kept"):
            print(type(store).__name__, type(locks).__name__, locks.red.keys("rasa:*"))

    asyncio.run(main())
    """
)


def test_rasa_keeps_trackers_in_postgresql_and_locks_in_redis_and_the_gateway_deletes(
    fresh_postgres_url, redis_url, tmp_path
):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        yaml.safe_dump(
            {
                "tracker_store": rasa_endpoint(fresh_postgres_url),
                "lock_store": rasa_lock_store(redis_url),
            }
        )
    )
    done = subprocess.run(
        [str(RASA_PYTHON), "-c", RASA_WRITES, str(endpoints)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[:2] == ["SQLTrackerStore", "RedisLockStore"]
    assert "rasa:lock:kept" in done.stdout, "the lock was taken in Redis"

    events = TrackerEvents(fresh_postgres_url)
    assert events.forget("erased") >= 1
    assert events.forget("erased") == 0
    tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    assert events.purge_before(tomorrow) >= 1, "the other conversation, older than the cutoff"
    assert events.purge_before(tomorrow) == 0


def test_the_sections_name_what_rasa_needs():
    assert rasa_endpoint("postgresql+psycopg://rasa:s3cret@db.internal:5433/trackers") == {
        "type": "SQL",
        "dialect": "postgresql",  # Rasa's psycopg2, not the gateway's driver
        "url": "db.internal",
        "port": 5433,
        "db": "trackers",
        "username": "rasa",
        "password": "s3cret",
    }
    assert rasa_endpoint("sqlite:////srv/tracker.db") == {
        "type": "SQL",
        "dialect": "sqlite",
        "db": "/srv/tracker.db",
    }
    assert rasa_lock_store("rediss://locks:pw@cache.internal:6380/3") == {
        "type": "redis",
        "url": "cache.internal",
        "port": 6380,
        "db": 3,
        "username": "locks",
        "password": "pw",
        "use_ssl": True,
        "key_prefix": "rasa",
    }
