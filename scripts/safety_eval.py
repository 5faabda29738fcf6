"""Measure the emergency fast path on tests/data/safety/*.tsv; write docs/safety.md.

.venv/bin/python scripts/safety_eval.py

Each labelled file says who wrote it (a `# written by:` line) and may group its rows under
`# category:` lines; the figures are given per language, per file and per category. The NLU
examples (nlu_data/, tests/data/nlu_heldout/), written for the model and not against these
patterns, are a second look. The time taken to match 1,000 messages of the set is measured too.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import defaultdict
from pathlib import Path

import yaml

from bot.safety.detector import EmergencyDetector, build_detector
from bot.safety.evaluation import EMERGENCY, evaluate, load_labelled

REPO = Path(__file__).resolve().parent.parent
SETS = REPO / "tests" / "data" / "safety"
PATTERNS = REPO / "content" / "safety" / "emergency.yml"
REPORT = REPO / "docs" / "safety.md"
NLU = [REPO / "nlu_data", REPO / "tests" / "data" / "nlu_heldout"]
LANGUAGES = ["en", "fr", "ht", "es"]
# First score of the rows marked "written after the patterns" in medical_violent.tsv, taken
# before any pattern was changed for them (a fixed fact of their history, not re-measured).
WRITTEN_AFTER_FIRST_SCORE = (
    'the rows marked "written after the patterns" were scored before any fix: the patterns '
    "caught 41 of their 45 emergencies (91%) and alarmed on 1 of 20 ordinary messages; the four "
    'misses ("so much blood coming from his head", "s est fait mordre par un serpent", "le '
    'courant a emmene mon neveu", "yo tire yon nonm") were then fixed and the alarm (a shooting '
    "years ago, told for an asylum case) kept: past events told as such still fire. The 25 "
    'near misses of the last category were then written to break the patterns ("is the '
    'situation stable", "they are firing me from my job", "je vire l argent", "grangou ap '
    'touye m"...): 19 of them fired, and the patterns were narrowed until none did'
)


def labelled_sets() -> list[Path]:
    return sorted(SETS.glob("*.tsv"))


def written_by(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# written by:"):
            return line.removeprefix("# written by:").strip().split(" (")[0]
    return "not said"


def categories(path: Path) -> dict[str, list[tuple[str, str, str]]]:
    """Rows grouped by the `# category:` line above them (rows before any: no category)."""
    grouped: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# category:"):
            current = line.removeprefix("# category:").strip()
        elif current and line.strip() and not line.startswith("#"):
            language, label, text = line.split("\t", 2)
            grouped[current].append((language, label, text))
    return grouped


def nlu_examples() -> list[tuple[str, str, str]]:
    rows = []
    for path in sorted(p for root in NLU for p in root.rglob("*.yml")):
        language = path.parent.name if path.parent.name in LANGUAGES else path.stem
        if language not in LANGUAGES:
            continue
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            if "intent" not in block:
                continue
            label = EMERGENCY if block["intent"] == EMERGENCY else "not"
            for line in block["examples"].splitlines():
                if line.strip().startswith("- "):
                    text = re.sub(r"\[([^\]]+)\]\{[^}]*\}", r"\1", line.strip()[2:])
                    rows.append((language, label, text))
    return rows


def ms_for_1000(detector: EmergencyDetector, texts: list[str]) -> float:
    messages = (texts * (1000 // len(texts) + 1))[:1000]
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for text in messages:
            detector.match(text)
        best = min(best, time.perf_counter() - start)
    return best * 1000


def pct(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "-"


def main() -> int:
    detector = build_detector(PATTERNS)
    sets = {path: load_labelled(path) for path in labelled_sets()}
    rows = [row for rows in sets.values() for row in rows]
    stats = evaluate(detector, rows)
    files = ", ".join(f"`{p.relative_to(REPO)}`" for p in sets)
    lines = [
        "# Emergency fast path: measured",
        "",
        f"Measured on {dt.date.today().isoformat()} by `scripts/safety_eval.py` with the "
        f"{len(detector)} patterns of `content/safety/emergency.yml` on the labelled sets "
        f"{files} ({len(rows)} messages; the same sets hold the line in "
        "`tests/test_safety.py`: recall at least 95% and false alarms at most 5% per language).",
        "",
        "| language | emergencies | caught (recall) | ordinary / near-miss messages | "
        "false alarms (rate) |",
        "|---|---|---|---|---|",
    ]
    for language, s in stats.items():
        lines.append(
            f"| {language} | {s.emergencies} | {s.caught} ({s.recall:.1%}) | {s.ordinary} | "
            f"{s.false_alarms} ({s.false_alarm_rate:.1%}) |"
        )
    lines += [
        "",
        "By set, and who wrote it:",
        "",
        "| set | written by | emergencies caught | false alarms |",
        "|---|---|---|---|",
    ]
    for path, set_rows in sets.items():
        per = evaluate(detector, set_rows).values()
        caught, total = sum(s.caught for s in per), sum(s.emergencies for s in per)
        alarms, ordinary = sum(s.false_alarms for s in per), sum(s.ordinary for s in per)
        lines.append(
            f"| `{path.name}` | {written_by(path)} | {caught} of {total} ({pct(caught, total)}) "
            f"| {alarms} of {ordinary} ({pct(alarms, ordinary)}) |"
        )
    missed = [(lang, t) for lang, s in stats.items() for t in s.missed]
    alarmed = [(lang, t) for lang, s in stats.items() for t in s.alarmed]
    lines += ["", "Missed emergencies:", ""]
    lines += [f"- {lang}: {text}" for lang, text in missed] or ["- none"]
    lines += ["", "False alarms:", ""]
    lines += [f"- {lang}: {text}" for lang, text in alarmed] or ["- none"]

    lines += [
        "",
        "## Categories covered",
        "",
        "Rows of the sets that are grouped by category (`# category:` lines); emergencies per "
        "language, and the near misses written for that category.",
        "",
        "| category | emergencies (en · fr · ht · es) | caught | near misses | false alarms |",
        "|---|---|---|---|---|",
    ]
    for path in sets:
        for name, cat_rows in categories(path).items():
            per = evaluate(detector, cat_rows)
            counts = " · ".join(str(per[x].emergencies if x in per else 0) for x in LANGUAGES)
            caught = sum(s.caught for s in per.values())
            total = sum(s.emergencies for s in per.values())
            ordinary = sum(s.ordinary for s in per.values())
            alarms = sum(s.false_alarms for s in per.values())
            lines.append(f"| {name} | {counts} | {caught} of {total} | {ordinary} | {alarms} |")
    lines += [
        "",
        "The first set (`messages.tsv`) covers people held or locked in, beaten, kidnapped or "
        "held for ransom, raped or forced into sex, threatened with a weapon, children missing "
        "or taken, drowning and boats sinking, not breathing, bleeding, giving birth with no "
        "help, lost in the jungle.",
    ]

    nlu = evaluate(detector, nlu_examples())
    lines += [
        "",
        "## A second look: the NLU examples",
        "",
        "The Rasa training and held-out examples were written for the model, not against these "
        'patterns. Not a target (many `emergency` examples, such as "someone is following me", '
        "are left to Rasa, and documents kept or past abuse told to report it are meant to "
        "fire sometimes), but a check that new patterns do not start firing on everyday "
        "questions:",
        "",
        "| language | `emergency` examples caught | examples of other intents that fire |",
        "|---|---|---|",
    ]
    for language, s in nlu.items():
        lines.append(
            f"| {language} | {s.caught} of {s.emergencies} ({s.recall:.1%}) | "
            f"{s.false_alarms} of {s.ordinary} ({s.false_alarm_rate:.1%}) |"
        )

    ordinary = [text for _, label, text in rows if label != EMERGENCY]
    everything = [text for _, _, text in rows]
    longest = " ".join(ordinary)[:2000]
    lines += [
        "",
        "## Speed",
        "",
        "The patterns run on every message. On the machine that wrote this report (best of 5; "
        "a shared machine, where these figures vary about twofold with its load): "
        f"1,000 messages of the sets in {ms_for_1000(detector, everything):.0f} ms; "
        f"1,000 ordinary messages, which no pattern matches so every pattern runs, in "
        f"{ms_for_1000(detector, ordinary):.0f} ms; one ordinary message of 2,000 characters "
        "(the gateway cuts longer ones) in "
        f"{ms_for_1000(detector, [longest]) / 1000:.1f} ms.",
    ]
    lines += [
        "",
        "## How it works, and its limits",
        "",
        "- The patterns run in the gateway before Rasa, on text folded to lower case without "
        "accents, in every language at once (people mix languages). A match answers at once "
        "with the emergency content for the person's country (or the general one and the "
        'question "which country are you in?"); Rasa is not needed, so the answer comes even '
        "while Rasa or the action server is down.",
        "- When no pattern matches, Rasa's `emergency` intent still leads to the same answer "
        "through the NLG endpoint: the two paths combine.",
        "- Recall comes first: a missed emergency costs far more than a false alarm, whose cost "
        "is one extra message with emergency numbers.",
        "- Medical and violent emergencies are matched as danger now: heavy bleeding, labour "
        "and waters breaking, pregnancy with strong pain or bleeding or the baby not moving, "
        "snakebite, gunfire, stabbing, drowning or swept by a river, unconscious or not "
        'breathing, a child with fever and convulsions, kidnapping, "please help me" typed '
        'alone or with urgency, and a message that is only an alarm word ("ijans", '
        '"urgence").',
        "- Left to Rasa on purpose, because its topic answers them better than emergency "
        'numbers do: hunger and thirst told as idioms ("je meurs de faim", "m ap mouri '
        'grangou", "dying of hunger": the shelter and food topic says where to eat; when hunger '
        "or thirst is part of an emergency, other words say so and fire: lost in the jungle, a "
        "child who does not wake); fever alone (the health topic says where to see a doctor; "
        "fever with convulsions, shaking or a child who does not wake fires); a belly ache without "
        'pregnancy; "help me find / fill / understand"; questions that start with "if" '
        '("si un serpent me mord", "if a snake bites"); "can the police keep me" (a rights '
        'question); "tire foto" and "tire lajan" (a photo, cash); "kase dlo" (to pass water, '
        'unlike "dlo poch li kase"); "sa k ap kraze" (a greeting).',
        '- Still firing, and accepted: past events told as such ("i was shot at years ago", '
        '"they hit me last week, I want to report") and some questions about an emergency '
        '("how to treat a snake bite", "contractions at 6 months, is it normal?"): the '
        "answer is one extra message with emergency numbers.",
        "- The Spanish figures measure the patterns alone. Today the gateway answers a message "
        "confidently in Spanish (5 words or more) with the language menu before it tries the "
        "patterns (`bot/pipeline/pipeline.py`), so most Spanish emergencies of the sets would "
        "get that menu, not the emergency answer, until the patterns are tried first.",
        "- Who wrote what: the first set says it was written separately from the patterns; "
        "`medical_violent.tsv` was written by the author of the medical and violent patterns, "
        "before writing them, so its recall is overstated; "
        + WRITTEN_AFTER_FIRST_SCORE
        + ". Partners should add messages written by other people (and real ones, "
        "anonymised), because a set written by the pattern authors overstates recall.",
        "",
    ]
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text("\n".join(lines), encoding="utf-8")
    for language, s in stats.items():
        print(f"{language}: recall {s.recall:.3f}, false alarms {s.false_alarm_rate:.3f}")
    print(f"wrote {REPORT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
