"""What a person gets from the trained model, per language: intent accuracy on the held-out
sets, and for sub-answers the answer `action_answer_topic` would give (DIET's intent, then its
best sub-answer; the fallback counts as wrong).

    .venv-rasa/bin/python scripts/nlu_sub_eval.py [--model models/assistant.tar.gz]

Loads the model once (faster than one `rasa test nlu` per file); prints one table in Markdown.
Runs in .venv-rasa (it needs Rasa); imports nothing of the gateway but the action's rule.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from actions.sub_answers import chosen_sub_answer  # noqa: E402
from bot.languages import fold  # noqa: E402

SETS = {
    "held-out (intent)": ROOT / "tests/data/nlu_heldout",
    "needs (intent)": ROOT / "tests/data/nlu_heldout_needs",
    "sub-answers (what the person gets)": ROOT / "tests/data/nlu_heldout_subs",
}
ANNOTATION = re.compile(r"\[([^\]]+)\]\{[^}]*\}|\[([^\]]+)\]\([^)]*\)")


def examples(path: Path) -> list[tuple[str, str]]:
    """(label, text) from a Rasa NLU YAML file; entity annotations become their text."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    found = []
    for block in data.get("nlu") or []:
        for line in str(block.get("examples") or "").splitlines():
            text = line.strip().removeprefix("- ").strip()
            if text:
                found.append((block["intent"], ANNOTATION.sub(lambda m: m[1] or m[2], text)))
    return found


async def score(model: Path) -> str:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    rows = ["| set | language | n | correct | accuracy |", "| --- | --- | --- | --- | --- |"]
    for name, directory in SETS.items():
        for path in sorted(directory.glob("*.yml")):
            pairs = examples(path)
            correct = 0
            for label, text in pairs:
                parsed = await agent.parse_message(fold(text))  # as the gateway sends it
                if "/" in label:
                    intent = parsed["intent"]["name"]
                    got = chosen_sub_answer(parsed) if intent == label.split("/")[0] else intent
                    correct += got == label
                else:
                    correct += parsed["intent"]["name"] == label
            share = correct / len(pairs) if pairs else 0.0
            rows.append(f"| {name} | {path.stem} | {len(pairs)} | {correct} | {share:.3f} |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "assistant.tar.gz")
    print(asyncio.run(score(parser.parse_args().model)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
