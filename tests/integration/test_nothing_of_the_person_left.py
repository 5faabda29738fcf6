"""Issue 16, "Done when": after a conversation naming a person and a place, "efase tout done
mwen yo" and a yes, no byte of the gateway's database, of Rasa's tracker store or of any log
holds their phone number, name, pseudonym or words; without the yes, everything is still there
(so the search is able to find it). The files are read as they are on disk, write-ahead logs
included, as someone who copied them would read them: nothing is checkpointed or vacuumed first.

Through the real stack: signed WhatsApp webhooks, the gateway, Rasa with its SQL tracker store.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import httpx
import pytest

from bot.pseudonym import pseudonymise
from tests.integration.conftest import INTEGRATION_KEY
from tests.test_purge import run_purge
from tests.whatsapp_helpers import message_form, post_signed

pytestmark = pytest.mark.integration


def conversation(number: str, name: str, hotel: str) -> list[str]:
    """What a person writes: their name and number, where they are, what happened."""
    return [
        f"bonjou, mwen rele {name}, nimewo m se +509 {number[3:7]} {number[7:]}",
        f"mwen nan Tapachula ak {name.split()[0]}, yo pran paspo m nan otel {hotel}",
    ]


def traces(number: str, name: str, hotel: str) -> list[bytes]:
    """What must not be found: the number as sent and as written, the name, the words, the
    pseudonym the gateway gives the person."""
    words = [number, f"{number[3:7]} {number[7:]}", *name.split(), f"otel {hotel}"]
    words.append(pseudonymise(INTEGRATION_KEY.encode(), "whatsapp", f"whatsapp:+{number}"))
    return [word.encode() for word in words]


def files_of(running) -> dict[str, bytes]:  # noqa: ANN001 - the running stack
    """Every file of the run: the database and its WAL, the tracker store, every log."""
    database = Path(running.database_url.removeprefix("sqlite:///"))
    paths = [*database.parent.glob(database.name + "*"), *running.stack.run_dir.glob("*")]
    return {str(path): path.read_bytes() for path in paths if path.is_file()}


def found_in(files: dict[str, bytes], wanted: list[bytes]) -> dict[str, list[str]]:
    """Which of `wanted` each file holds, in any case (Rasa is sent lower-case text)."""
    hits = {
        name: [word.decode() for word in wanted if word.lower() in content.lower()]
        for name, content in files.items()
    }
    return {name: words for name, words in hits.items() if words}


def in_tracker(running, hits: dict[str, list[str]]) -> list[str]:  # noqa: ANN001
    """What the tracker store's files hold of the words searched (the file or its WAL)."""
    tracker = str(running.stack.run_dir / "tracker.db")
    return hits.get(tracker, []) + hits.get(tracker + "-wal", [])


def talk(client: httpx.Client, number: str, name: str, messages: list[str]) -> None:
    sender = f"whatsapp:+{number}"
    for text in messages:
        response = post_signed(client, message_form(text, sender=sender, ProfileName=name))
        assert response.status_code == 200, response.text


def test_after_a_confirmed_erasure_no_file_holds_anything_of_the_person(running):
    kept = ("50937914455", "Wilnerlande Jozafat", "Miramar")
    erased = ("50938226619", "Dieumerci Altagrace", "Belvedere")
    with httpx.Client(base_url=running.gateway, timeout=60) as client:
        talk(client, *kept[:2], [*conversation(*kept), "efase tout done mwen yo", "non"])
        talk(client, *erased[:2], [*conversation(*erased), "efase tout done mwen yo", "wi"])
        health = client.get("/healthz").text

    files = files_of(running)
    assert not found_in(files, traces(*erased))
    # Without the yes, Rasa's tracker still holds what the person wrote (and the search
    # finds it), and the gateway's database still holds their conversation's pseudonym.
    still = found_in(files, traces(*kept))
    assert "otel Miramar" in in_tracker(running, still)
    assert any(name.startswith(running.database_url.removeprefix("sqlite:///")) for name in still)
    # Their phone number is in no file at all, erased or not: the sender's address is kept
    # encrypted and only until answered, and the number they wrote never reached Rasa.
    number, written = traces(*kept)[0].decode(), traces(*kept)[1].decode()
    assert not [name for name, words in still.items() if number in words or written in words]
    # Logs and the health report name nobody, erased or not.
    for name, words in still.items():
        assert not name.endswith(".log"), (name, words)
    for word in traces(*kept):
        assert word.decode() not in health


def test_eight_days_later_the_purge_leaves_no_message_text_in_rasas_tracker(running):
    """Issue 16: `python -m bot purge` with a clock 8 days ahead, against the real tracker
    store Rasa wrote: no event older than RETAIN_TEXT_DAYS (7) is left, whoever wrote it."""
    person = ("50939117788", "Nadege Fortuna", "Soleil")
    with httpx.Client(base_url=running.gateway, timeout=60) as client:
        talk(client, *person[:2], conversation(*person))
    tracker = running.stack.run_dir / "tracker.db"
    assert "otel Soleil" in in_tracker(running, found_in(files_of(running), traces(*person)))

    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=8)
    purged = run_purge(
        running.database_url, f"sqlite:///{tracker}", later, PSEUDONYM_KEY=INTEGRATION_KEY
    )
    assert "tracker events: 0" not in purged.stdout, purged.stdout
    with sqlite3.connect(tracker) as events:
        (left,) = events.execute("SELECT count(*) FROM events").fetchone()
    events.close()
    assert left == 0
    # What they wrote is gone from every file; the conversation row (a pseudonym, the
    # language, the country) stays, as the privacy notice says.
    assert not found_in(files_of(running), traces(*person)[:-1])
