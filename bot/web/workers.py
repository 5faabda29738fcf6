"""Several gateway workers on one port, each accepting on a listening socket of its own.

Why not `uvicorn --workers`: its workers share one listening socket, and whichever worker
wakes first accepts every connection waiting, so keep-alive connections opened together (a
platform's connection pool, a burst after a route alert) all land on one worker while the
others idle. Measured with scripts/channel_bench.py --stack, 8 senders on the emergency fast
path: runs of 50 or of 90 messages/s depending on how the 8 connections fell. Here every
worker has its own socket bound to the same port with SO_REUSEPORT, and the kernel spreads new
connections over the sockets by a hash of their addresses (Linux's reuseport groups:
https://man7.org/linux/man-pages/man7/socket.7.html, SO_REUSEPORT).

The sockets are made here, in the supervising process, and kept open by it: a worker that dies
leaves its socket listening, so connections hashed to it wait in its queue for the replacement
(started at once, uvicorn's own supervision) instead of being refused.

Run as `python -m bot.web.workers --host H --port P --workers N` (bot/stack.py does).
"""

from __future__ import annotations

import argparse
import logging
import socket

from uvicorn import Config
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess
from uvicorn.supervisors.multiprocess import Process

APP = "bot.web.app:create_app"
log = logging.getLogger("uvicorn.error")


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to host:port beside others bound the same way (SO_REUSEPORT)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


class SocketPerWorker(Multiprocess):
    """uvicorn's supervisor (pings, restart of a dead or hung worker, SIGTERM/SIGINT to stop,
    SIGHUP to replace every worker), with worker `i` always serving socket `i`. The number of
    workers is fixed: one socket each (SIGTTIN/SIGTTOU, which change it, are refused)."""

    def _start(self, slot: int) -> Process:
        process = Process(self.config, [self.sockets[slot]])
        process.start()
        return process

    def init_processes(self) -> None:
        self.processes = [self._start(slot) for slot in range(len(self.sockets))]

    def restart_all(self) -> None:
        """SIGHUP: each worker replaced by one ready on the same socket, then retired."""
        for slot, old in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new = self._start(slot)
            if not new.wait_until_ready(self.config.timeout_worker_healthcheck, self.should_exit):
                new.kill()
                new.join()
                log.error("worker on socket %d was not ready in time; restart stopped", slot)
                return
            old.terminate()
            old.join()
            self.processes[slot] = new

    def keep_subprocess_alive(self) -> None:
        """A worker that died or stopped answering pings is replaced on its own socket; one
        that failed before it started serving stops everything, as uvicorn does (the app or
        the settings are broken and every restart would fail the same way)."""
        if self.should_exit.is_set():
            return
        for slot, process in enumerate(self.processes):
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()  # hung: make sure it is gone
            process.join()
            if process.exitcode == STARTUP_FAILURE:
                log.error("worker [%s] failed to start; stopping", process.pid)
                self.should_exit.set()
                return
            if self.should_exit.is_set():
                return
            log.info("worker [%s] on socket %d died; starting another", process.pid, slot)
            self.processes[slot] = self._start(slot)

    def handle_ttin(self) -> None:
        log.warning("SIGTTIN ignored: one socket per worker, their number is fixed at start")

    def handle_ttou(self) -> None:
        log.warning("SIGTTOU ignored: one socket per worker, their number is fixed at start")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="gateway workers, a socket each")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--app", default=APP, help="an app factory, module:function")
    args = parser.parse_args(argv)
    config = Config(
        args.app,
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,
    )
    sockets = [reuse_port_socket(args.host, args.port) for _ in range(args.workers)]
    log.info("%d gateway workers on %s:%d, a socket each", args.workers, args.host, args.port)
    SocketPerWorker(config, sockets).run()


if __name__ == "__main__":
    main()
