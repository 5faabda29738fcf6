"""`make demo` loads content/ only into an empty store, so a partner's published edit
survives a restart; the seed's items belong to the sample organisation."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.config import Settings
from bot.run_stack import seed_if_empty
from bot.store.db import session_scope
from bot.store.models import ContentItem, ContentVariant, Organisation
from bot.workspace.accounts import SAMPLE_ORGANISATION


def _settings(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'seed.sqlite3'}", pseudonym_key="k")


def _trafficking_panama_ht(session) -> ContentVariant:  # noqa: ANN001
    return session.scalars(
        select(ContentVariant)
        .join(ContentItem)
        .where(
            ContentItem.topic_name == "trafficking",
            ContentItem.country == "PA",
            ContentVariant.language == "ht",
        )
    ).one()


def test_the_seed_fills_an_empty_store_and_belongs_to_the_sample_organisation(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path)
    assert seed_if_empty(settings) == 0
    with session_scope(settings.database_url) as session:
        owners = set(session.scalars(select(ContentItem.organisation_id)).all())
        sample = session.scalar(
            select(Organisation).where(Organisation.name == SAMPLE_ORGANISATION)
        )
        assert sample is not None and owners == {sample.id}


def test_a_second_start_keeps_what_partners_changed(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    settings = _settings(tmp_path)
    seed_if_empty(settings)
    with session_scope(settings.database_url) as session:
        _trafficking_panama_ht(session).body = "Tèks yon patnè pibliye."
    assert seed_if_empty(settings) == 0
    assert "not reloaded" in capsys.readouterr().out
    with session_scope(settings.database_url) as session:
        assert _trafficking_panama_ht(session).body == "Tèks yon patnè pibliye."
