"""Measure the emergency fast path on tests/data/safety/*.tsv; write docs/emergency-benchmark.md.

.venv/bin/python scripts/safety_eval.py

Each labelled file says who wrote it (a `# written by:` line) and may group its rows under
`# category:` lines; the figures are given per language, per file and per category. The NLU
examples (nlu_data/, tests/data/nlu_heldout/), written for the model and not against these
patterns, are a second look. The time taken to match 1,000 messages of the set is measured too.
The child-alone patterns (`child_alone.tsv`) and the `medical` sign of emergencies
(`medical.tsv`) are measured the same way, in their own sections.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import defaultdict
from pathlib import Path

import yaml

from bot.safety.detector import EmergencyDetector, build_detector, load_patterns
from bot.safety.evaluation import (
    CHILD_ALONE,
    CHILD_ALONE_SET,
    EMERGENCY,
    MEDICAL,
    MEDICAL_SET,
    Detector,
    DetectorStats,
    MedicalSign,
    emergency_sets,
    evaluate,
    load_labelled,
)
from bot.safety.minor import build_child_alone_detector

REPO = Path(__file__).resolve().parent.parent
SETS = REPO / "tests" / "data" / "safety"
PATTERNS = REPO / "content" / "safety" / "emergency.yml"
MINOR_PATTERNS = REPO / "content" / "safety" / "minor_alone.yml"
REPORT = REPO / "docs" / "emergency-benchmark.md"
NLU = [REPO / "nlu_data", REPO / "tests" / "data" / "nlu_heldout"]
LANGUAGES = ["en", "fr", "ht", "es"]
CHILD_ALONE_LANGUAGES = ["en", "fr", "ht"]
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

# How the two newer sets were written, and their first score before any pattern was changed
# for them (fixed facts of their history, not re-measured).
CHILD_ALONE_HISTORY = (
    "How the set was written: by hand, by a helper session of the project (an AI agent), "
    "before it read the patterns closely (it had seen only the file rules and the README's "
    'example "mwen gen 15 an, mwen pou kont mwen"), typed as on a phone: no accents, SMS '
    'shorthand ("m gen 15an", "pagen", "poukont mwen", "jai 15 ans", "tt seul", "chui", '
    '"im 16", "by myself"). Its first score, before any pattern was changed: recall en 16 of '
    "22 (72.7%), fr 17 of 22 (77.3%), ht 15 of 22 (68.2%); false alarms en 0, fr 0, ht 1 of "
    '24 ("pitit gason m gen 16 an ... nou pou kont nou", the son\'s age read as the '
    'writer\'s). The misses were: no "alone" words for "nobody is with me", '
    '"personne est avec moi", "jai pas mes parents", "parti sans moi", "separated from", '
    '"left me", "pagen" (for "pa gen") and "fanmi"; no age for "16 yrs old" opening a '
    'message, "j ai que 15 ans", "m jis gen 15 an", "chui mineur", "underage", "mwen minè"; '
    '"minè ki pa akonpaye"; and "im 15 he is 9", whose "15 h" was read as an hour. The '
    "patterns were then fixed for these, so the figures above, measured on the same rows, "
    "overstate recall. The last category (9 near misses) was written after reading the "
    'patterns, to probe them: 3 fired ("16 yrs old my son", "m gen 15 an depi m nan peyi a", '
    '"jai 15 ans de travail") and the patterns were narrowed until none did'
)
MEDICAL_HISTORY = (
    "How the set was written: by hand, by the same helper session, before it read the "
    "`medical` patterns, from the brief's two lists (needs a hospital now; an emergency with "
    'nobody hurt yet). One row as first written, "pitit fi m gen gwo lafyev ak kriz", is '
    'missed by the emergency `patterns` themselves (fever and "kriz" without a verb); it '
    'was reworded ("li ap fe kriz") because this set measures `medical` only, and is '
    "left for the emergency patterns. First score, before any `medical` pattern was "
    "changed: recall en 15 of 16, fr 15 of 16, ht 14 of 16; no false alarm in any language. "
    'The misses were the baby coming ("the baby is coming now", "le bebe arrive", "bebe a ap '
    'soti") and "yo tire l nan janm" (they shot him), fixed since. The near misses have few '
    "medical words, so the false-alarm figure is weak: a pregnant woman kidnapped "
    '("yo kidnape madanm mwen ki ansent") is told to go to hospital, because pregnancy alone '
    "is a `medical` sign, and is not in the set"
)


def labelled_sets() -> list[Path]:
    return emergency_sets(SETS)


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


def per_language_table(stats: dict[str, DetectorStats], positives: str, others: str) -> list[str]:
    lines = [
        f"| language | {positives} | caught (recall) | {others} | false alarms (rate) |",
        "|---|---|---|---|---|",
    ]
    for language, s in stats.items():
        lines.append(
            f"| {language} | {s.emergencies} | {s.caught} ({s.recall:.1%}) | {s.ordinary} | "
            f"{s.false_alarms} ({s.false_alarm_rate:.1%}) |"
        )
    return lines


def mistakes(stats: dict[str, DetectorStats], missed: str, alarmed: str) -> list[str]:
    lines = ["", f"{missed}:", ""]
    lines += [f"- {lang}: {text}" for lang, s in stats.items() for text in s.missed] or ["- none"]
    lines += ["", f"{alarmed}:", ""]
    lines += [f"- {lang}: {text}" for lang, s in stats.items() for text in s.alarmed] or ["- none"]
    return lines


def category_lines(
    detector: Detector, path: Path, positive: str, languages: list[str]
) -> list[str]:
    """One table row per `# category:` of the set: positives per language, caught, others."""
    lines = []
    for name, cat_rows in categories(path).items():
        per = evaluate(detector, cat_rows, positive)
        counts = " · ".join(str(per[x].emergencies if x in per else 0) for x in languages)
        caught = sum(s.caught for s in per.values())
        total = sum(s.emergencies for s in per.values())
        ordinary = sum(s.ordinary for s in per.values())
        alarms = sum(s.false_alarms for s in per.values())
        lines.append(f"| {name} | {counts} | {caught} of {total} | {ordinary} | {alarms} |")
    return lines


def child_alone_section() -> tuple[list[str], dict[str, DetectorStats]]:
    path = SETS / CHILD_ALONE_SET
    detector = build_child_alone_detector(MINOR_PATTERNS)
    count = sum(
        len(items)
        for kind in ("age", "alone", "explicit")
        for items in load_patterns(MINOR_PATTERNS, kind).values()
    )
    stats = evaluate(detector, load_labelled(path), CHILD_ALONE)
    lines = [
        "## Child alone: measured",
        "",
        f"The {count} patterns of `content/safety/minor_alone.yml` (a child alone: an "
        "`explicit` pattern, or an `age` and an `alone` one) on "
        f"`{path.relative_to(REPO)}`, written by {written_by(path)}. Held in "
        "`tests/test_safety.py`: recall at least 90% and false alarms at most 10% per language.",
        "",
        *per_language_table(stats, "children alone", "near misses"),
        "",
        "| category | children alone (en · fr · ht) | caught | near misses | false alarms |",
        "|---|---|---|---|---|",
        *category_lines(detector, path, CHILD_ALONE, CHILD_ALONE_LANGUAGES),
        *mistakes(stats, "Children alone missed", "False alarms"),
        "",
        CHILD_ALONE_HISTORY + ".",
        "",
    ]
    return lines, stats


def medical_section(detector: EmergencyDetector) -> tuple[list[str], dict[str, DetectorStats]]:
    path = SETS / MEDICAL_SET
    rows = load_labelled(path)
    count = sum(len(items) for items in load_patterns(PATTERNS, "medical").values())
    stats = evaluate(MedicalSign(detector), rows, MEDICAL)
    not_emergencies = [f"{lang}: {text}" for lang, _, text in rows if not detector.match(text)]
    lines = [
        "## Medical emergencies: measured",
        "",
        f'The {count} `medical` patterns of `content/safety/emergency.yml` ("go to the nearest '
        'emergency room now" first) on the emergencies of '
        f"`{path.relative_to(REPO)}`, written by {written_by(path)}. Every row is an emergency; "
        "a row the emergency patterns miss counts as a medical miss (rows missed: "
        f"{', '.join(not_emergencies) or 'none'}). Held in `tests/test_safety.py`: recall at "
        "least 90% and false alarms at most 10% per language.",
        "",
        *per_language_table(stats, "medical emergencies", "other emergencies"),
        "",
        "| category | medical (en · fr · ht) | caught | other emergencies | false alarms |",
        "|---|---|---|---|---|",
        *category_lines(MedicalSign(detector), path, MEDICAL, CHILD_ALONE_LANGUAGES),
        *mistakes(stats, "Medical emergencies missed", "Other emergencies told to go to hospital"),
        "",
        MEDICAL_HISTORY + ".",
        "",
    ]
    return lines, stats


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
    ]
    lines += per_language_table(stats, "emergencies", "ordinary / near-miss messages")
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
    lines += mistakes(stats, "Missed emergencies", "False alarms")

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
        lines += category_lines(detector, path, EMERGENCY, LANGUAGES)
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
    child_lines, child_stats = child_alone_section()
    medical_lines, medical_stats = medical_section(detector)
    lines += child_lines + medical_lines
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text("\n".join(lines), encoding="utf-8")
    for name, measured in (
        ("emergency", stats),
        ("child alone", child_stats),
        ("medical", medical_stats),
    ):
        for language, s in measured.items():
            print(
                f"{name} {language}: recall {s.recall:.3f}, false alarms {s.false_alarm_rate:.3f}"
            )
    print(f"wrote {REPORT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
