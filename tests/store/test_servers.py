"""The local PostgreSQL and Redis of bot/servers.py: real servers, reachable only as intended,
and gone once stopped."""

from __future__ import annotations

import os

import psycopg
import pytest
import redis
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bot import servers
from bot.servers import PostgresServer, RedisServer, ServersMissing, scratch_folder


def test_the_application_logs_in_with_its_password_over_tcp(postgres_url):
    engine = sa.create_engine(postgres_url)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT current_user")).scalar() == "assistant"
    engine.dispose()
    url = make_url(postgres_url)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(
            host=url.host, port=url.port, user="assistant", password="guessed", dbname=url.database
        )


def test_redis_answers_on_its_url(redis_url):
    with redis.Redis.from_url(redis_url) as client:
        client.set("servers-test", "1")
        assert client.get("servers-test") == b"1"
        client.delete("servers-test")


def _alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_stop_leaves_no_process_and_the_data_survives_a_restart():
    with scratch_folder() as folder:
        postgres = PostgresServer(folder / "postgres", durable=False)
        with postgres:
            engine = sa.create_engine(postgres.url)
            with engine.begin() as connection:
                connection.execute(sa.text("CREATE TABLE kept (x int)"))
            held = engine.connect()  # a pool still connected must not hold the stop up
            pid = postgres.process.pid
        held.invalidate()
        engine.dispose()
        assert not _alive(pid)
        with postgres:
            engine = sa.create_engine(postgres.url)  # the same password, kept in the folder
            with engine.connect() as connection:
                assert connection.execute(sa.text("SELECT count(*) FROM kept")).scalar() == 0
            engine.dispose()
        with RedisServer(folder / "redis", durable=False) as redis_server:
            pid = redis_server.process.pid
        assert not _alive(pid)


def test_missing_binaries_say_to_run_make_servers(monkeypatch, tmp_path):
    monkeypatch.setattr(servers, "POSTGRES_BIN", tmp_path)
    with pytest.raises(ServersMissing, match="make servers"):
        PostgresServer(tmp_path / "postgres").start()
    monkeypatch.setattr(servers, "REDIS_SERVER", str(tmp_path / "redis-server"))
    with pytest.raises(ServersMissing, match="make servers"):
        RedisServer(tmp_path / "redis").start()
