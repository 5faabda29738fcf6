"""Write bot/langid_data/{en,fr,es,pt}.txt (general word counts) from wordfreq, at build time only.

The app never imports wordfreq: the derived lists are committed, nothing is downloaded at run time.
bot/langid_data/ht.txt comes from another source (kreyolib, see its header) and is not touched, nor
are the hand-written lists beside them: shorthand_<lang>.txt (SMS shorthand and the words it stands
for) and shared_words.txt (words sent alike in several languages), which bot/langid.py reads as is.

    python3.11 -m venv /tmp/wordfreq-venv
    /tmp/wordfreq-venv/bin/pip install wordfreq==3.1.1
    /tmp/wordfreq-venv/bin/python scripts/make_langid_wordlists.py

What it keeps: wordfreq's "large" list for the language, each entry folded the way bot/langid.py
folds text (lower case, no accents) and split into words the same way, entries that fold to the
same word added together; then the TOP_WORDS most frequent words, their frequencies scaled so that
they add up to TOTAL (a general vocabulary "as if" TOTAL words of ordinary text had been read), four
significant digits. The Kreyòl list is smaller (about 18,000 words of newswire): bot/langid.py
normalises each language's word counts by its own total, so a bigger list gives a language a better
estimated vocabulary, not more weight.
"""

from __future__ import annotations

import importlib.metadata
import re
import sys
import unicodedata
from pathlib import Path

import wordfreq

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bot" / "langid_data"
TOP_WORDS = 30_000
TOTAL = 300_000
WORDLIST = "large"
_WORD = re.compile(r"[^\W\d_]+")  # as bot/langid.py

NAMES = {"en": "English", "fr": "French", "es": "Spanish", "pt": "Portuguese"}
DETECT_ONLY = (
    "# Detection only: the assistant does not speak this language yet; a message "
    "confidently in it\n# gets the language menu (translations/languages.yml, "
    "detect_only).\n"
)


def fold(text: str) -> str:
    """bot.languages.fold (copied: this script runs where the app's dependencies are not)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def word_counts(language: str) -> list[tuple[str, float]]:
    folded: dict[str, float] = {}
    for entry, frequency in wordfreq.get_frequency_dict(language, wordlist=WORDLIST).items():
        for word in _WORD.findall(fold(entry)):
            folded[word] = folded.get(word, 0.0) + frequency
    top = sorted(folded.items(), key=lambda item: (-item[1], item[0]))[:TOP_WORDS]
    scale = TOTAL / sum(frequency for _, frequency in top)
    return [(word, frequency * scale) for word, frequency in top]


def header(language: str) -> str:
    version = importlib.metadata.version("wordfreq")
    return (
        f"# {NAMES[language]} word counts for bot/langid.py (word<TAB>count, folded: lower case, "
        "no accents).\n"
        + (DETECT_ONLY if language in ("es", "pt") else "")
        + f"# Derived from: wordfreq {version} (https://github.com/rspeer/wordfreq/, "
        "code Apache-2.0, data CC BY-SA 4.0),\n"
        f"# its '{WORDLIST}' {language} list, by scripts/make_langid_wordlists.py: "
        "entries folded and split into words,\n"
        f"# the {TOP_WORDS:,} most frequent words kept, their frequencies scaled to "
        f"{TOTAL:,} words in all.\n"
        "# wordfreq's data comes from Wikipedia, subtitles (OPUS), news, books (Google Books), "
        "web text, Twitter\n"
        "# and Reddit; see its README for the sources and their credits.\n"
    )


def _number(count: float) -> str:
    return str(round(count)) if count >= 1000 else f"{count:.4g}"


def main() -> int:
    for language in NAMES:
        lines = [f"{word}\t{_number(count)}" for word, count in word_counts(language)]
        path = OUT / f"{language}.txt"
        path.write_text(header(language) + "\n".join(lines) + "\n", encoding="utf-8")
        print(f"{path.relative_to(REPO)}: {len(lines)} words", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
