"""What `make stack` starts: 2 Rasa instances sharing a PostgreSQL tracker store and a Redis
lock store, gateway workers behind one port, every worker's metrics in one scrape. The whole
stack is started for real by bench/load.py (docs/benchmarks.md); these check its shape cheaply."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

from bot.stack import Ports, Stack

PG = "postgresql+psycopg://assistant:secret@127.0.0.1:5432/tracker"


def _stack(tmp_path: Path, **kwargs: object) -> Stack:
    return Stack(
        ports=Ports(gateway=8100, rasa=5105, actions=5155, more_rasa=(5106,)),
        run_dir=tmp_path,
        env={"TRACKER_STORE_URL": PG, "REDIS_URL": "redis://127.0.0.1:6390/0"},
        **kwargs,
    )


def test_two_rasa_instances_share_the_tracker_store_and_the_lock_store(tmp_path):
    stack = _stack(tmp_path, gateway_workers=3)
    commands = stack.commands()
    assert stack.names() == ("actions", "gateway", "rasa", "rasa-2")
    assert commands["rasa"][commands["rasa"].index("--port") + 1] == "5105"
    assert commands["rasa-2"][commands["rasa-2"].index("--port") + 1] == "5106"
    endpoints = yaml.safe_load((tmp_path / "endpoints.yml").read_text())
    assert endpoints["tracker_store"]["dialect"] == "postgresql"  # psycopg2 on Rasa's side
    assert endpoints["tracker_store"]["db"] == "tracker"
    assert endpoints["lock_store"] == {
        "type": "redis",
        "url": "127.0.0.1",
        "port": 6390,
        "db": 0,
        "key_prefix": "rasa",
    }
    env = stack._env()
    assert env["RASA_URL"] == "http://127.0.0.1:5105,http://127.0.0.1:5106"
    assert commands["gateway"][-2:] == ["--workers", "3"]
    assert env["PROMETHEUS_MULTIPROC_DIR"].endswith("metrics")


def test_the_demo_stays_one_gateway_process_and_one_rasa_without_a_lock_store(tmp_path):
    stack = Stack(ports=Ports(gateway=8100, rasa=5105, actions=5155), run_dir=tmp_path)
    commands = stack.commands()
    assert stack.names() == ("actions", "gateway", "rasa")
    assert "--workers" not in commands["gateway"]
    assert "lock_store" not in yaml.safe_load((tmp_path / "endpoints.yml").read_text())
    assert stack._env().get("PROMETHEUS_MULTIPROC_DIR") == os.environ.get(
        "PROMETHEUS_MULTIPROC_DIR"
    )  # one process: its own counters, nothing set unless the operator did


WORKER = textwrap.dedent(
    """
    import sys
    from bot import observability
    for _ in range(int(sys.argv[1])):
        observability.MESSAGES_IN.labels("whatsapp", "ht").inc()
    """
)
SCRAPE = textwrap.dedent(
    """
    from prometheus_client import generate_latest
    from bot import observability
    observability.watch_outbox(lambda: 7)
    print(generate_latest(observability.scrape_registry()).decode())
    """
)


def test_one_scrape_adds_up_every_gateway_workers_counters(tmp_path):
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    for count in (2, 3):  # two workers, each counting its own messages
        subprocess.run([sys.executable, "-c", WORKER, str(count)], env=env, check=True)
    scraped = subprocess.run(
        [sys.executable, "-c", SCRAPE], env=env, check=True, capture_output=True, text=True
    ).stdout
    lines = [line for line in scraped.splitlines() if not line.startswith("#")]
    incoming = [line for line in lines if line.startswith("assistant_messages_in_total")]
    assert incoming == ['assistant_messages_in_total{channel="whatsapp",language="ht"} 5.0']
    assert "assistant_outbox_waiting 7.0" in lines


def test_make_stack_and_the_bench_start_the_same_backing_and_it_survives_a_second_start():
    """bot/run_stack.production_backing serves `make stack` and bench/targets.py: real
    PostgreSQL and Redis, Rasa's tracker database made once (a second start on the same
    folder, as after Ctrl-C, keeps it), each run's metrics folder emptied."""
    import psycopg
    import redis

    from bot.run_stack import TRACKER_DATABASE, production_backing, production_stack
    from bot.servers import scratch_folder

    with scratch_folder() as folder:
        with production_backing(folder) as backing:
            metrics = Path(backing.env["PROMETHEUS_MULTIPROC_DIR"])
            (metrics / "counter_1.db").write_bytes(b"left by a worker")
            with redis.Redis.from_url(backing.env["REDIS_URL"]) as client:
                assert client.ping()
        with production_backing(folder) as backing:
            assert not any(metrics.iterdir())
            tracker = backing.env["TRACKER_STORE_URL"]
            assert tracker.endswith(f"/{TRACKER_DATABASE}")
            with psycopg.connect(tracker.replace("+psycopg", "")) as connection:
                assert connection.execute("SELECT current_database()").fetchone() == (
                    TRACKER_DATABASE,
                )
            stack = production_stack(
                backing, Ports.free(rasa_instances=2), 3, {"TWILIO_API_BASE": "http://fake"}
            )
            env = stack._env()
            assert env["DATABASE_URL"] == backing.env["DATABASE_URL"]
            assert env["TWILIO_API_BASE"] == "http://fake"
            assert stack.names() == ("actions", "gateway", "rasa", "rasa-2")
            assert stack.run_dir == metrics.parent


def test_rasa_reads_a_token_that_starts_with_a_dash(tmp_path):
    """secrets.token_urlsafe starts with "-" one time in 64; Rasa's own argument parser (in
    .venv-rasa) must still read it as the token, or Rasa exits at every start."""
    from bot.training import RASA_BIN

    stack = Stack(ports=Ports.free(), run_dir=tmp_path, api_token="-Xq3_dash-first")
    command = stack.commands()["rasa"]
    parse = (
        "import sys; from rasa.__main__ import create_argument_parser; "
        "print(create_argument_parser().parse_args(sys.argv[1:]).auth_token)"
    )
    python = RASA_BIN.parent / "python"
    read = subprocess.run(
        [str(python), "-W", "ignore", "-c", parse, *command[1:]],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert read.returncode == 0, read.stderr[-2000:]
    assert read.stdout.strip().splitlines()[-1] == "-Xq3_dash-first"
