"""The conversations report: turns passed per language, and every failed turn.

tests/integration/test_conversations.py plays tests/conversations/*.yml through the WhatsApp
webhook against the real stack and calls `write` with its results (and saves them as JSON beside
the run). This script can also write the report again from such a JSON file:

    .venv/bin/python scripts/conversation_report.py var/conversations-results.json \
        [--output docs/conversations-report.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.integration.conversations import (  # noqa: E402
    THRESHOLD,
    Miss,
    TurnResult,
    failures,
    table,
    tally,
    verdict,
)

DEFAULT_OUTPUT = REPO / "docs" / "conversations-report.md"


def render(results: list[TurnResult], *, day: dt.date | None = None) -> str:
    tallies = tally(results)
    problems = verdict(tallies)
    status = "fails" if problems else "passes"
    failed = failures(results)
    parts = [
        "# Conversations report",
        "",
        "Multi-turn conversations written the way people on the route write",
        "(tests/conversations/, format in its README.md), each played through the Twilio-signed",
        "WhatsApp webhook (TwiML mode, one phone number per conversation) against the real",
        "gateway, Rasa and action server by `tests/integration/test_conversations.py` (part of",
        "`make test`). A turn passes when the reply came (non-empty, under 10 s) and every",
        "expectation it states holds: the reply language, the topic, the flow, the country and",
        "the pending offer read from the store after the turn, and the words the reply must or",
        "must not contain.",
        "",
        f"The set {status}: it needs at least {THRESHOLD:.0%} of turns passed in each language",
        "and no failed turn marked critical (emergencies, urgent medical, a child alone).",
        "",
        f"Run on {(day or dt.date.today()).isoformat()}.",
        "",
        table(tallies),
        "",
    ]
    if problems:
        parts += ["Why it fails:", "", *[f"- {p}" for p in problems], ""]
    parts += ["## Failed turns", ""]
    parts += ["```", failed, "```"] if failed else ["None."]
    return "\n".join(parts) + "\n"


def write(results: list[TurnResult], output: Path = DEFAULT_OUTPUT) -> Path:
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(results), encoding="utf-8")
    return output


def from_json(path: Path) -> list[TurnResult]:
    results = []
    for raw in json.loads(path.read_text(encoding="utf-8")):
        raw = dict(raw)
        raw.pop("passed", None)
        misses = [Miss(**m) for m in raw.pop("misses", [])]
        results.append(TurnResult(**raw, misses=misses))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="the JSON the conversations test saved")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    results = from_json(args.results)
    print(table(tally(results)))
    print(f"written to {write(results, args.output)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
