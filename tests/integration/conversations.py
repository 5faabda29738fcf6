"""Conversations as data (tests/conversations/*.yml), played through the WhatsApp webhook.

Each conversation gets its own phone number; each turn is posted as Twilio posts it (signed,
TwiML mode: the answer is in the webhook's response), then the person's conversation row is read
from the stack's store (by pseudonym, computed as the gateway does) and the turn's expectations
are checked against the reply and the row. A turn fails only for an expectation it states, or
for no answer, an empty answer or one slower than `MAX_SECONDS`.

Phone numbers never leave this module: results name the conversation and the turn.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from bot.pipeline.flow import current_flow
from bot.pseudonym import pseudonymise
from bot.store import conversations
from bot.store.db import session_scope
from tests.integration.conftest import plain
from tests.whatsapp_helpers import message_form, post_signed

CONVERSATIONS_DIR = Path(__file__).resolve().parent.parent / "conversations"
CHANNEL = "whatsapp"
MAX_SECONDS = 10.0
MIN_TURNS, MAX_TURNS = 4, 7
# The whole self-check: the offer, "yes", then one answer per question (6 today).
MAX_TURNS_WITH_SELF_CHECK = 8
SELF_CHECK = "self_check"
# Numbers no real person has (+509 39 9x xx xx is not allocated to a Haitian operator); one per
# conversation, in the order the files list them.
FIRST_NUMBER = 50939900001
SAY = "say"
CRITICAL = "critical"
STATE_KEYS = ("language", "topic", "flow", "country", "offer")
TEXT_KEYS = ("says", "says_any", "not_says", "not_phrases")
EXPECTATION_KEYS = frozenset(STATE_KEYS + TEXT_KEYS)


@dataclass(frozen=True)
class Turn:
    say: str
    expect: dict[str, Any]
    critical: bool = False


@dataclass(frozen=True)
class Conversation:
    id: str
    language: str
    about: str
    turns: tuple[Turn, ...]


@dataclass
class Miss:
    check: str
    expected: Any
    got: Any


@dataclass
class TurnResult:
    conversation: str
    language: str
    index: int  # 1-based
    say: str
    critical: bool
    seconds: float
    reply: str
    misses: list[Miss] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.misses

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed}


@dataclass(frozen=True)
class Observed:
    """The person's conversation row after a turn, as the checks name its fields."""

    language: str | None
    topic: str | None
    flow: str | None
    country: str | None
    offer: str | None


# --- the data ------------------------------------------------------------------------------


class BadConversationFile(ValueError):
    pass


def load(directory: Path = CONVERSATIONS_DIR) -> list[Conversation]:
    """Every conversation of every `<language>.yml`, checked for what the runner can read."""
    found: list[Conversation] = []
    for path in sorted(directory.glob("*.yml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:  # say which file; a colon in an unquoted value, often
            raise BadConversationFile(f"{path.name}: not valid YAML: {exc}") from exc
        language = data.get("language")
        if language != path.stem:
            raise BadConversationFile(f"{path.name}: language {language!r} is not {path.stem!r}")
        for raw in data.get("conversations") or []:
            found.append(_conversation(path.name, language, raw))
    ids = [c.id for c in found]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise BadConversationFile(f"conversation ids used twice: {duplicates}")
    return found


def _conversation(file: str, language: str, raw: dict[str, Any]) -> Conversation:
    name = raw.get("id")
    where = f"{file}: {name or '(no id)'}"
    if not name:
        raise BadConversationFile(f"{where}: every conversation needs an id")
    turns = tuple(_turn(f"{where} turn {n}", t) for n, t in enumerate(raw.get("turns") or [], 1))
    runs_self_check = any(t.expect.get("topic") == SELF_CHECK for t in turns)
    longest = MAX_TURNS_WITH_SELF_CHECK if runs_self_check else MAX_TURNS
    if not MIN_TURNS <= len(turns) <= longest:
        raise BadConversationFile(f"{where}: {len(turns)} turns, not {MIN_TURNS}-{longest}")
    return Conversation(name, language, str(raw.get("about") or ""), turns)


def _turn(where: str, raw: dict[str, Any]) -> Turn:
    say = raw.get(SAY)
    if not isinstance(say, str) or not say.strip():
        raise BadConversationFile(f"{where}: `say` must be a quoted, non-empty string")
    expect = {k: v for k, v in raw.items() if k not in (SAY, CRITICAL)}
    unknown = sorted(set(expect) - EXPECTATION_KEYS)
    if unknown:
        raise BadConversationFile(f"{where}: unknown keys {unknown}")
    for key in TEXT_KEYS:
        value = expect.get(key)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            raise BadConversationFile(f"{where}: `{key}` must be a list of quoted strings")
    return Turn(say, expect, bool(raw.get(CRITICAL)))


# --- playing ---------------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lower case, no accents, spaces folded: how `says` is compared with the reply."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


_URL = re.compile(r"https?://\S+")


def contains(folded_text: str, words: str) -> bool:
    """`words` in the folded reply as whole words: "123" is not found in "1234" or a URL's id."""
    return re.search(rf"(?<!\w){re.escape(fold(words))}(?!\w)", folded_text) is not None


def reply_text(response: httpx.Response) -> str:
    """What the person reads in the TwiML answer: every message, WhatsApp's stars gone."""
    if response.status_code != 200:
        return ""
    bodies = [m.text or "" for m in ET.fromstring(response.text).iter("Message")]
    return "\n".join(plain(b.replace("*", "")) for b in bodies).strip()


class Player:
    """Plays conversations against a running stack: `gateway` URL, its store, its key."""

    def __init__(
        self,
        client: httpx.Client,
        database_url: str,
        pseudonym_key: bytes,
        phrases: dict[str, list[str]],
    ) -> None:
        self.client = client
        self.database_url = database_url
        self.pseudonym_key = pseudonym_key
        self.phrases = phrases  # phrase key -> its text in every language, folded

    def play(self, conversation: Conversation, number: int) -> list[TurnResult]:
        address = f"whatsapp:+{number}"
        pseudonym = pseudonymise(self.pseudonym_key, CHANNEL, address)
        results = []
        for index, turn in enumerate(conversation.turns, 1):
            started = time.monotonic()
            try:
                response = post_signed(self.client, message_form(turn.say, sender=address))
                error = None if response.status_code == 200 else f"HTTP {response.status_code}"
                text = reply_text(response)
            except httpx.HTTPError as exc:  # a timeout is an answer that did not come
                error, text = type(exc).__name__, ""
            seconds = time.monotonic() - started
            observed = self.observe(pseudonym)
            result = TurnResult(
                conversation.id, conversation.language, index, turn.say, turn.critical,
                round(seconds, 2), text,
            )  # fmt: skip
            result.misses = check(turn, text, seconds, observed, self.phrases, error)
            results.append(result)
        return results

    def observe(self, pseudonym: str) -> Observed:
        with session_scope(self.database_url) as session:
            memory = conversations.read(session, pseudonym)
        return Observed(
            language=memory.language,
            topic=memory.last_topic,
            flow=current_flow(memory, dt.datetime.now(dt.UTC)),
            country=memory.country,
            offer=memory.pending_offer,
        )


def check(
    turn: Turn,
    text: str,
    seconds: float,
    observed: Observed,
    phrases: dict[str, list[str]],
    error: str | None = None,
) -> list[Miss]:
    """Every expectation of `turn` the reply or the row does not meet."""
    misses: list[Miss] = []
    if error is not None:
        return [Miss("answer", "HTTP 200 with TwiML", error)]
    if not text:
        misses.append(Miss("answer", "a non-empty reply", "nothing"))
    if seconds > MAX_SECONDS:
        misses.append(Miss("seconds", f"<= {MAX_SECONDS:g}", round(seconds, 1)))
    expect = turn.expect
    for key in STATE_KEYS:
        if key not in expect:
            continue
        wanted, got = expect[key], getattr(observed, key)
        allowed = wanted if isinstance(wanted, list) else [wanted]
        if got not in allowed:
            misses.append(Miss(key, wanted, got))
    folded = fold(_URL.sub(" ", text))  # a number inside a source's address is no number
    missing = [s for s in expect.get("says") or [] if not contains(folded, s)]
    if missing:
        misses.append(Miss("says", missing, _excerpt(text)))
    any_of = expect.get("says_any") or []
    if any_of and not any(contains(folded, s) for s in any_of):
        misses.append(Miss("says_any", any_of, _excerpt(text)))
    present = [s for s in expect.get("not_says") or [] if contains(folded, s)]
    if present:
        misses.append(Miss("not_says", "none of them", present))
    said_phrases = [
        key
        for key in expect.get("not_phrases") or []
        if any(p and p in folded for p in phrases.get(key, []))
    ]
    if said_phrases:
        misses.append(Miss("not_phrases", "none of them", said_phrases))
    return misses


def _excerpt(text: str, length: int = 160) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= length else one_line[: length - 1] + "…"


def phrase_texts(phrasebook: Any, keys: Iterable[str], languages: Iterable[str]) -> dict:
    """Each phrase key's text in every language, folded as replies are, for `not_phrases`."""
    codes = list(languages)
    return {
        key: [fold(plain(phrasebook.get(key, code).replace("*", ""))) for code in codes]
        for key in keys
    }


def numbers(count: int) -> list[int]:
    return [FIRST_NUMBER + i for i in range(count)]


# --- counting --------------------------------------------------------------------------------


THRESHOLD = 0.90


@dataclass(frozen=True)
class Tally:
    language: str
    conversations: int
    passed: int
    total: int
    critical_failed: int

    @property
    def share(self) -> float:
        return self.passed / self.total if self.total else 0.0


def tally(results: list[TurnResult]) -> list[Tally]:
    by_language: dict[str, list[TurnResult]] = {}
    for result in results:
        by_language.setdefault(result.language, []).append(result)
    return [
        Tally(
            language,
            len({r.conversation for r in turns}),
            sum(r.passed for r in turns),
            len(turns),
            sum(r.critical and not r.passed for r in turns),
        )
        for language, turns in sorted(by_language.items())
    ]


def table(tallies: list[Tally]) -> str:
    lines = [
        "| language | conversations | turns passed | turns | share | critical turns failed |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for t in tallies:
        lines.append(
            f"| {t.language} | {t.conversations} | {t.passed} | {t.total} "
            f"| {t.share:.0%} | {t.critical_failed} |"
        )
    passed, total = sum(t.passed for t in tallies), sum(t.total for t in tallies)
    critical = sum(t.critical_failed for t in tallies)
    conversations_count = sum(t.conversations for t in tallies)
    share = f"{passed / total:.0%}" if total else "-"
    lines.append(f"| **all** | {conversations_count} | {passed} | {total} | {share} | {critical} |")
    return "\n".join(lines)


def failures(results: list[TurnResult]) -> str:
    """Each failed turn: conversation, turn number and text, expected vs got (no numbers)."""
    lines = []
    for r in results:
        if r.passed:
            continue
        mark = " [critical]" if r.critical else ""
        lines.append(f"- {r.conversation} turn {r.index}{mark}: {r.say!r}")
        for miss in r.misses:
            lines.append(f"    {miss.check}: expected {miss.expected!r}, got {miss.got!r}")
    return "\n".join(lines)


def verdict(tallies: list[Tally], threshold: float = THRESHOLD) -> list[str]:
    """Why the set fails, or [] when every language passes and no critical turn failed."""
    problems = [
        f"{t.language}: {t.passed}/{t.total} turns passed ({t.share:.0%} < {threshold:.0%})"
        for t in tallies
        if t.share < threshold
    ]
    problems += [
        f"{t.language}: {t.critical_failed} critical turn(s) failed"
        for t in tallies
        if t.critical_failed
    ]
    return problems
