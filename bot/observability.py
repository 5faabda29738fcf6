"""The gateway's Prometheus metrics: every definition here, and the small helpers that the
places which know a fact (the pipeline, the Rasa client, the NLG endpoint, the outbox) call.

Why one module: the names and labels are a contract with whoever builds dashboards, and the
privacy rule is easiest to keep in one place. Labels are only `channel`, `language`, `stage`
and `outcome`, all from small sets the code defines, never a phone number, a Telegram id, a
pseudonym or any text: a label value is kept for as long as the process lives and is shown
to anyone who may scrape. `_language` drops anything that does not look like a language code.

Several gateway workers (bot/web/workers.py, `make stack`) each hold their own counters, and a
scrape reaches one of them: so the stack sets PROMETHEUS_MULTIPROC_DIR (an empty folder made
before the workers start, bot/stack.py), every worker writes its values there, and a scrape
adds up every worker's files (`scrape_registry`). The outbox gauge is the one value not added
up (every worker reads the same table): set by the scraping worker just before the scrape,
and read in "mostrecent" mode. A callback gauge (`set_function`) is what one process uses.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, multiprocess

from bot.nlg import EMERGENCY_TOPIC  # every emergency card carries it, medical or not

if TYPE_CHECKING:
    from bot.channels.base import Inbound, SendError
    from bot.replies import Answer

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

# Stages of a message, for the latency histogram and the failure counter.
GATEWAY = "gateway"  # the pipeline, message in to answer decided (Rasa and NLG inside it)
RASA = "rasa"  # the call to Rasa's REST channel
NLG = "nlg"  # one POST /nlg, Rasa asking for words
SEND = "send"  # one platform API call from the outbox

MESSAGES_IN = Counter(
    "assistant_messages_in", "Messages answered by the pipeline", ["channel", "language"]
)
MESSAGES_OUT = Counter(
    "assistant_messages_out", "Replies the pipeline gave (before any send)", ["channel", "language"]
)
EMERGENCY_ANSWERS = Counter(
    "assistant_emergency_answers", "Answers with the emergency card", ["channel", "language"]
)
FAILURES = Counter(
    "assistant_failures",
    "Things that went wrong: Rasa unavailable, a send to retry or given up, a pipeline error",
    ["stage", "outcome"],
)
LATENCY = Histogram(
    "assistant_stage_seconds",
    "Time spent per stage",
    ["stage"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0),
)
OUTBOX_WAITING = Gauge(
    "assistant_outbox_waiting", "Outbox rows waiting to be sent", multiprocess_mode="mostrecent"
)

_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")


def _language(code: str | None) -> str:
    return code if code and _LANGUAGE_CODE.fullmatch(code) else "other"


@contextmanager
def timer(stage: str, failure: str | None = None) -> Iterator[None]:
    """The time spent inside, as a sample of `stage`; an exception counted as `failure`."""
    start = time.perf_counter()
    try:
        yield
    except Exception:
        if failure is not None:
            FAILURES.labels(stage, failure).inc()
        raise
    finally:
        LATENCY.labels(stage).observe(time.perf_counter() - start)


def timed(stage: str, failure: str | None = None) -> Callable[[F], F]:
    """`timer` as a decorator of a function or a coroutine function: a one-line edit."""

    def decorate(function: F) -> F:
        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def timed_coroutine(*args: Any, **kwargs: Any) -> Any:
                with timer(stage, failure):
                    return await function(*args, **kwargs)

            return timed_coroutine  # type: ignore[return-value]

        @functools.wraps(function)
        def timed_function(*args: Any, **kwargs: Any) -> Any:
            with timer(stage, failure):
                return function(*args, **kwargs)

        return timed_function  # type: ignore[return-value]

    return decorate


def answered(channel: str, answer: Answer) -> None:
    """One message in, its replies out, and whether it got the emergency card."""
    language = _language(answer.language)
    MESSAGES_IN.labels(channel, language).inc()
    if answer.replies:
        MESSAGES_OUT.labels(channel, language).inc(len(answer.replies))
    if any(reply.topic == EMERGENCY_TOPIC for reply in answer.replies):
        EMERGENCY_ANSWERS.labels(channel, language).inc()


def observed_answer(answer: F) -> F:
    """Decorates Pipeline.answer(self, inbound, ...): gateway latency and message counts."""

    @functools.wraps(answer)
    async def observed(pipeline: Any, inbound: Inbound, *args: Any, **kwargs: Any) -> Answer:
        with timer(GATEWAY, failure="error"):
            result = await answer(pipeline, inbound, *args, **kwargs)
        answered(inbound.channel, result)
        return result

    return observed  # type: ignore[return-value]


def send_failed(error: SendError | None) -> None:
    """A platform refused or did not answer a send: retried later, or given up."""
    if error is not None:
        FAILURES.labels(SEND, "retry" if error.retryable else "given_up").inc()


_outbox_reader: Callable[[], float] | None = None


def watch_outbox(count: Callable[[], int]) -> None:
    """The outbox depth, read when scraped (the latest gateway's store wins: one per process)."""
    global _outbox_reader  # noqa: PLW0603 - one gauge per process, like the metrics themselves

    def read() -> float:
        try:
            return float(count())
        except Exception:  # noqa: BLE001 - a scrape must not fail because the store is busy
            log.warning("outbox depth not read for /metrics", exc_info=True)
            return float("nan")

    _outbox_reader = read
    if not _multiprocess_dir():
        OUTBOX_WAITING.set_function(read)


def _multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def scrape_registry() -> CollectorRegistry:
    """What GET /metrics shows: this process's metrics, or every worker's added up."""
    if not _multiprocess_dir():
        return REGISTRY
    if _outbox_reader is not None:
        OUTBOX_WAITING.set(_outbox_reader())
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry
