"""Load and fault bench: N people holding conversations over the WhatsApp webhook (REST reply
mode) against a local fake of Twilio's API that refuses a share of sends, optionally killing
a gateway worker and a Rasa instance mid-run; then the same messages straight to one Rasa's
REST channel as the baseline, in the same run. Reports messages lost, duplicated and out of
order, p50/p95/p99 end-to-end latency (webhook posted -> the turn's last answer taken by
Twilio), throughput and every process's peak memory, and appends them to docs/benchmarks.md.

    .venv/bin/python -m bench.load --target stack --people 200 --fail-share 0.1 --kill
    .venv/bin/python -m bench.load --target embedded --people 200   # latency, no faults

`make bench` runs the stack with faults, then both targets without (the latency comparison).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench import conversations, fake_twilio, stages, targets
from bench.conversations import Expected, Person, Verdict

REPO = Path(__file__).resolve().parent.parent
REPORT = REPO / "docs" / "benchmarks.md"
CALIBRATION_NUMBERS = 9_000_000  # the calibration people's numbers, apart from the load's


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] * 1000


@dataclass
class Result:
    target: str
    people: int
    fail_share: float
    faults: list[str]
    verdict: Verdict
    latencies: list[float]
    wall: float
    rasa_latencies: list[float]
    rasa_wall: float
    peaks: dict[str, float]
    refused_sends: int
    unanswered_turns: int
    stages: stages.Stages


async def _calibrate(http: httpx.AsyncClient, target: targets.Target, inbox) -> dict:
    expected: dict[str, Expected] = {}
    for n, language in enumerate(conversations.SCRIPTS):
        person = Person(CALIBRATION_NUMBERS + n, language, 0.0, [0.0] * 6)
        expected[language] = await conversations.calibrate(http, target.webhook, inbox, person)
        print(f"calibrated {language}: {len(expected[language].bodies)} messages", flush=True)
    return expected


async def _faults(target: targets.Target, kill: bool, wall_guess: float) -> list[str]:
    """A gateway worker killed at 30 % of the expected run, a Rasa at 50 %."""
    if not kill:
        return []
    done = []
    await asyncio.sleep(0.3 * wall_guess)
    done.append(targets.kill_gateway_worker(target))
    print(done[-1], flush=True)
    await asyncio.sleep(0.2 * wall_guess)
    done.append(targets.kill_rasa(target, restart_after=5.0))
    print(done[-1], flush=True)
    return done


async def _load(args: argparse.Namespace, target: targets.Target, inbox) -> Result:
    limits = httpx.Limits(max_connections=args.people + 10, max_keepalive_connections=args.people)
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:
        expected = await _calibrate(http, target, inbox)
        inbox.fail_share = args.fail_share  # calibration itself sends without failures
        crowd = conversations.people(args.people, seed=7, spread=args.spread, first_number=1)
        wall_guess = args.spread + 6 * 3.0 + 10
        metrics_url = target.stack.ports.url(target.stack.ports.gateway, "/metrics")
        stages_before = await stages.scrape(http, metrics_url)
        started = time.monotonic()
        faults = asyncio.create_task(_faults(target, args.kill, wall_guess))
        per_person = await asyncio.gather(
            *(
                conversations.converse(
                    http, target.webhook, inbox, p, expected[p.language], args.patience
                )
                for p in crowd
            )
        )
        wall = time.monotonic() - started
        done_faults = await faults
        await _drain(inbox, crowd, expected, args.drain)
        # Before Rasa alone is measured: its calls to /nlg would be counted too.
        during = (await stages.scrape(http, metrics_url)).since(stages_before)
        verdict = Verdict()
        for person in crowd:
            received = [d.body for d in inbox.received(person.address)]
            verdict.add(person, expected[person.language].bodies, received)
        inbox.fail_share = 0.0
        rasa_started = time.monotonic()
        rasa = await asyncio.gather(
            *(
                conversations.converse_with_rasa(
                    http, target.rasa_urls[0], p, f"bench-direct-{p.number}"
                )
                for p in crowd
            )
        )
        rasa_wall = time.monotonic() - rasa_started
    latencies = [value for person in per_person for value in person]
    return Result(
        target=target.name,
        people=args.people,
        fail_share=args.fail_share,
        faults=done_faults,
        verdict=verdict,
        latencies=latencies,
        wall=wall,
        rasa_latencies=[value for person in rasa for value in person],
        rasa_wall=rasa_wall,
        peaks={},
        refused_sends=inbox.refused,
        unanswered_turns=args.people * 6 - len(latencies),
        stages=during,
    )


async def _drain(inbox, crowd: list[Person], expected: dict, most: float) -> None:
    """Give retries (backoff up to minutes) and held messages time to land before judging:
    until every person has every expected message (not merely as many messages: a note
    counts too), or `most` seconds."""

    def complete(person: Person) -> bool:
        got = Counter(d.body for d in inbox.received(person.address))
        want = Counter(expected[person.language].bodies)
        return all(got[body] >= n for body, n in want.items())

    deadline = time.monotonic() + most
    while time.monotonic() < deadline:
        if all(complete(person) for person in crowd):
            await asyncio.sleep(3.0)  # a late duplicate would come now
            return
        await asyncio.sleep(1.0)


def run(args: argparse.Namespace) -> Result:
    with (
        tempfile.TemporaryDirectory(prefix="bench-") as tmp,
        fake_twilio.running(0.0) as (api_base, inbox),
    ):
        folder = Path(tmp)
        folder.chmod(0o711)  # the postgres user walks through it to its own folder
        env = fake_twilio.gateway_env(api_base) | {"LOG_LEVEL": "WARNING"}
        start: Callable = (
            (lambda: targets.production(folder, env, args.workers, args.rasa))
            if args.target == "stack"
            else (lambda: targets.embedded(folder, env))
        )
        with start() as target:
            print(f"ready: {target.name}", flush=True)
            with targets.MemoryWatch(target) as memory:
                result = asyncio.run(_load(args, target, inbox))
            result.peaks = dict(memory.peaks)
    return result


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def report(result: Result, args: argparse.Namespace) -> str:
    v = result.verdict
    p95, rasa_p95 = percentile(result.latencies, 0.95), percentile(result.rasa_latencies, 0.95)
    turns = len(result.latencies)
    lines = [
        f"#### {result.target}: {result.people} people x 6 turns, "
        f"{result.fail_share:.0%} of sends failing, "
        f"{'with kills' if result.faults else 'no kills'}",
        "",
        f"- Date {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, commit {_commit()}, "
        f"{platform.machine()} with {os.cpu_count()} cores, load before {os.getloadavg()[0]:.1f}",
        f"- Command: `.venv/bin/python -m bench.load {' '.join(sys.argv[1:])}`",
        f"- Faults: {'; '.join(result.faults) or 'none'}; sends refused by the fake Twilio: "
        f"{result.refused_sends}",
        "",
        "| expected messages | lost | duplicated | people out of order | other messages |",
        "|---|---|---|---|---|",
        f"| {v.expected} | {v.lost} | {v.duplicated} | {v.out_of_order} | {v.other} |",
        "",
        "| path | turns | p50 ms | p95 ms | p99 ms | messages/s |",
        "|---|---|---|---|---|---|",
        f"| WhatsApp webhook -> answer at Twilio | {turns} | "
        f"{percentile(result.latencies, 0.5):.0f} | {p95:.0f} | "
        f"{percentile(result.latencies, 0.99):.0f} | {turns / result.wall:.1f} |",
        f"| same messages straight to one Rasa REST | {len(result.rasa_latencies)} | "
        f"{percentile(result.rasa_latencies, 0.5):.0f} | {rasa_p95:.0f} | "
        f"{percentile(result.rasa_latencies, 0.99):.0f} | "
        f"{len(result.rasa_latencies) / result.rasa_wall:.1f} |",
        "",
        f"p95 ratio webhook / Rasa alone: {p95 / rasa_p95:.2f}; turns not answered within "
        f"{args.patience:.0f} s: {result.unanswered_turns}.",
        "",
        "Peak resident memory (MiB, each process with its children): "
        + ", ".join(f"{name} {mib:.0f}" for name, mib in sorted(result.peaks.items())),
        "",
        "The gateway's stages during the load (GET /metrics, bench/stages.py; `gateway` holds "
        "`rasa` and `nlg`, `send` is one call to the fake Twilio):",
        "",
        *stages.table(result.stages),
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", choices=["stack", "embedded"], default="stack")
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--fail-share", type=float, default=0.0, help="sends refused, 0.1 = 10%%")
    parser.add_argument("--kill", action="store_true", help="kill a gateway worker and a Rasa")
    parser.add_argument("--workers", type=int, default=3, help="stack: gateway workers")
    parser.add_argument("--rasa", type=int, default=2, help="stack: Rasa instances")
    parser.add_argument("--spread", type=float, default=20.0, help="people start within (s)")
    parser.add_argument("--patience", type=float, default=60.0, help="wait per turn (s)")
    parser.add_argument("--drain", type=float, default=180.0, help="wait for retries (s)")
    parser.add_argument("--output", type=Path, default=REPORT, help="the report to append to")
    parser.add_argument("--samples", type=Path, help="JSON: a few wrong verdicts in full")
    parser.add_argument("--no-report", action="store_true", help="print only, write nothing")
    args = parser.parse_args()
    result = run(args)
    text = report(result, args)
    if args.samples:
        args.samples.write_text(json.dumps(result.verdict.samples, ensure_ascii=False, indent=1))
    print(text, flush=True)
    if not args.no_report:
        with args.output.open("a", encoding="utf-8") as out:
            out.write("\n" + text + "\n")  # a blank line after whatever the file ends with
    bad = result.verdict.lost + result.verdict.duplicated + result.verdict.out_of_order
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
