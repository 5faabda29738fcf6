"""Simulated people: who says what, how they pace it, and the verdict on what they received.

Each person holds one of three six-turn conversations (Kreyòl, French, English: a greeting, a
trafficking question, children, asylum or shelter, a "no", a thanks), waits for the answer
before the next turn as people do (at most `patience` seconds), then thinks a moment. Posted
as Twilio posts: signed, and posted again with the same MessageSid when the connection drops
or the gateway answers 5xx, as Twilio's retries do, so a webhook that reached a dying worker
is retried rather than given up.

The verdict needs no marker in the answers: before the load, one calibration person holds
each conversation alone, and what they received is what every person with that script must
receive, each message once, in that order. Lost: an expected message that never came.
Duplicated: an expected message that came twice. Out of order: a person whose expected
messages came in another order. Anything else that came (a "one moment, I will answer when
I can" while a Rasa was being killed) is counted apart: not wrong, but not the answer.
"""

from __future__ import annotations

import asyncio
import random
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

import httpx

from bench.fake_twilio import AUTH_TOKEN, Inbox
from tests.whatsapp_helpers import message_form, signature

SCRIPTS: dict[str, tuple[str, ...]] = {
    "ht": (
        "bonjou",
        "yo pran paspò m, patwon an pa vle remèt li",
        "m gen 2 timoun avè m",
        "ki kote m ka domi aswe a",
        "non",
        "mèsi anpil",
    ),
    "fr": (
        "bonjour",
        "le patron garde mon passeport et ne veut pas le rendre",
        "je voyage avec un enfant de 5 ans",
        "comment demander l'asile au Mexique",
        "non",
        "merci",
    ),
    "en": (
        "hello",
        "my boss took my passport",
        "I travel with my two children",
        "how do I ask for asylum in Mexico",
        "no",
        "thank you",
    ),
}


def fold(text: str) -> str:
    """What the gateway hands Rasa (bot.languages.fold), for the direct-Rasa baseline."""
    try:
        from bot.languages import fold as gateway_fold
    except ImportError:  # pragma: no cover - bot/ restructured
        decomposed = unicodedata.normalize("NFKD", text.casefold())
        return "".join(c for c in decomposed if not unicodedata.combining(c))
    return gateway_fold(text)


@dataclass
class Person:
    number: int
    language: str
    start_after: float
    thinks: list[float]

    @property
    def address(self) -> str:
        return f"whatsapp:+5093{self.number:07d}"

    @property
    def script(self) -> tuple[str, ...]:
        return SCRIPTS[self.language]


def people(count: int, seed: int, spread: float, first_number: int) -> list[Person]:
    """`count` people, languages in turn, starting within `spread` seconds, each thinking
    1–3 s between turns: the same schedule in every run with the same seed."""
    rng = random.Random(seed)
    languages = list(SCRIPTS)
    return [
        Person(
            number=first_number + n,
            language=languages[n % len(languages)],
            start_after=rng.uniform(0, spread),
            thinks=[rng.uniform(1.0, 3.0) for _ in range(6)],
        )
        for n in range(count)
    ]


async def post_webhook(http: httpx.AsyncClient, url: str, form: dict[str, str]) -> None:
    """Signed as Twilio signs; the same form again (same MessageSid) after a dropped
    connection or a 5xx, at most 8 times."""
    headers = {"X-Twilio-Signature": signature(url, form, AUTH_TOKEN)}
    for attempt in range(8):
        try:
            response = await http.post(url, data=form, headers=headers)
        except httpx.HTTPError:
            await asyncio.sleep(0.5 * (attempt + 1))
            continue
        if response.status_code < 500:
            response.raise_for_status()
            return
        await asyncio.sleep(0.5 * (attempt + 1))
    raise RuntimeError("the webhook never took a message")


async def wait_for(inbox: Inbox, address: str, count: int, patience: float) -> float | None:
    """The arrival time of the `count`-th message to `address`, or None after `patience`."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        received = inbox.received(address)
        if len(received) >= count:
            return received[count - 1].at
        await asyncio.sleep(0.05)
    return None


async def wait_quiet(inbox: Inbox, address: str, quiet: float, patience: float) -> int:
    """How many messages `address` had once nothing new came for `quiet` seconds."""
    deadline = time.monotonic() + patience
    seen, since = len(inbox.received(address)), time.monotonic()
    while time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        now_seen = len(inbox.received(address))
        if now_seen != seen:
            seen, since = now_seen, time.monotonic()
        elif seen and time.monotonic() - since >= quiet:
            break
    return seen


@dataclass
class Expected:
    """What one script's person receives: every body in order, and how many after each turn."""

    bodies: list[str]
    after_turn: list[int]


async def calibrate(http: httpx.AsyncClient, url: str, inbox: Inbox, person: Person) -> Expected:
    """One person alone, waiting for quiet after each turn."""
    after_turn = []
    for text in person.script:
        await post_webhook(http, url, message_form(text, sender=person.address))
        after_turn.append(await wait_quiet(inbox, person.address, quiet=3.0, patience=90.0))
    bodies = [delivered.body for delivered in inbox.received(person.address)]
    return Expected(bodies, after_turn)


async def converse(
    http: httpx.AsyncClient,
    url: str,
    inbox: Inbox,
    person: Person,
    expected: Expected,
    patience: float,
) -> list[float]:
    """The person's six turns; returns each answered turn's latency (to its last message)."""
    await asyncio.sleep(person.start_after)
    latencies = []
    for turn, text in enumerate(person.script):
        form = message_form(text, sender=person.address)
        started = time.monotonic()
        await post_webhook(http, url, form)
        arrived = await wait_for(inbox, person.address, expected.after_turn[turn], patience)
        if arrived is not None:
            latencies.append(arrived - started)
        await asyncio.sleep(person.thinks[turn])
    return latencies


async def converse_with_rasa(
    http: httpx.AsyncClient, rasa_url: str, person: Person, sender: str
) -> list[float]:
    """The same turns, pacing and folding, posted straight to one Rasa's REST channel."""
    await asyncio.sleep(person.start_after)
    latencies = []
    for turn, text in enumerate(person.script):
        started = time.monotonic()
        response = await http.post(
            rasa_url.rstrip("/") + "/webhooks/rest/webhook",
            json={"sender": sender, "message": fold(text), "metadata": {}},
        )
        response.raise_for_status()
        latencies.append(time.monotonic() - started)
        await asyncio.sleep(person.thinks[turn])
    return latencies


def _as_expected(body: str, expected: list[str]) -> str:
    """The expected message this one is, allowing for the first-contact privacy notice: it
    ends the person's first answer, so when that first answer was the "I have kept your
    message" note, the greeting comes later without it. Same answer, not a lost one."""
    if body in expected or len(body) < 20:
        return body
    for wanted in expected:
        if wanted.startswith(body) or body.startswith(wanted):
            return wanted
    return body


@dataclass
class Verdict:
    people: int = 0
    expected: int = 0
    lost: int = 0
    duplicated: int = 0
    out_of_order: int = 0  # people
    other: int = 0
    lost_people: list[int] = field(default_factory=list)
    # For reading afterwards: what a few people with a wrong verdict expected and received.
    samples: list[dict[str, object]] = field(default_factory=list)

    def add(self, person: Person, expected: list[str], received: list[str]) -> None:
        self.people += 1
        self.expected += len(expected)
        received = [_as_expected(body, expected) for body in received]
        want, got = Counter(expected), Counter(received)
        lost = sum(max(0, n - got[body]) for body, n in want.items())
        self.lost += lost
        self.duplicated += sum(max(0, got[body] - n) for body, n in want.items())
        self.other += sum(n for body, n in got.items() if body not in want)
        if lost:
            self.lost_people.append(person.number)
        firsts, seen = [], set()
        for body in received:
            if body in want and body not in seen:
                seen.add(body)
                firsts.append(body)
        wrong_order = firsts != [body for body in dict.fromkeys(expected) if body in seen]
        if wrong_order:
            self.out_of_order += 1
        if (lost or wrong_order) and len(self.samples) < 12:
            self.samples.append(
                {
                    "person": person.number,
                    "language": person.language,
                    "expected": [body[:70] for body in expected],
                    "received": [body[:70] for body in received],
                }
            )
