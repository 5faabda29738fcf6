"""`python -m bot demo` (what `make demo` runs): prints `ready`, and SIGTERM or SIGINT leaves
no process behind."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from bot.stack import Ports
from tests.integration.conftest import demo_env, start_demo

pytestmark = pytest.mark.integration


def processes_mentioning(marker: str) -> list[int]:
    """PIDs whose command line contains `marker` (here: a port only this demo uses)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if marker in cmdline and int(entry.name) != os.getpid():
            found.append(int(entry.name))
    return found


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_demo_is_ready_then_stops_everything(tmp_path, stop_signal):
    ports = Ports.free()
    demo = start_demo(demo_env(ports, tmp_path))
    lines = []
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            line = demo.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip())
            if line.strip() == "ready":
                break
        assert lines and lines[-1] == "ready", "\n".join(lines)
        assert not [line for line in lines if "supervisor:" in line], "every part started once"
        assert f"http://127.0.0.1:{ports.gateway}/chat" in "\n".join(lines)
        assert httpx.get(ports.url(ports.gateway, "/chat")).status_code == 200
        assert processes_mentioning(str(ports.rasa)), "Rasa should be running"
        # The scheduled purge ran once at start, with the stack's tracker store.
        purge_log = tmp_path / "run" / "purge.log"
        assert "tracker events:" in purge_log.read_text(), purge_log.read_text()
    finally:
        demo.send_signal(stop_signal)
        demo.wait(timeout=60)
    leftover = []
    for _ in range(20):
        leftover = [
            p
            for port in (ports.gateway, ports.rasa, ports.actions)
            for p in processes_mentioning(f" {port}")
        ]
        if not leftover:
            break
        time.sleep(0.5)
    assert leftover == []
    assert demo.returncode == 0
