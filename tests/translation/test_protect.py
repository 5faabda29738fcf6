"""Protected spans come back exactly as written, wherever the model moves them; a span the
model loses, doubles or invents fails the draft.

The stand-in model below rewrites every word and moves the first word to the end, so a span
survives only through its placeholder."""

from __future__ import annotations

import re

import pytest

from bot.translation.protect import (
    PLACEHOLDER_PATTERN,
    Glossary,
    SpanLost,
    default_glossary,
    mask,
    translate_masked,
)

GLOSSARY = default_glossary()


def scrambling_model(words: str) -> str:
    def rewrite(word: str) -> str:
        return word if PLACEHOLDER_PATTERN.fullmatch(word) else f"x{word[::-1].lower()}"

    tokens = re.findall(r"⟦\d+⟧|[^\s⟦]+", words)
    tokens = [rewrite(token) for token in tokens]
    return " ".join(tokens[1:] + tokens[:1])


def draft(text: str, target: str = "fr", glossary: Glossary = GLOSSARY) -> str:
    return translate_masked(text, glossary, target, scrambling_model)


@pytest.mark.parametrize(
    ("kind", "span", "sentence"),
    [
        ("phone", "+507 511-4242", "Call {} for help"),
        ("phone", "(55) 5658 1111", "The line {} answers at night"),
        ("url", "https://help.unhcr.org/panama/en/", "Read {} before you go"),
        ("url", "www.acnur.org", "Visit {} today"),
        ("email", "ayuda.migrantes@cruzroja.org.pa", "Write to {} with your name"),
        ("number", "911", "In Panama call {} at once"),
        ("number", "3", "Walk {} days with water"),
        ("amount", "US$ 1,500", "Smugglers ask {} or more"),
        ("amount", "200 MXN", "The fine of {} is a scam"),
        ("date", "12/03/2025", "The office opens again on {} for appointments"),
        ("date", "2025-03-12", "Bring the paper dated {} to the office"),
        ("glossary", "COMAR", "Ask {} for asylum"),
        ("glossary", "ACNUR", "The office of {} can help"),
        ("glossary", "Disque 100", "In Brazil call {} for children"),
    ],
)
def test_each_kind_of_span_survives_unchanged(kind: str, span: str, sentence: str) -> None:
    text = sentence.format(span)
    assert [s.kind for s in mask(text, GLOSSARY, "fr").spans] == [kind]
    result = draft(text)
    assert span in result
    assert result != text  # the words around it were translated


def test_a_number_inside_a_sentence_keeps_its_place_in_the_sentence() -> None:
    result = draft("You can stay 30 days in the shelter.")
    assert "30" in result.split()
    assert "xuoy" in result  # "You", translated by the stand-in


def test_two_spans_side_by_side_both_survive() -> None:
    text = "Call 911 +507 511-4242 or write to ACNUR COMAR now"
    masked = mask(text, GLOSSARY, "fr")
    assert [s.kind for s in masked.spans] == ["number", "phone", "glossary", "glossary"]
    result = draft(text)
    for span in ("911", "+507 511-4242", "ACNUR", "COMAR"):
        assert span in result


def test_glossary_terms_are_translated_the_fixed_way() -> None:
    assert "Croix-Rouge (Cruz Roja)" in draft("Go to the Cruz Roja tent.", "fr")
    assert "Kwa Wouj (Cruz Roja)" in draft("Go to the Cruz Roja tent.", "ht")
    assert "Red Cross (Cruz Roja)" in draft("Vaya a la Cruz Roja.", "en")


def test_an_organisations_own_glossary_adds_terms() -> None:
    ours = GLOSSARY.merged(Glossary.from_mapping({"Casa del Migrante": None}))
    result = draft("Sleep at Casa del Migrante tonight.", glossary=ours)
    assert "Casa del Migrante" in result
    assert "Casa del Migrante" not in draft("Sleep at Casa del Migrante tonight.")


def test_markdown_bold_lists_and_line_breaks_survive() -> None:
    text = (
        "*Warning signs:*\n"
        "- Someone keeps your **passport**.\n"
        "1. You must pay a debt\n"
        "\n"
        "**Protect yourself:** keep copies."
    )
    lines = draft(text).split("\n")
    assert len(lines) == 5
    assert re.fullmatch(r"\*[^*]+\*", lines[0])
    assert lines[1].startswith("- ") and lines[1].count("**") == 2
    assert lines[2].startswith("1. ")
    assert lines[3] == ""
    assert lines[4].startswith("**") and lines[4].count("**") == 2


@pytest.mark.parametrize(
    ("model", "problem"),
    [
        (lambda words: PLACEHOLDER_PATTERN.sub("", words), "number '911' lost"),
        (lambda words: words + " " + words, "number '911' repeated"),
        (lambda words: words + " ⟦7⟧", "unknown placeholder 7"),
    ],
)
def test_a_placeholder_lost_doubled_or_invented_fails_safe(model, problem: str) -> None:
    with pytest.raises(SpanLost, match=problem):
        translate_masked("In Panama call 911 at once.", GLOSSARY, "fr", model)


def test_spaces_a_detokeniser_puts_inside_a_placeholder_are_tolerated() -> None:
    def spacing_model(words: str) -> str:
        return words.replace("⟦", "⟦ ").replace("⟧", " ⟧")

    assert translate_masked("Call 911 now", GLOSSARY, "fr", spacing_model) == "Call 911 now"
