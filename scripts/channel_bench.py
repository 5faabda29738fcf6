"""Channel benchmark: Twilio-signed WhatsApp webhooks against the real stack (gateway, Rasa,
action server, each its own process), in TwiML mode, where the answer is in the response.

Prints and writes a report (docs/channels-benchmark.md unless --output says otherwise):
p50/p95 latency and messages per second for the emergency fast path (no Rasa) and for an
ordinary question answered through Rasa, one at a time and with concurrent senders, and the
gateway's peak memory (VmHWM). Each question through Rasa is also posted, in the same run, to
Rasa's REST channel alone, folded as the gateway sends it, so the webhook's p50/p95 can be read
as a ratio to Rasa's own.

    .venv/bin/python scripts/channel_bench.py [--messages 200] [--concurrency 8]
        [--output docs/channels-benchmark.md] [--label before]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import os
import platform
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.targets import tree  # noqa: E402
from tests.integration.conftest import TWILIO_TEST_TOKEN, running_stack  # noqa: E402
from tests.whatsapp_helpers import message_form, signature  # noqa: E402

try:
    from bot.languages import fold

    FOLDED_BY = "`bot.languages.fold`"
except ImportError:  # bot/ restructured: the same folding, so Rasa gets what the gateway sends

    def fold(text: str) -> str:
        decomposed = unicodedata.normalize("NFKD", text.casefold())
        return "".join(c for c in decomposed if not unicodedata.combining(c))

    FOLDED_BY = "the script's copy of the gateway's folding (bot.languages.fold not importable)"


REPORT = REPO / "docs" / "channels-benchmark.md"
WARM_UP = 10  # messages per target before measuring: caches, first Rasa calls
WEBHOOK = "WhatsApp webhook"
REST_ALONE = "Rasa REST alone"


@dataclass(frozen=True)
class Message:
    name: str
    text: str
    through_rasa: bool  # also measured against Rasa's REST channel alone


MESSAGES = (
    Message("emergency fast path (ht)", "yo kenbe m, m pa ka soti, ede m souple", False),
    Message("question through Rasa (ht)", "ki kote m ka domi aswe a", True),
    Message("question through Rasa (en)", "my boss took my passport", True),
)
_numbers = itertools.count(50938000001)
_senders = itertools.count(1)


@dataclass(frozen=True)
class Target:
    """Where a message is posted, how, and what a real answer looks like."""

    name: str
    url: str
    request: Callable[[str], dict[str, Any]]  # the text -> httpx's post() keyword arguments
    answered: Callable[[httpx.Response], bool]


def whatsapp_webhook(url: str) -> Target:
    """Signed as Twilio signs, from a new number each time (a new conversation)."""

    def request(text: str) -> dict[str, Any]:
        form = message_form(text, sender=f"whatsapp:+{next(_numbers)}")
        return {"data": form, "headers": {"X-Twilio-Signature": signature(url, form)}}

    return Target(WEBHOOK, url, request, lambda r: r.status_code == 200 and "<Message>" in r.text)


def rasa_rest(url: str) -> Target:
    """What the gateway posts to Rasa for that text, from a new sender each time."""

    def request(text: str) -> dict[str, Any]:
        return {"json": {"sender": f"channel-bench-{next(_senders)}", "message": fold(text)}}

    def answered(response: httpx.Response) -> bool:
        return response.status_code == 200 and bool(response.json())

    return Target(REST_ALONE, url, request, answered)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@dataclass(frozen=True)
class Row:
    message: str
    target: str
    senders: int
    latencies: list[float]  # seconds
    wall: float  # seconds for the whole row

    @property
    def p50(self) -> float:
        return percentile(self.latencies, 0.5) * 1000

    @property
    def p95(self) -> float:
        return percentile(self.latencies, 0.95) * 1000

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall


async def one(client: httpx.AsyncClient, target: Target, text: str) -> float:
    request = target.request(text)  # built (and signed) before the clock starts
    started = time.perf_counter()
    response = await client.post(target.url, **request)
    elapsed = time.perf_counter() - started
    if not target.answered(response):
        raise RuntimeError(
            f"{target.name}: unexpected answer {response.status_code}: {response.text[:200]}"
        )
    return elapsed


async def run(target: Target, text: str, count: int, concurrency: int) -> tuple[list[float], float]:
    """Latencies of `count` messages from `concurrency` senders, and the wall time."""
    queue = list(range(count))
    latencies: list[float] = []

    async with httpx.AsyncClient(timeout=60) as client:

        async def sender() -> None:
            while queue:
                queue.pop()
                latencies.append(await one(client, target, text))

        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        return latencies, time.perf_counter() - started


def measure(target: Target, message: Message, count: int, concurrency: int) -> Row:
    latencies, wall = asyncio.run(run(target, message.text, count, concurrency))
    row = Row(message.name, target.name, concurrency, latencies, wall)
    print(
        f"{row.message} · {row.target} x{row.senders}: n={len(row.latencies)} "
        f"p50={row.p50:.0f} ms p95={row.p95:.0f} ms {row.rate:.1f} msg/s",
        flush=True,
    )
    return row


def ratios(rows: list[Row]) -> list[tuple[str, int, float, float]]:
    """(message, senders, webhook p50 / REST-alone p50, webhook p95 / REST-alone p95)."""
    alone = {(r.message, r.senders): r for r in rows if r.target == REST_ALONE}
    return [
        (r.message, r.senders, r.p50 / rest.p50, r.p95 / rest.p95)
        for r in rows
        if r.target == WEBHOOK and (rest := alone.get((r.message, r.senders)))
    ]


def peak_memory_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _started(folder: Path, production: bool):  # noqa: ANN202 - either context manager
    """The integration tests' embedded stack, or `make stack`'s shape (bench/targets.py):
    PostgreSQL, Redis, 3 gateway workers, 2 Rasa; both hold `.stack`."""
    if not production:
        return running_stack(folder)
    from bench.targets import production as production_stack

    folder.chmod(0o711)  # the postgres user walks through it to its own folder
    return production_stack(folder, {"TWILIO_AUTH_TOKEN": TWILIO_TEST_TOKEN}, workers=3, rasa=2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=200, help="per row (default 200)")
    parser.add_argument("--concurrency", type=int, default=8, help="senders at once (default 8)")
    parser.add_argument("--output", type=Path, default=REPORT, help="the report to write")
    parser.add_argument("--label", default="", help='shown in the heading, e.g. "before"')
    parser.add_argument(
        "--stack", action="store_true", help="PostgreSQL, Redis, 3 gateway workers, 2 Rasa"
    )
    args = parser.parse_args()
    load = os.getloadavg()[0]
    # The integration tests' stack: the same seed content, settings and Twilio test token.
    with (
        tempfile.TemporaryDirectory(prefix="channel-bench-") as tmp,
        _started(Path(tmp), args.stack) as running,
    ):
        stack = running.stack
        webhook = whatsapp_webhook(stack.ports.url(stack.ports.gateway, "/webhooks/whatsapp"))
        rest = rasa_rest(stack.ports.url(stack.ports.rasa, "/webhooks/rest/webhook"))
        try:
            rows = []
            for message in MESSAGES:
                targets = (webhook, rest) if message.through_rasa else (webhook,)
                for target in targets:
                    asyncio.run(run(target, message.text, WARM_UP, 1))
                for concurrency in dict.fromkeys((1, args.concurrency)):
                    rows += [measure(t, message, args.messages, concurrency) for t in targets]
            gateway = tree(stack.processes["gateway"].pid)  # with its workers, if several
            memory = sum(peak_memory_mib(pid) for pid in gateway)
        except Exception:
            print((Path(tmp) / "gateway.log").read_text()[-6000:], file=sys.stderr)
            raise
    for name, senders, p50, p95 in ratios(rows):
        print(f"{name} x{senders}: webhook / REST alone p50 {p50:.2f}x, p95 {p95:.2f}x")
    print(f"gateway peak memory (VmHWM): {memory:.0f} MiB")
    args.output.write_text(render(rows, memory, load, args), encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


def _shape(production: bool) -> str:
    if production:
        return (
            "`make stack`'s shape (bench/targets.py): 3 gateway workers behind one port, a "
            "listening socket each (bot/web/workers.py, SO_REUSEPORT), 2 Rasa instances taken "
            "in turn (PostgreSQL tracker store, Redis "
            "lock store), the action server, the PostgreSQL store and Redis for per-person "
            "order and rate limits, each its own process on this machine ('Rasa REST alone' "
            "goes to the first Rasa instance only)"
        )
    return (
        "the gateway (uvicorn, one worker), the Rasa server and the action server, each its "
        "own process on this machine, SQLite store"
    )


def _reading(production: bool) -> tuple[str, ...]:
    if production:
        return (
            "With concurrent senders the gateway workers write to PostgreSQL side by side and "
            "take each person's turn in Redis; the two cores of this machine are shared by "
            "every process of the stack, so the figure is this machine's ceiling, not the "
            "stack's.",
        )
    return (
        "With concurrent senders the SQLite store serialises writes (every transaction begins "
        "IMMEDIATE, bot/store/db.py; before that fix, this benchmark got 'database is locked' "
        "500s), which is the fast path's p95 at 8 senders. PostgreSQL is the store for load.",
    )


def render(rows: list[Row], memory: float, load: float, args: argparse.Namespace) -> str:
    label = f" ({args.label})" if args.label else ""
    lines = [
        f"# Channel benchmark: WhatsApp webhooks{label}",
        "",
        f"Generated {dt.date.today()} by `scripts/channel_bench.py` on {platform.machine()} "
        f"({os.cpu_count()} CPUs, load average {load:.2f} at the start), "
        f"Python {platform.python_version()}; rerun with `make channel-bench`.",
        "",
        "Twilio-signed `POST /webhooks/whatsapp` in TwiML mode (the answer is in the response) "
        f"against the real stack: {_shape(args.stack)}. Every message comes "
        "from a new number (a new conversation: pseudonym, language detection, store writes). "
        f"{args.messages} messages per row after {WARM_UP} of warm-up; 'senders' is how many "
        "send at once.",
        "",
        f"'{REST_ALONE}' rows post the same questions, in the same run, straight to Rasa's REST "
        "channel (`POST /webhooks/rest/webhook`, a new sender each time), the text folded as the "
        f"gateway sends it (lower case, no accents; {FOLDED_BY}). Rasa still calls the "
        "gateway's NLG endpoint for the words, so those rows include that call.",
        "",
        "| message | target | senders | n | p50 ms | p95 ms | messages/s |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {r.message} | {r.target} | {r.senders} | {len(r.latencies)} | {r.p50:.0f} "
        f"| {r.p95:.0f} | {r.rate:.1f} |"
        for r in rows
    ]
    lines += [
        "",
        f"{WEBHOOK} over {REST_ALONE}, same message and senders:",
        "",
        "| message | senders | p50 ratio | p95 ratio |",
        "| --- | --- | --- | --- |",
    ]
    lines += [
        f"| {name} | {senders} | {p50:.2f} | {p95:.2f} |"
        for name, senders, p50, p95 in ratios(rows)
    ]
    lines += [
        "",
        f"Gateway peak resident memory (VmHWM, its workers added up) after the run: "
        f"{memory:.0f} MiB.",
        "",
        "Reading it: one message at a time, the gateway's own work (signature, deduplication, "
        "pseudonym, language, store, rendering) is the fast-path figure; Rasa adds the rest, and "
        "the ratio says how much the webhook costs on top of Rasa.",
        *_reading(args.stack),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
