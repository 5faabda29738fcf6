"""Issue 11: `python -m bot demo` (what `make demo` runs) with Rasa killed as the OOM killer
would (SIGKILL). The gateway goes on answering a Kreyòl emergency on WhatsApp within a second;
a question asked meanwhile gets one note and, once the supervisor has started Rasa again, its
real answer through the Messages API, once; a Telegram update waiting when the demo starts gets
the model's answer; the demo never stopped, and SIGTERM still leaves no process behind.
Twilio's and Telegram's servers are local fakes (tests/fakes/); everything else is real."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.config import REPO_ROOT
from bot.languages import load_languages
from bot.phrases import Phrasebook
from bot.stack import Ports
from bot.supervisor import supervision_report
from bot.training import fingerprint, model_path
from tests.fakes.telegram_api import TOKEN, FakeTelegram, fake_telegram, new_chat, text_update
from tests.fakes.twilio_api import FakeTwilio, fake_twilio
from tests.integration.conftest import TWILIO_TEST_TOKEN, demo_env, plain, start_demo
from tests.integration.test_demo import processes_mentioning
from tests.test_supervisor import alive, eventually
from tests.whatsapp_helpers import ACCOUNT_SID, OUR_NUMBER, message_form, post_signed

pytestmark = pytest.mark.integration
PHRASES = Phrasebook(REPO_ROOT / "translations", load_languages(REPO_ROOT / "translations"))
EMERGENCY = "yo kenbe m, m pa ka soti"  # "they are holding me, I cannot get out"
QUESTION = "ki kote m ka dòmi aswè a"  # "where can I sleep tonight": shelter, through Rasa
WAITING_ON_TELEGRAM = "where can I sleep tonight"


@dataclass
class Demo:
    """A running `python -m bot demo`, its output read as it comes (so a full pipe never
    blocks it) and the path of its status file, taken from what it prints."""

    process: subprocess.Popen[str]
    ports: Ports
    twilio: FakeTwilio
    telegram: FakeTelegram
    lines: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def url(self, path: str) -> str:
        return self.ports.url(self.ports.gateway, path)

    def wait_ready(self, timeout: float = 300) -> None:
        ended = self.process.poll
        if not eventually(lambda: "ready" in self.lines or ended() is not None, timeout):
            pytest.fail(f"no `ready` after {timeout:.0f}s:\n{self.output}")
        assert "ready" in self.lines, self.output

    def processes(self) -> dict[str, Any]:
        [line] = [line for line in self.lines if line.startswith("processes:")]
        report = supervision_report(Path(line.split(":", 1)[1].strip()))
        assert report is not None, line
        assert report["supervisor_pid"] == self.process.pid, "another demo's status file"
        return report["processes"]

    def kill_rasa(self) -> int:
        """SIGKILL, as the OOM killer does, to the Rasa pid from the status file, once sure
        it is this demo's Rasa. Returns the pid."""
        pid = self.processes()["rasa"]["pid"]
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        assert b"run" in cmdline and str(self.ports.rasa).encode() in cmdline, cmdline
        os.kill(pid, signal.SIGKILL)
        return pid

    def healthz(self) -> int:
        try:
            return httpx.get(self.url("/healthz"), timeout=5).status_code
        except httpx.HTTPError:
            return 0


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with fake_twilio(ACCOUNT_SID, TWILIO_TEST_TOKEN) as fake:
        yield fake


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    """The Bot API with one update already waiting, as after a restart."""
    with fake_telegram() as fake:
        fake.queue_update(text_update(new_chat(), WAITING_ON_TELEGRAM))
        yield fake


@pytest.fixture
def demo(tmp_path: Path, twilio: FakeTwilio, telegram: FakeTelegram) -> Iterator[Demo]:
    """The demo on its own ports and its own store, WhatsApp in TwiML mode with Messages API
    credentials, Telegram polling; SIGTERM-ed at the end if still running."""
    trained = REPO_ROOT / "models" / "fingerprint.txt"
    if not (model_path().exists() and trained.exists()) or (
        trained.read_text().strip() != fingerprint()
    ):
        pytest.fail("the model is missing or out of date, the demo would train: `make model`")
    ports = Ports.free()
    env = demo_env(ports, tmp_path)
    env.update(
        TWILIO_AUTH_TOKEN=TWILIO_TEST_TOKEN,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        WHATSAPP_FROM=OUR_NUMBER,
        TWILIO_API_BASE=twilio.url,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE=telegram.url,
    )
    env.pop("PUBLIC_BASE_URL", None)  # Telegram polls
    process = start_demo(env)
    running = Demo(process, ports, twilio, telegram)
    try:
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)


def on_whatsapp(demo: Demo, text: str, sender: str) -> tuple[str, float]:
    """The Twilio-signed webhook; the TwiML answer's text and how long it took."""
    with httpx.Client(base_url=demo.url("")) as client:
        form = message_form(text, sender=sender)
        started = time.monotonic()
        response = post_signed(client, form)
        elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text
    [answer] = [m.text or "" for m in ET.fromstring(response.text).iter("Message")]
    return answer, elapsed


def wait_for(condition: Callable[[], bool], timeout: float, what: str, demo: Demo) -> float:
    """Seconds it took for `condition`; fails with the demo's output if it never came."""
    started = time.monotonic()
    if not eventually(condition, timeout):
        pytest.fail(f"{what}: not after {timeout:.0f}s\n{demo.output}")
    return time.monotonic() - started


def test_rasa_killed_is_restarted_while_the_gateway_answers_emergencies(demo):
    demo.wait_ready()
    # The update that waited on Telegram through the start got the model's answer.
    [waited] = demo.telegram.wait_for_calls("sendMessage", 1, timeout=60)
    assert "Source" in waited["text"], waited["text"]  # a topic answer, not a note
    assert plain(PHRASES.get("held", "en")) not in plain(waited["text"])
    gateway_pid = demo.processes()["gateway"]["pid"]
    killed_at = time.monotonic()
    rasa_pid = demo.kill_rasa()
    wait_for(lambda: not demo.processes()["rasa"]["running"], 5, "Rasa's exit noticed", demo)

    answer, elapsed = on_whatsapp(demo, EMERGENCY, "whatsapp:+50937000101")
    assert plain(PHRASES.get("which_country", "ht")) in plain(answer)
    assert "Si ou an danje" in answer
    assert elapsed < 1.0, f"{elapsed:.2f}s"
    print(f"\nemergency answered in {elapsed * 1000:.0f} ms with Rasa down")
    assert demo.healthz() == 503  # Rasa really was down
    note, _ = on_whatsapp(demo, QUESTION, "whatsapp:+50937000102")
    assert plain(note) == plain(PHRASES.get("held", "ht"))  # kept, in Kreyòl

    wait_for(lambda: demo.processes()["rasa"]["running"], 10, "Rasa started again", demo)
    wait_for(lambda: demo.healthz() == 200, 180, "/healthz 200 again", demo)
    print(f"\n/healthz 200 again {time.monotonic() - killed_at:.0f}s after Rasa was killed")
    after = demo.processes()
    assert after["rasa"]["restarts"] == 1
    assert after["rasa"]["last_exit_code"] == -signal.SIGKILL
    assert after["rasa"]["pid"] != rasa_pid
    assert (after["gateway"]["pid"], after["gateway"]["restarts"]) == (gateway_pid, 0)
    assert "rasa exited (killed by SIGKILL)" in demo.output
    # The question asked while Rasa was down, answered by the model once it was back, once.
    [later] = demo.twilio.recorder.wait_for(1, timeout=30)
    assert later.form["To"] == "whatsapp:+50937000102"
    assert "Sous:" in later.form["Body"], later.form["Body"]
    time.sleep(3)  # a second pass of the held loop must not send it again
    assert len(demo.twilio.recorder.requests) == 1
    assert demo.process.poll() is None, "the demo itself must still be running"

    demo.process.send_signal(signal.SIGTERM)
    assert demo.process.wait(timeout=60) == 0, demo.output
    pids = [rasa_pid] + [entry["pid"] for entry in after.values()]
    assert eventually(lambda: not any(alive(pid) for pid in pids)), pids
    ports = (demo.ports.gateway, demo.ports.rasa, demo.ports.actions)
    assert eventually(lambda: not any(processes_mentioning(f" {port}") for port in ports))
