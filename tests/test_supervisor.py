"""The demo's supervisor (bot/supervisor.py) on tiny `python -c` processes, with a fake clock:
what exits is started again after 1, 2, 4 ... s, the status file says so, nothing else is
touched, and SIGTERM leaves no process behind. No Rasa, no real waiting for backoffs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import REPO_ROOT
from bot.stack import Ports, Stack
from bot.supervisor import (
    STATUS_FILE_ENV,
    ReadyWatch,
    RestartPolicy,
    Supervisor,
    describe_exit,
    supervision_report,
    write_json_atomically,
)

SLEEPS = "import time; time.sleep(60)"
EXITS_3 = "raise SystemExit(3)"
# A process that leaves a child behind when killed, as Rasa can: prints the child's pid.
HAS_A_CHILD = (
    "import subprocess, sys, time; "
    f"child = subprocess.Popen([sys.executable, '-c', {SLEEPS!r}]); "
    "print(child.pid, flush=True); time.sleep(60)"
)
PRINTS_ENV = f"import os; print(os.environ.get({STATUS_FILE_ENV!r}), flush=True); {SLEEPS}"


@dataclass
class TinyStack(Stack):
    """The real Stack (process groups, logs, die_with_parent) running small Python scripts."""

    scripts: dict[str, str] = field(default_factory=dict)

    def commands(self) -> dict[str, list[str]]:
        return {name: [sys.executable, "-c", code] for name, code in self.scripts.items()}


class FakeClock:
    """The supervisor's time, moved on by the test instead of passing."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def utc(self) -> datetime:
        return datetime(2030, 1, 1, tzinfo=UTC) + timedelta(seconds=self.now)


@dataclass
class Run:
    """A started supervisor, its fake clock and what it logged."""

    supervisor: Supervisor
    clock: FakeClock
    logs: list[str]

    def status(self, name: str) -> dict:
        report = supervision_report(self.supervisor.status_file)
        assert report is not None
        return report["processes"][name]

    def pid(self, name: str) -> int:
        return self.supervisor.stack.processes[name].pid

    def wait_for_exit(self, name: str) -> None:
        """Really wait for the process to end (milliseconds), then let the supervisor see it."""
        self.supervisor.stack.processes[name].wait(timeout=10)
        self.supervisor.tick()

    def after(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.supervisor.tick()


@pytest.fixture
def supervise(tmp_path: Path) -> Iterator[Callable[..., Run]]:
    """Starts a supervisor on TinyStack scripts (name=code); stops it after the test."""
    started: list[Supervisor] = []

    def start(**scripts: str) -> Run:
        clock, logs = FakeClock(), []
        stack = TinyStack(ports=Ports(), run_dir=tmp_path, scripts=scripts)
        supervisor = Supervisor(
            stack, names=tuple(scripts), clock=clock, utc_now=clock.utc, log=logs.append
        )
        started.append(supervisor)
        supervisor.start()
        return Run(supervisor, clock, logs)

    yield start
    for supervisor in started:
        supervisor.stop()


def alive(pid: int) -> bool:
    """Running, that is: not gone, and not a zombie waiting for its parent to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def eventually(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_backoff_doubles_from_one_second_up_to_thirty():
    policy = RestartPolicy()
    assert [policy.delay(n) for n in range(8)] == [1, 1, 2, 4, 8, 16, 30, 30]


@pytest.mark.parametrize(
    ("code", "said"),
    [(0, "exit code 0"), (3, "exit code 3"), (-9, "killed by SIGKILL"), (None, "did not start")],
)
def test_exits_are_described_by_code_or_signal(code, said):
    assert describe_exit(code) == said


def test_an_exited_process_starts_again_after_its_delay_and_the_status_file_says_so(supervise):
    run = supervise(gateway=SLEEPS, rasa=EXITS_3)
    gateway_pid, first_rasa_pid = run.pid("gateway"), run.pid("rasa")
    run.clock.advance(2)
    run.wait_for_exit("rasa")

    assert run.logs == ["rasa exited (exit code 3) after 2s; restart 1 in 1s"]
    rasa = run.status("rasa")
    assert (rasa["running"], rasa["pid"], rasa["restarts"]) == (False, None, 0)
    assert rasa["last_exit_code"] == 3
    in_one_second = run.clock.utc() + timedelta(seconds=1)
    assert rasa["next_start_at"] == in_one_second.isoformat(timespec="seconds")

    run.after(0.9)
    assert run.status("rasa")["running"] is False
    run.after(0.1)
    rasa = run.status("rasa")
    assert (rasa["running"], rasa["restarts"]) == (True, 1)
    assert rasa["pid"] not in (None, first_rasa_pid)
    assert rasa["last_started_at"] == run.clock.utc().isoformat(timespec="seconds")
    assert run.logs[-1] == "rasa started again (restart 1)"
    gateway = run.status("gateway")
    assert (gateway["running"], gateway["pid"], gateway["restarts"]) == (True, gateway_pid, 0)


def test_quick_failures_back_off_and_a_crash_loop_is_reported_once(supervise):
    run = supervise(gateway=SLEEPS, rasa=EXITS_3)
    gateway_pid = run.pid("gateway")
    delays = []
    for _ in range(7):
        run.wait_for_exit("rasa")
        state = run.supervisor.states["rasa"]
        delays.append(state.restart_due - run.clock())
        run.after(delays[-1])  # its delay is over: started again

    assert delays == [1, 2, 4, 8, 16, 30, 30]
    loops = [line for line in run.logs if "keeps crashing" in line]
    assert loops == [
        "rasa keeps crashing at start: 5 quick failures in a row; still retrying, at most "
        f"every 30s, and the other processes keep running; see {run.supervisor.stack.run_dir}"
        "/rasa.log"
    ]
    assert run.logs.index(loops[0]) == 2 * 4 + 1  # after the 5th exit (exit, start, exit...)
    assert run.status("rasa")["crash_loop"] is True
    assert run.status("rasa")["restarts"] == 7
    assert alive(gateway_pid)
    assert run.status("gateway")["restarts"] == 0


def test_a_process_that_stayed_up_starts_again_at_once_and_its_crash_loop_is_over(supervise):
    run = supervise(rasa=SLEEPS)
    for _ in range(5):  # killed right after each start: a crash loop
        os.kill(run.pid("rasa"), signal.SIGKILL)
        run.wait_for_exit("rasa")
        run.after(run.supervisor.states["rasa"].restart_due - run.clock())
    assert run.status("rasa")["crash_loop"] is True

    run.after(60)
    assert run.logs[-1] == "rasa has stayed up 60s: crash loop over"
    assert (run.status("rasa")["crash_loop"], run.status("rasa")["quick_failures"]) == (False, 0)

    run.clock.advance(3600)
    os.kill(run.pid("rasa"), signal.SIGKILL)
    run.wait_for_exit("rasa")
    assert run.logs[-1] == "rasa exited (killed by SIGKILL) after 3660s; restart 6 in 1s"
    assert run.status("rasa")["last_exit_code"] == -signal.SIGKILL


def test_what_a_killed_process_leaves_in_its_group_is_killed_before_the_restart(supervise):
    """Rasa's main process killed alone could leave a child holding its port."""
    run = supervise(rasa=HAS_A_CHILD)
    log = run.supervisor.stack.run_dir / "rasa.log"
    assert eventually(lambda: log.exists() and log.read_text().strip() != "")
    child = int(log.read_text().split()[0])
    assert alive(child)

    os.kill(run.pid("rasa"), signal.SIGKILL)
    run.wait_for_exit("rasa")
    assert eventually(lambda: not alive(child))


def test_only_the_gateway_is_told_where_the_status_file_is(supervise):
    run = supervise(gateway=PRINTS_ENV, rasa=PRINTS_ENV)
    run_dir = run.supervisor.stack.run_dir
    said = {}
    for name in ("gateway", "rasa"):
        log = run_dir / f"{name}.log"
        assert eventually(lambda log=log: log.exists() and log.read_text().endswith("\n"))
        said[name] = log.read_text().strip()
    assert said == {"gateway": str(run_dir / "processes.json"), "rasa": "None"}


def test_a_process_that_cannot_be_started_is_retried_and_nothing_else_stops(tmp_path):
    class NoFork(TinyStack):
        def spawn(self, name, extra_env=None):
            if name == "rasa":
                raise BlockingIOError(11, "Resource temporarily unavailable")
            return super().spawn(name, extra_env)

    clock, logs = FakeClock(), []
    stack = NoFork(ports=Ports(), run_dir=tmp_path, scripts={"gateway": SLEEPS, "rasa": SLEEPS})
    supervisor = Supervisor(
        stack, ("gateway", "rasa"), clock=clock, utc_now=clock.utc, log=logs.append
    )
    try:
        supervisor.start()
        clock.advance(1)
        supervisor.tick()
        assert logs[-1].startswith("rasa could not start ([Errno 11] Resource temporarily")
        assert logs[-1].endswith("; restart 2 in 2s")
        assert stack.processes["gateway"].poll() is None
    finally:
        supervisor.stop()


def test_sigterm_to_the_supervisor_stops_every_process_it_started(tmp_path):
    """What `python -m bot demo` does on SIGTERM, with TinyStack: a process in its backoff,
    one with a child in its group, one plain; none is left."""
    script = f"""
import signal, sys
from pathlib import Path
from bot.stack import Ports
from bot.supervisor import Supervisor, supervise
from tests.test_supervisor import TinyStack

stopping = []
signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
scripts = {{"actions": {EXITS_3!r}, "gateway": {SLEEPS!r}, "rasa": {HAS_A_CHILD!r}}}
stack = TinyStack(ports=Ports(), run_dir=Path(sys.argv[1]), scripts=scripts)
supervise(Supervisor(stack, names=tuple(scripts)), until=lambda: bool(stopping))
"""
    supervisor = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], cwd=REPO_ROOT)
    status_file, rasa_log = tmp_path / "processes.json", tmp_path / "rasa.log"

    def everything_started() -> bool:
        report = supervision_report(status_file) or {"processes": {}}
        return (
            report["processes"].get("actions", {}).get("last_exit_code") == 3
            and rasa_log.exists()
            and rasa_log.read_text().strip() != ""
        )

    try:
        assert eventually(everything_started, timeout=20)
        processes = supervision_report(status_file)["processes"]
        pids = [processes[name]["pid"] for name in ("gateway", "rasa")]
        pids.append(int(rasa_log.read_text().split()[0]))  # rasa's child
        assert all(alive(pid) for pid in pids)
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(timeout=20) == 0
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
    assert eventually(lambda: not any(alive(pid) for pid in pids))
    final = supervision_report(status_file)
    assert final["stopped"] is True
    assert not any(entry["running"] for entry in final["processes"].values())


@pytest.mark.parametrize(
    "content",
    [None, "", "{not json", "[1, 2]", '{"processes": {"rasa": ', b"\xff\xfe"],
    ids=["missing", "empty", "garbage", "not-an-object", "truncated", "not-utf8"],
)
def test_an_unusable_status_file_reports_nothing_and_never_raises(tmp_path, content):
    path = tmp_path / "processes.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    assert supervision_report(path) is None


def test_no_status_file_configured_or_a_directory_reports_nothing(tmp_path):
    assert supervision_report(None) is None
    assert supervision_report(tmp_path) is None


def test_the_status_file_is_replaced_whole_and_no_temporary_file_stays(tmp_path):
    path = tmp_path / "run" / "processes.json"
    write_json_atomically(path, {"processes": {"rasa": {"restarts": 1}}})
    write_json_atomically(path, {"processes": {"rasa": {"restarts": 2}}})
    assert json.loads(path.read_text()) == {"processes": {"rasa": {"restarts": 2}}}
    assert supervision_report(path) == {"processes": {"rasa": {"restarts": 2}}}
    assert [p.name for p in path.parent.iterdir()] == ["processes.json"]
    assert path.stat().st_mode & 0o777 == 0o644


def test_ready_is_announced_once_and_slowness_once():
    clock, said = FakeClock(), []
    answers = iter([False, False, True, True])
    watch = ReadyWatch(
        is_ready=lambda: next(answers),
        on_ready=lambda: said.append("ready"),
        on_late=lambda waited: said.append(f"late {waited:g}"),
        late_after=240,
        clock=clock,
    )
    watch()
    clock.advance(240)
    watch()
    watch()
    watch()
    assert said == ["late 240", "ready"]
