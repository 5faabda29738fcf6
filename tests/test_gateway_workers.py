"""bot/web/workers.py, really started: connections opened together are spread over the
workers (not all taken by the first to wake, as with one shared socket), and a killed worker
is replaced on its own socket without refusing anyone."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from bench.targets import children
from bot.stack import free_port

WORKERS = 3
CONNECTIONS = 48  # keep-alive connections, each opened before any request is sent


@pytest.fixture
def workers() -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    command = [sys.executable, "-m", "bot.web.workers", "--port", str(port)]
    command += ["--workers", str(WORKERS), "--app", "tests.fakes.pid_app:create_app"]
    process = subprocess.Popen(command, start_new_session=True)  # noqa: S603 - our own module
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while len(children(process.pid)) < WORKERS or not _answers(url):
        assert process.poll() is None, "the supervisor exited"
        assert time.monotonic() < deadline, "the workers did not start"
        time.sleep(0.2)
    time.sleep(1)  # every worker listening, not only the first
    yield process, url
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _pids_of_fresh_connections(url: str) -> list[int]:
    """The worker behind each of CONNECTIONS connections, all opened before any is used (as a
    platform's pool opens them in a burst): the kernel has queued them all by the time a
    worker wakes to accept."""
    address = httpx.URL(url)
    connections = [
        socket.create_connection((address.host, address.port), timeout=30)
        for _ in range(CONNECTIONS)
    ]
    try:
        return [_pid_over(connection) for connection in connections]
    finally:
        for connection in connections:
            connection.close()


def _pid_over(connection: socket.socket) -> int:
    connection.sendall(b"GET / HTTP/1.1\r\nHost: workers\r\n\r\n")
    response = b""
    while b"\r\n\r\n" not in response or not response.split(b"\r\n\r\n", 1)[1]:
        chunk = connection.recv(4096)
        assert chunk, "the connection closed without an answer"
        response += chunk
    return int(response.split(b"\r\n\r\n", 1)[1])


def test_connections_opened_together_reach_every_worker(workers):
    process, url = workers
    served = set(_pids_of_fresh_connections(url))
    assert served <= set(children(process.pid))
    # 48 connections hashed over 3 sockets: all on one or two has odds of 1 in 10^8; with
    # one shared socket they mostly went to whichever worker woke first.
    assert len(served) == WORKERS


def test_a_killed_worker_is_replaced_on_its_socket_and_nobody_is_refused(workers):
    process, url = workers
    victim = children(process.pid)[0]
    os.kill(victim, signal.SIGKILL)
    # Connections hashed to the dead worker's socket wait for its replacement: none refused.
    served = _pids_of_fresh_connections(url)
    assert victim not in served
    deadline = time.monotonic() + 60
    while len(set(children(process.pid)) - {victim}) < WORKERS:
        assert time.monotonic() < deadline, "the killed worker was not replaced"
        time.sleep(0.2)
    assert len(set(_pids_of_fresh_connections(url))) == WORKERS
