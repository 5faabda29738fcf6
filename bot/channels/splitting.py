"""Long answers cut to a channel's size limit at sentence boundaries, and numbered (1/3).

Paragraphs are kept whole where they fit; a paragraph that does not fit is cut between
sentences (spaCy's rule-based sentencizer: no model to download, works for en/fr/ht alike); a
sentence longer than the limit, which real content never has, is cut between words.
"""

from __future__ import annotations

import re
from functools import lru_cache

import spacy
from spacy.language import Language

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_NUMBER_ROOM = len(" (99/99)")


@lru_cache(maxsize=1)
def _sentencizer() -> Language:
    nlp = spacy.blank("xx")
    nlp.add_pipe("sentencizer")
    return nlp


def sentences(text: str) -> list[str]:
    return [s.text.strip() for s in _sentencizer()(text).sents if s.text.strip()]


def _pieces(text: str, limit: int) -> list[tuple[str, str]]:
    """The largest units that fit, each with the separator that joined it to the one before:
    paragraphs ("\n\n"), else lines ("\n"), else sentences (" "), else words (" ")."""
    pieces: list[tuple[str, str]] = []
    for paragraph in _PARAGRAPH_BREAK.split(text.strip()):
        if len(paragraph) <= limit:
            pieces.append((paragraph, "\n\n"))
            continue
        for line_number, line in enumerate(paragraph.splitlines()):
            line_joiner = "\n" if line_number else "\n\n"
            if len(line) <= limit:
                pieces.append((line, line_joiner))
                continue
            units = [w for s in sentences(line) for w in _words_within(s, limit)]
            pieces.extend((unit, line_joiner if i == 0 else " ") for i, unit in enumerate(units))
    return pieces


def _words_within(sentence: str, limit: int) -> list[str]:
    if len(sentence) <= limit:
        return [sentence]
    chunks, current = [], ""
    for word in sentence.split():
        word = word[:limit]
        candidate = f"{current} {word}".strip()
        if len(candidate) > limit:
            chunks.append(current)
            candidate = word
        current = candidate
    return [*chunks, current] if current else chunks


def split_message(text: str, limit: int) -> list[str]:
    """`text` as one message if it fits, else as numbered messages each within `limit`."""
    if len(text) <= limit:
        return [text]
    budget = limit - _NUMBER_ROOM
    messages: list[str] = []
    current = ""
    for piece, joiner in _pieces(text, budget):
        separator = joiner if current else ""
        if len(current) + len(separator) + len(piece) <= budget:
            current += separator + piece
        else:
            messages.append(current)
            current = piece
    if current:
        messages.append(current)
    total = len(messages)
    return [f"{message} ({n}/{total})" for n, message in enumerate(messages, start=1)]
