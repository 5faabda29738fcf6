"""Start and stop every process of the assistant: gateway, action server, Rasa server.

Used by `make demo` and by the integration tests, so the tests run exactly what people run.
Each process gets its own process group, so stopping it also stops anything it spawned.
Keeping them running (restarts, backoff) is bot/supervisor.py's job, on top of this.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml

from bot.config import REPO_ROOT
from bot.tracker_store import rasa_endpoint, rasa_lock_store
from bot.training import RASA_BIN, model_path, rasa_env

STOP_GRACE_SECONDS = 10.0
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent() -> None:
    """Ask Linux to send us SIGTERM when our parent dies, so that killing `make demo` (or the
    demo itself, even with SIGKILL) never leaves a Rasa server running on its own."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def finish_group(process: subprocess.Popen[bytes], timeout: float) -> None:
    """After a stop signal: wait up to `timeout` for the group leader, SIGKILL the group if it
    is still there, and in any case kill what the leader left behind (Rasa's workers, a
    PostgreSQL backend), so nothing outlives the stop."""
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


@dataclass(frozen=True)
class Ports:
    gateway: int = 8000
    rasa: int = 5005
    actions: int = 5055
    # Further Rasa instances (`make stack` runs two), named rasa-2, rasa-3...: they share the
    # tracker store and Redis lock store, and the gateway takes them in turn.
    more_rasa: tuple[int, ...] = ()

    @classmethod
    def free(cls, rasa_instances: int = 1) -> Ports:
        more = tuple(free_port() for _ in range(rasa_instances - 1))
        return cls(gateway=free_port(), rasa=free_port(), actions=free_port(), more_rasa=more)

    def rasa_instances(self) -> dict[str, int]:
        """Each Rasa process's name and port: `rasa`, then `rasa-2`..."""
        named = {"rasa": self.rasa}
        named.update({f"rasa-{n}": port for n, port in enumerate(self.more_rasa, start=2)})
        return named

    def url(self, port: int, path: str = "") -> str:
        return f"http://127.0.0.1:{port}{path}"


@dataclass
class Stack:
    ports: Ports
    run_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    root: Path = REPO_ROOT
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    # Rasa's HTTP API is on (the gateway erases a person's tracker through it, issue 16),
    # behind this token; one per stack unless RASA_API_TOKEN is given.
    api_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    # Rasa's calls to the gateway's NLG endpoint carry this token (bot/web/nlg.py); one per
    # stack unless NLG_TOKEN is given.
    nlg_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    # Gateway processes behind the one port, a listening socket each (bot/web/workers.py: the
    # kernel spreads connections over them, a dead worker is started again on its socket).
    # More than one needs the shared store and Redis (`make stack`), which the environment
    # names.
    gateway_workers: int = 1

    def _env(self) -> dict[str, str]:
        env = rasa_env()
        env.update(self.env)
        rasa_urls = [self.ports.url(port) for port in self.ports.rasa_instances().values()]
        env.update(
            PORT=str(self.ports.gateway),
            RASA_URL=",".join(rasa_urls),
            ACTION_SERVER_URL=self.ports.url(self.ports.actions),
        )
        if self.gateway_workers > 1:
            # Every worker's counters in one scrape (bot/web/metrics.py).
            env.setdefault("PROMETHEUS_MULTIPROC_DIR", str(self.run_dir.resolve() / "metrics"))
        env.setdefault("RASA_API_TOKEN", self.api_token)
        env.setdefault("NLG_TOKEN", self.nlg_token)
        env.setdefault("TRACKER_STORE_URL", f"sqlite:///{self.run_dir.resolve() / 'tracker.db'}")
        return env

    def _write_endpoints(self) -> Path:
        path = self.run_dir / "endpoints.yml"
        endpoints = {
            "action_endpoint": {"url": self.ports.url(self.ports.actions, "/webhook")},
            # Rasa sends the token as `?token=` on every NLG call.
            "nlg": {
                "url": self.ports.url(self.ports.gateway, "/nlg"),
                "token": self._env()["NLG_TOKEN"],
            },
            # A store the gateway can delete from (erasure, purge); in memory it could not.
            "tracker_store": rasa_endpoint(self._env()["TRACKER_STORE_URL"]),
        }
        redis_url = self._env().get("REDIS_URL")
        if redis_url:  # several Rasa instances: one conversation is locked for all of them
            endpoints["lock_store"] = rasa_lock_store(redis_url)
        path.write_text(yaml.safe_dump(endpoints))
        path.chmod(0o600)  # it holds the NLG token
        return path

    def commands(self) -> dict[str, list[str]]:
        python = sys.executable
        return {
            "actions": [
                python,
                "-m",
                "rasa_sdk",
                "--actions",
                "actions",
                "--port",
                str(self.ports.actions),
            ],
            "gateway": self._gateway(python),
            **{name: self._rasa(port) for name, port in self.ports.rasa_instances().items()},
        }

    def _gateway(self, python: str) -> list[str]:
        where = ["--host", "127.0.0.1", "--port", str(self.ports.gateway)]
        if self.gateway_workers > 1:
            workers = ["--workers", str(self.gateway_workers)]
            return [python, "-m", "bot.web.workers", *where, *workers]
        app = ["bot.web.app:create_app", "--factory"]
        return [python, "-m", "uvicorn", *app, *where, "--no-access-log"]

    def _rasa(self, port: int) -> list[str]:
        return [
            str(RASA_BIN),
            "run",
            "--model",
            str(model_path(self.root)),
            "--endpoints",
            str(self._write_endpoints()),
            "--credentials",
            str(self.root / "credentials.yml"),
            "--interface",
            "127.0.0.1",
            "--port",
            str(port),
            "--enable-api",
            # One argument with `=`: a token_urlsafe token starts with "-" one time in 64,
            # and argparse then reads `--auth-token -xyz` as an option without its value
            # (Rasa exited at start, again at every restart, with that token).
            f"--auth-token={self._env()['RASA_API_TOKEN']}",
        ]

    def spawn(self, name: str, extra_env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """Start one process (again), its output appended to `run_dir/<name>.log`.

        Its own session, hence its own process group: stopping it stops what it spawned, and a
        Ctrl-C in the terminal reaches only us, so we decide the order things stop in.
        `extra_env` is for settings only this process needs (the supervisor's status file)."""
        self.run_dir.mkdir(parents=True, exist_ok=True)  # commands() writes endpoints.yml there
        process = self._popen(name, self.commands()[name], extra_env)
        self.processes[name] = process
        return process

    def run_command(self, name: str, arguments: list[str]) -> subprocess.Popen[bytes]:
        """`python -m bot ARGUMENTS` once, with the stack's settings, its output appended to
        `run_dir/<name>.log`; not supervised (the demo's scheduled purge)."""
        return self._popen(name, [sys.executable, "-m", "bot", *arguments])

    def _popen(
        self, name: str, command: list[str], extra_env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        env = self._env() | (extra_env or {})
        with (self.run_dir / f"{name}.log").open("ab") as log:
            return subprocess.Popen(  # noqa: S603 - our own fixed commands
                command,
                cwd=self.root,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )

    def names(self) -> tuple[str, ...]:
        """Every process of this stack, in the order they start."""
        return ("actions", "gateway", *self.ports.rasa_instances())

    def start(self, names: tuple[str, ...] | None = None) -> None:
        for name in names or self.names():
            self.spawn(name)

    def healthy(self) -> bool:
        """One look at the gateway's /healthz: True only on 200 (every part answers)."""
        try:
            url = self.ports.url(self.ports.gateway, "/healthz")
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_ready(self, timeout: float = 240.0) -> None:
        """Until /healthz says every part answers; fails fast if a process dies."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(
                        f"{name} exited with {process.returncode}; "
                        f"see {self.run_dir / (name + '.log')}"
                    )
            if self.healthy():
                return
            time.sleep(1)
        raise TimeoutError(f"not ready after {timeout:.0f}s; logs in {self.run_dir}")

    def stop(self, names: tuple[str, ...] | None = None) -> None:
        chosen = [n for n in (names or tuple(self.processes)) if n in self.processes]
        for name in chosen:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.processes[name].pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for name in chosen:
            finish_group(self.processes.pop(name), max(0.1, deadline - time.monotonic()))

    def discard(self, name: str) -> None:
        """Forget a process that exited on its own, after killing what its group left behind.

        Killing Rasa's main process (kill -9, the OOM killer) can leave its children running
        and holding the port; a restarted Rasa could not listen then. Done as soon as the exit
        is noticed, so the group's id has had no time to be reused by another process."""
        process = self.processes.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)

    def exited(self) -> list[str]:
        return [name for name, p in self.processes.items() if p.poll() is not None]
