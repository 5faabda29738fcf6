"""Keep the demo's processes running: restart one that exits, with backoff, and say so.

When Rasa dies (kill -9, the OOM killer), the gateway must go on answering emergencies, which
it does without Rasa; so a process that exits is started again after 1, 2, 4 ... seconds (at
most 30), and nothing else is touched. A process that has stayed up a minute starts again
from 1 s if it ever fails. One that keeps failing soon after starting (5 times in a row) is
reported once, clearly, as a crash loop, and still retried every 30 s at most, so it comes
back by itself once the cause (memory, a busy port) is gone. Only SIGINT/SIGTERM stop
everything (`supervise`).

What the supervisor knows is written to a JSON file in the run dir (`processes.json`), whole
or not at all, and its path given to the gateway as SUPERVISOR_STATUS_FILE, so /healthz can
tell an operator what restarted and when (`supervision_report`). It holds no personal data,
and neither do the lines logged to stderr: process names, exit codes, counts, delays.

Why our own loop rather than honcho or supervisord: honcho, like foreman, stops every process
when one exits, which is the behaviour we are replacing, and does not restart. supervisord
restarts, but it is a daemon of its own with an INI file and an XML-RPC socket: `make demo`
would have to write its config, start it, wait on it and translate its state for /healthz,
and the processes would no longer be started by bot/stack.py, the code the integration tests
run (process groups, die_with_parent). The decisions below fit in a page and are tested with
a fake clock (tests/test_supervisor.py).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from bot.stack import Stack

STATUS_FILE_NAME = "processes.json"
STATUS_FILE_ENV = "SUPERVISOR_STATUS_FILE"  # read by the gateway (GET /healthz)
TICK_SECONDS = 0.5


class Process(Protocol):
    """The little of subprocess.Popen the supervisor uses."""

    pid: int

    def poll(self) -> int | None: ...


@dataclass(frozen=True)
class RestartPolicy:
    """How long to wait before starting a process again, and when to call it a crash loop."""

    first_delay: float = 1.0
    max_delay: float = 30.0
    # Up this long, a process is healthy again: its next failure waits `first_delay` only.
    stable_after: float = 60.0
    # This many quick failures in a row (each within `stable_after` of starting) is a crash loop.
    crash_loop_after: int = 5

    def is_quick(self, uptime: float) -> bool:
        return uptime < self.stable_after

    def delay(self, quick_failures: int) -> float:
        """1, 1, 2, 4, 8 ... seconds (capped) after 0, 1, 2, 3, 4 ... quick failures in a row.

        0 means the process had stayed up a while: something killed a healthy process, so
        start it again almost at once."""
        return min(self.max_delay, self.first_delay * 2 ** max(0, quick_failures - 1))


def describe_exit(code: int | None) -> str:
    """`exit code 1`, `killed by SIGKILL` (subprocess reports a signal as -N), `did not start`."""
    if code is None:
        return "did not start"
    if code >= 0:
        return f"exit code {code}"
    try:
        return f"killed by {signal.Signals(-code).name}"
    except ValueError:
        return f"killed by signal {-code}"


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


@dataclass
class Supervised:
    """One process as the supervisor sees it; `status()` is its entry in the status file."""

    name: str
    process: Process | None = None
    started_at: float = 0.0  # on the supervisor's clock (monotonic), for uptimes
    last_started_at: str | None = None  # UTC ISO, for people
    last_exit_code: int | None = None
    last_exited_at: str | None = None
    restarts: int = 0
    quick_failures: int = 0
    crash_loop: bool = False
    next_start_at: str | None = None  # UTC ISO, while waiting to start again
    restart_due: float | None = None  # on the supervisor's clock

    def status(self) -> dict[str, Any]:
        """`running` means the process is alive, not that it answers yet: /healthz says that."""
        return {
            "running": self.process is not None,
            "pid": self.process.pid if self.process is not None else None,
            "restarts": self.restarts,
            "last_started_at": self.last_started_at,
            "last_exit_code": self.last_exit_code,
            "last_exit": describe_exit(self.last_exit_code) if self.last_exited_at else None,
            "last_exited_at": self.last_exited_at,
            "quick_failures": self.quick_failures,
            "crash_loop": self.crash_loop,
            "next_start_at": self.next_start_at,
        }


def _to_stderr(line: str) -> None:
    print(f"supervisor: {line}", file=sys.stderr, flush=True)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Supervisor:
    """Starts the stack's processes and, tick after tick, starts again whichever exited.

    Time comes from `clock` (seconds, monotonic) and `utc_now`, and waiting from `sleep`, so
    tests decide what time it is instead of sleeping."""

    def __init__(
        self,
        stack: Stack,
        names: tuple[str, ...] = ("actions", "gateway", "rasa"),
        policy: RestartPolicy | None = None,
        status_file: Path | None = None,
        clock: Callable[[], float] = time.monotonic,
        utc_now: Callable[[], datetime] = _utc_now,
        sleep: Callable[[float], None] = time.sleep,
        log: Callable[[str], None] = _to_stderr,
    ) -> None:
        self.stack = stack
        self.policy = policy or RestartPolicy()
        self.status_file = status_file or stack.run_dir / STATUS_FILE_NAME
        self.clock, self.utc_now, self.sleep, self.log = clock, utc_now, sleep, log
        self.states = {name: Supervised(name) for name in names}
        self.stopped = False

    def start(self) -> None:
        for state in self.states.values():
            self._spawn(state)
        self.write_status()

    def run(self, until: Callable[[], bool], on_tick: Callable[[], None] | None = None) -> None:
        """Supervise until `until()` says stop (checked every tick, so a signal handler that
        sets a flag is answered within half a second)."""
        while not until():
            self.tick()
            if on_tick is not None:
                on_tick()
            self.sleep(TICK_SECONDS)

    def tick(self) -> None:
        """One look at every process: notice exits, start those whose delay is over, forget
        the failures of those that have stayed up. The status file is rewritten on change."""
        now = self.clock()
        changed = [self._look_at(state, now) for state in self.states.values()]
        if any(changed):
            self.write_status()

    def stop(self) -> None:
        """Stop every process (process groups, see Stack.stop); none is started again."""
        self.stopped = True
        self.stack.stop(tuple(self.states))
        for state in self.states.values():
            state.process = None
            state.restart_due = state.next_start_at = None
        self.write_status()

    def _look_at(self, state: Supervised, now: float) -> bool:
        if state.process is None:
            if state.restart_due is None or now < state.restart_due:
                return False
            state.restarts += 1
            self._spawn(state)
            return True
        code = state.process.poll()
        if code is not None:
            self.stack.discard(state.name)
            uptime = now - state.started_at
            self._failed(state, code, now, f"exited ({describe_exit(code)}) after {uptime:.0f}s")
            return True
        return self._forget_failures_if_stable(state, now)

    def _spawn(self, state: Supervised) -> None:
        state.restart_due = state.next_start_at = None
        state.started_at = self.clock()
        state.last_started_at = utc_iso(self.utc_now())
        try:
            state.process = self.stack.spawn(state.name, self._extra_env(state.name))
        except OSError as error:  # no fork when memory is short, a missing binary...
            state.process = None
            self._failed(state, None, state.started_at, f"could not start ({error})")
            return
        if state.restarts:
            self.log(f"{state.name} started again (restart {state.restarts})")

    def _extra_env(self, name: str) -> dict[str, str]:
        return {STATUS_FILE_ENV: str(self.status_file)} if name == "gateway" else {}

    def _failed(self, state: Supervised, code: int | None, now: float, what: str) -> None:
        """Record the failure and decide when to start again; a crash loop is said once."""
        uptime = now - state.started_at
        state.process = None
        state.last_exit_code = code
        state.last_exited_at = utc_iso(self.utc_now())
        state.quick_failures = state.quick_failures + 1 if self.policy.is_quick(uptime) else 0
        delay = self.policy.delay(state.quick_failures)
        state.restart_due = now + delay
        state.next_start_at = utc_iso(self.utc_now() + timedelta(seconds=delay))
        self.log(f"{state.name} {what}; restart {state.restarts + 1} in {delay:g}s")
        if state.quick_failures >= self.policy.crash_loop_after and not state.crash_loop:
            state.crash_loop = True
            self.log(
                f"{state.name} keeps crashing at start: {state.quick_failures} quick failures "
                f"in a row; still retrying, at most every {self.policy.max_delay:g}s, and the "
                f"other processes keep running; see {self.stack.run_dir / state.name}.log"
            )

    def _forget_failures_if_stable(self, state: Supervised, now: float) -> bool:
        if not state.quick_failures or self.policy.is_quick(now - state.started_at):
            return False
        if state.crash_loop:
            self.log(f"{state.name} has stayed up {self.policy.stable_after:g}s: crash loop over")
        state.quick_failures, state.crash_loop = 0, False
        return True

    def write_status(self) -> None:
        status = {
            "supervisor_pid": os.getpid(),
            "updated_at": utc_iso(self.utc_now()),
            "stopped": self.stopped,
            "processes": {name: state.status() for name, state in self.states.items()},
        }
        try:
            write_json_atomically(self.status_file, status)
        except OSError as error:  # a full disk must not stop the supervision itself
            self.log(f"could not write {self.status_file}: {error.strerror or error}")


def supervise(
    supervisor: Supervisor, until: Callable[[], bool], on_tick: Callable[[], None] | None = None
) -> None:
    """Start every process, keep them running until `until()`, then stop them all, whatever
    happened in between (the demo's whole life; `until` is its SIGINT/SIGTERM flag)."""
    try:
        supervisor.start()
        supervisor.run(until, on_tick)
    finally:
        supervisor.stop()


@dataclass
class ReadyWatch:
    """Calls `on_ready` once, the first time `is_ready()` (the gateway's /healthz says 200);
    if that takes longer than `late_after` seconds, calls `on_late(seconds waited)` once and
    keeps watching. It is the supervisor's `on_tick`, so what dies while starting is restarted
    meanwhile, and a demo that is slow to start is not a demo that failed."""

    is_ready: Callable[[], bool]
    on_ready: Callable[[], None]
    on_late: Callable[[float], None]
    late_after: float = 240.0
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self.started = self.clock()
        self.ready = self.warned = False

    def __call__(self) -> None:
        if self.ready:
            return
        if self.is_ready():
            self.ready = True
            self.on_ready()
        elif not self.warned and self.clock() - self.started >= self.late_after:
            self.warned = True
            self.on_late(self.clock() - self.started)


def write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    """Readers (the gateway's /healthz) see the old file or the new one, never half of one:
    the JSON goes to a temporary file beside it, which is then renamed over it (atomic on
    POSIX within one file system)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)  # mkstemp's 0600 would hide it from a monitoring user; no secrets
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(data, file, indent=2, sort_keys=True)
            file.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def supervision_report(path: Path | None) -> dict[str, Any] | None:
    """The supervisor's last status, for GET /healthz; None when the gateway runs without a
    supervisor (`path` unset) or the file is missing, unreadable or not a JSON object.

    Never raises: a health check must answer whatever state this file is in."""
    if path is None:
        return None
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None
