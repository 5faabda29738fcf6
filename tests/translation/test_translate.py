"""Drafts through the real argos path: direct pairs, the English pivot, unservable pairs,
and the fail-safe when the model loses a protected span."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.translation import PairUnavailable, SpanLost, Translator
from bot.translation.packaging import package_opus_mt


def test_a_direct_draft_records_engine_model_and_version(translator: Translator) -> None:
    draft = translator.translate("Keep photos of your documents on your phone.", "en", "fr")
    assert draft.text.strip()
    assert draft.text != "Keep photos of your documents on your phone."
    assert (draft.model, draft.version) == ("translate-en_fr-0_1", "0.1")


def test_without_a_direct_pair_the_draft_pivots_through_english(
    assets: dict[str, Path], packages_dir: Path, tmp_path: Path
) -> None:
    translator = Translator(packages_dir)
    translator.install(assets["fr_en"])
    with pytest.raises(PairUnavailable):
        translator.translate("Gardez une copie de vos documents.", "fr", "ht")
    en_ht = package_opus_mt(assets["opus_en_ht"], tmp_path / "en_ht.argosmodel", "en", "ht")
    translator.install(en_ht)
    assert [str(leg) for leg in translator.route("fr", "ht")] == ["fr→en", "en→ht"]
    draft = translator.translate("Gardez une copie de vos documents.", "fr", "ht")
    assert draft.text.strip()
    assert draft.model == "translate-fr_en-0_1 + translate-en_ht-1_0"
    assert draft.version == "0.1 + 1.0"


def test_a_pair_nobody_can_serve_is_reported_clearly(translator: Translator) -> None:
    assert not translator.can_translate("en", "ht")
    with pytest.raises(PairUnavailable) as refusal:
        translator.translate("Where is the shelter?", "en", "ht")
    message = str(refusal.value)
    assert "from en to ht" in message and "en→fr" in message and "translator" in message
    assert (refusal.value.source, refusal.value.target) == ("en", "ht")


def test_a_span_the_model_loses_fails_the_draft(translator: Translator) -> None:
    """The random model never gives placeholders back: no draft with a missing number."""
    with pytest.raises(SpanLost, match="911"):
        translator.translate("In Panama call 911 at once.", "en", "fr")


def test_line_markup_never_reaches_the_model(translator: Translator) -> None:
    text = "*Warning signs:*\n- Someone keeps your passport.\n\n- You are not paid."
    lines = translator.translate(text, "en", "fr").text.split("\n")
    assert len(lines) == 4
    assert lines[0].startswith("*") and lines[0].endswith("*")
    assert lines[1].startswith("- ") and lines[3].startswith("- ")
    assert lines[2] == ""


def test_a_text_of_protected_spans_only_needs_no_model(translator: Translator) -> None:
    text = "https://help.unhcr.org/panama\n+507 511-4242"
    assert translator.translate(text, "en", "fr").text == text
