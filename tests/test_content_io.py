"""Import/export of content/*.yml: lossless round trip, loud failures, nothing half-written."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from bot.content.io import ContentError, export_directory, import_directory, load_topic_file
from bot.store.models import ContentVariant, Topic
from tests.builders import topic_doc, variant

SEED = Path(__file__).resolve().parent.parent / "content"


def _write(directory: Path, name: str, data: dict) -> Path:
    path = directory / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _normalised(data: dict) -> dict:
    """Defaults made explicit, so a file that omits `version: 1` equals one that states it."""
    from bot.content.schema import TopicDoc

    return TopicDoc.model_validate(data).model_dump(mode="json")


def test_seed_content_round_trips_without_loss(session, languages, tmp_path):
    imported = import_directory(session, SEED, languages)
    exported = export_directory(session, tmp_path)
    assert sorted(imported) == sorted(exported)
    for source in sorted(SEED.glob("*.yml")):
        original = yaml.safe_load(source.read_text(encoding="utf-8"))
        again = yaml.safe_load((tmp_path / source.name).read_text(encoding="utf-8"))
        assert _normalised(again) == _normalised(original), source.name


def test_export_import_export_is_byte_identical(session, languages, tmp_path):
    import_directory(session, SEED, languages)
    first, second = tmp_path / "first", tmp_path / "second"
    export_directory(session, first)
    import_directory(session, first, languages)
    export_directory(session, second)
    for path in sorted(first.glob("*.yml")):
        assert path.read_bytes() == (second / path.name).read_bytes(), path.name


def test_reimport_replaces_a_topic_instead_of_duplicating(session, languages, tmp_path):
    _write(tmp_path, "health.yml", topic_doc("health", en="Old text.").model_dump(mode="json"))
    import_directory(session, tmp_path, languages)
    _write(tmp_path, "health.yml", topic_doc("health", en="New text.").model_dump(mode="json"))
    import_directory(session, tmp_path, languages)
    bodies = session.scalars(select(ContentVariant.body)).all()
    assert bodies == ["New text."]


def _doc_with(**variant_overrides) -> dict:
    return {
        "topic": "health",
        "items": [{"variants": {"en": variant(**{"body": "Body.", **variant_overrides})}}],
    }


@pytest.mark.parametrize(
    ("label", "data", "message"),
    [
        (
            "title over 24 chars",
            _doc_with(title="A title far too long for a list row"),
            "at most 24 characters",
        ),
        (
            "button over 20 chars",
            _doc_with(options=[{"title": "Twenty-one characters", "payload": "/menu"}]),
            "at most 20 characters",
        ),
        ("body over 700 chars", _doc_with(body="x" * 701), "at most 700 characters"),
        ("no source", _doc_with(sources=[]), "at least 1 item"),
        (
            "payload not an intent",
            _doc_with(options=[{"title": "Go", "payload": "menu"}]),
            "should match pattern",
        ),
        ("unknown field", _doc_with(colour="red"), "Extra inputs are not permitted"),
        (
            "unknown language",
            {
                "topic": "health",
                "items": [{"variants": {"en": variant("B."), "xx": variant("B.")}}],
            },
            "unknown language",
        ),
        (
            "no fallback-language variant",
            {"topic": "health", "items": [{"variants": {"fr": variant("Texte.")}}]},
            "no 'en' variant",
        ),
        (
            "two general items",
            {
                "topic": "health",
                "items": [{"variants": {"en": variant("A.")}}, {"variants": {"en": variant("B.")}}],
            },
            "two items for the same country",
        ),
        (
            "bad country code",
            {
                "topic": "health",
                "items": [{"country": "Mexico", "variants": {"en": variant("A.")}}],
            },
            "should match pattern",
        ),
    ],
)
def test_invalid_content_is_refused_with_a_readable_reason(
    label, data, message, languages, tmp_path
):
    path = _write(tmp_path, "health.yml", data)
    with pytest.raises(ContentError) as error:
        load_topic_file(path, languages)
    assert "health.yml" in str(error.value)
    assert message in str(error.value), label


def test_file_name_must_match_topic(languages, tmp_path):
    path = _write(tmp_path, "wrong.yml", topic_doc("health", en="Body.").model_dump(mode="json"))
    with pytest.raises(ContentError, match="should be health.yml"):
        load_topic_file(path, languages)


def test_one_bad_file_leaves_the_store_untouched(session, languages, tmp_path):
    _write(tmp_path, "health.yml", topic_doc("health", en="Fine.").model_dump(mode="json"))
    _write(tmp_path, "zzz.yml", {"topic": "zzz", "items": []})
    with pytest.raises(ContentError):
        import_directory(session, tmp_path, languages)
    assert session.scalar(select(func.count()).select_from(Topic)) == 0


def test_checked_on_survives_import_and_export(session, languages, tmp_path):
    """The day an item's sources were last read (issue 13) is stored and written back."""
    import datetime as dt

    from bot.store.models import ContentItem

    data = {
        "topic": "health",
        "items": [
            {"checked_on": "2026-12-02", "variants": {"en": variant("Checked.")}},
            {"country": "MX", "variants": {"en": variant("Not checked.")}},
            {"country": "PA", "checked_on": "2026-12-02", "variants": {"en": variant("Same day.")}},
        ],
    }
    source, out = tmp_path / "in", tmp_path / "out"
    source.mkdir()
    _write(source, "health.yml", data)
    import_directory(session, source, languages)
    stored = {item.country: item.checked_on for item in session.scalars(select(ContentItem))}
    day = dt.date(2026, 12, 2)
    assert stored == {None: day, "MX": None, "PA": day}
    export_directory(session, out)
    text = (out / "health.yml").read_text(encoding="utf-8")
    assert "&id" not in text and "*id" not in text, "a shared date became a YAML alias"
    again = yaml.safe_load(text)
    assert [item["checked_on"] for item in again["items"]] == [day, None, day]
    assert _normalised(again) == _normalised(data)
