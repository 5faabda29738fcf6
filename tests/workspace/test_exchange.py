"""The store side of import and export (bot/workspace/exchange.py) and the report of the
command-line import (bot/content/io.py `import_report`, `python -m bot content import`).

What matters: the report says truthfully what replacing topics whole does (texts, items,
settings, history, partners' ownership) before anything is written, and `--dry-run` writes
nothing; a translation lands on the newest version without losing a change waiting for review.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polib
from sqlalchemy import select

from bot.config import REPO_ROOT
from bot.content.io import format_import_report, import_report, load_directory
from bot.languages import LanguageTable
from bot.store.models import Account, ContentItem, ContentVariant
from bot.workspace import exchange, revisions
from bot.workspace.accounts import organisation_named
from tests.workspace.conftest import WorkspaceUnderTest

SEED = REPO_ROOT / "content"
PA_HT = "Rele *104* pou denonse"


def edited_copy(tmp_path: Path, only: tuple[str, ...] = ()) -> Path:
    """A copy of the seed (or of some of its files) with trafficking changed: Mexico's item
    removed, a Brazil item added, Panama's Kreyòl text edited."""
    directory = tmp_path / "content"
    directory.mkdir()
    for path in SEED.glob("*.yml"):
        if not only or path.name in only:
            shutil.copy(path, directory / path.name)
    trafficking = directory / "trafficking.yml"
    text = trafficking.read_text(encoding="utf-8").replace(PA_HT, "Rele *105* pou denonse")
    text = text.replace("- country: MX\n", "- country: BR\n", 1)
    trafficking.write_text(text, encoding="utf-8")
    return directory


def item_of(session, topic: str, country: str | None) -> ContentItem:  # noqa: ANN001
    where = ContentItem.country == country if country else ContentItem.country.is_(None)
    return session.scalars(select(ContentItem).where(ContentItem.topic_name == topic, where)).one()


def test_the_report_names_added_removed_and_changed_per_topic(
    ws: WorkspaceUnderTest, tmp_path: Path, languages: LanguageTable
) -> None:
    ws.account("editor")
    with ws.sessions() as session, session.begin():
        adopted = item_of(session, "emergency", "PA")
        adopted.organisation_id = organisation_named(session, "Panama Aid").id
        revisions.ensure_baseline(session, adopted)  # 3 saved versions, one per language
        item_of(session, "health", None).needs_review = False
    docs = load_directory(edited_copy(tmp_path), languages)
    with ws.sessions() as session:
        report = {change.topic: change for change in import_report(session, docs)}
        lines = format_import_report(list(report.values()))

    trafficking = report["trafficking"]
    assert trafficking.added == ("BR",) and trafficking.removed == ("MX",)
    assert trafficking.changed == (("PA", ("ht",)),)
    assert report["health"].settings == ("everywhere",) and report["health"].changed == ()
    assert report["emergency"].unchanged and report["emergency"].revisions == 3
    assert report["emergency"].owners == (("PA", "Panama Aid"),)
    assert "trafficking: items added: BR; items removed: MX; languages changed: PA (ht)" in lines
    assert "health: settings changed: everywhere" in lines
    assert f"{len(docs) - 2} topics unchanged" in lines
    assert any("3 saved versions" in line for line in lines)
    assert (
        "emergency PA belongs to Panama Aid: the import gives it back to the sample organisation"
        in lines
    )


def test_the_report_of_an_empty_store_lists_new_topics(
    ws: WorkspaceUnderTest, languages: LanguageTable
) -> None:
    with ws.sessions() as session, session.begin():
        for item in session.scalars(select(ContentItem).where(ContentItem.topic_name == "health")):
            session.delete(item.topic)
        session.flush()
        docs = [d for d in load_directory(SEED, languages) if d.topic == "health"]
        (change,) = import_report(session, docs)
        assert change.new and change.added == ("everywhere",)
        assert format_import_report([change]) == ["health (new topic): 1 item (everywhere)"]
        session.rollback()


def _content_cli(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "content", *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={"DATABASE_URL": database_url, "PSEUDONYM_KEY": "test", "PATH": "/usr/bin:/bin"},
        check=False,
    )


def _pa_ht_body(ws: WorkspaceUnderTest) -> str:
    with ws.sessions() as session:
        item = item_of(session, "trafficking", "PA")
        return next(v.body for v in item.variants if v.language == "ht")


def test_the_command_line_prints_the_report_and_a_dry_run_changes_nothing(
    ws: WorkspaceUnderTest, tmp_path: Path
) -> None:
    directory = edited_copy(tmp_path, only=("trafficking.yml", "health.yml"))
    url = ws.settings.database_url

    dry = _content_cli("import", str(directory), "--dry-run", database_url=url)
    assert dry.returncode == 0, dry.stderr
    assert "what the import changes in the store:" in dry.stdout
    assert "trafficking: items added: BR; items removed: MX; languages changed: PA (ht)" in (
        dry.stdout
    )
    assert "1 topic unchanged" in dry.stdout
    assert "dry run: nothing was changed" in dry.stdout
    assert PA_HT in _pa_ht_body(ws)

    done = _content_cli("import", str(directory), database_url=url)
    assert done.returncode == 0, done.stderr
    assert "languages changed: PA (ht)" in done.stdout and "imported 2 topics" in done.stdout
    assert "Rele *105* pou denonse" in _pa_ht_body(ws)

    again = _content_cli("import", str(directory), "--dry-run", database_url=url)
    assert "2 topics unchanged" in again.stdout


def test_the_command_line_refuses_a_bad_directory_before_reporting(
    ws: WorkspaceUnderTest, tmp_path: Path
) -> None:
    (tmp_path / "trafficking.yml").write_text("topic: trafficking\nitems: []\n", encoding="utf-8")
    refused = _content_cli("import", str(tmp_path), database_url=ws.settings.database_url)
    assert refused.returncode == 1
    assert "content not imported" in refused.stderr and "what the import" not in refused.stdout


# -- the store side of translations ----------------------------------------------------------


def _own_trafficking(ws: WorkspaceUnderTest) -> int:
    ws.account("translator")
    with ws.sessions() as session, session.begin():
        organisation = organisation_named(session, "Panama Aid")
        for item in session.scalars(
            select(ContentItem).where(ContentItem.topic_name == "trafficking")
        ):
            item.organisation_id = organisation.id
        return organisation.id


def _names(code: str | None) -> str:
    return code or "everywhere"


def test_units_carry_key_context_and_limit(
    ws: WorkspaceUnderTest, languages: LanguageTable
) -> None:
    organisation_id = _own_trafficking(ws)
    with ws.sessions() as session:
        items = exchange.organisation_items(session, organisation_id)
        names = exchange.country_names(ws.settings.gazetteer_path, "en", "en")
        units = {u.key: u for u in exchange.translation_units(items, "ht", languages, names)}
    title = units["trafficking@PA#title"]
    assert (title.source, title.target) == ("Trafficking: Panama", "Trafik moun: Panama")
    assert title.note == "Topic trafficking, Panama." and title.max_length == 24
    assert units["trafficking@*#body"].max_length == 700
    assert units["trafficking@*#body"].note == "Topic trafficking, everywhere."


def _po_with(
    ws: WorkspaceUnderTest, organisation_id: int, languages: LanguageTable, texts: dict[str, str]
) -> bytes:
    """The French export of the organisation's items, with some translations replaced."""
    with ws.sessions() as session:
        items = exchange.organisation_items(session, organisation_id)
        text, _count = exchange.translation_file(items, "fr", languages, _names, "po")
    po = polib.pofile(text)
    for entry in po:
        entry.msgstr = texts.get(entry.msgctxt, entry.msgstr)
    return str(po).encode()


def test_a_translation_keeps_the_other_changes_of_a_version_waiting_for_review(
    ws: WorkspaceUnderTest, languages: LanguageTable
) -> None:
    organisation_id = _own_trafficking(ws)
    editor = ws.account("editor")
    with ws.sessions() as session, session.begin():
        account = session.scalars(select(Account).where(Account.username == editor)).one()
        item = item_of(session, "trafficking", "PA")
        fr = next(v for v in item.variants if v.language == "fr")
        revisions.save_draft(
            session,
            account,
            item,
            "fr",
            languages=languages,
            base_number=None,
            title=fr.title,
            body=fr.body + "Nouvelle ligne.\n",
            options=fr.options,
            sources=[{"title": s.title, "url": s.url} for s in fr.sources],
            note=None,
            now=ws.clock(),
        )
    data = _po_with(ws, organisation_id, languages, {"trafficking@PA#title": "Traite au Panama"})
    with ws.sessions() as session:
        planned = exchange.plan_translation(session, organisation_id, languages, data, "fr.po")
    (change,) = planned.changes
    assert change.after.title == "Traite au Panama"
    assert change.after.body.endswith("Nouvelle ligne.\n")  # the editor's draft is kept
    assert change.waiting == exchange.Waiting(2, "draft", editor)
    assert change.fields == ["title", "body"]  # both differ from what people get today


def test_a_new_language_takes_buttons_and_sources_from_the_source_text(
    ws: WorkspaceUnderTest, languages: LanguageTable
) -> None:
    organisation_id = _own_trafficking(ws)
    with ws.sessions() as session, session.begin():
        item = item_of(session, "trafficking", "PA")
        session.delete(next(v for v in item.variants if v.language == "fr"))
    only_title = _po_with(
        ws, organisation_id, languages, {"trafficking@PA#title": "Traite : Panama"}
    )
    with ws.sessions() as session:
        try:
            exchange.plan_translation(session, organisation_id, languages, only_title, "fr.po")
        except exchange.TransferError as error:
            assert any("body: String should have at least 1 character" in p for p in error.problems)
        else:
            raise AssertionError("a new language without a body must be refused")
    both = _po_with(
        ws,
        organisation_id,
        languages,
        {"trafficking@PA#title": "Traite : Panama", "trafficking@PA#body": "Appelez le *104*."},
    )
    with ws.sessions() as session:
        planned = exchange.plan_translation(session, organisation_id, languages, both, "fr.po")
        (change,) = planned.changes
        english = session.scalars(
            select(ContentVariant).where(
                ContentVariant.item_id == change.item_id, ContentVariant.language == "en"
            )
        ).one()
        assert change.before is None
        assert change.after.options == english.options
        assert [s["url"] for s in change.after.sources] == [s.url for s in english.sources]


def test_the_fingerprint_changes_with_what_would_be_stored(
    ws: WorkspaceUnderTest, languages: LanguageTable
) -> None:
    organisation_id = _own_trafficking(ws)
    first = _po_with(ws, organisation_id, languages, {"trafficking@PA#title": "Traite au Panama"})
    second = _po_with(ws, organisation_id, languages, {"trafficking@PA#title": "Traite, Panama"})
    with ws.sessions() as session:
        plans = [
            exchange.plan_translation(session, organisation_id, languages, data, "fr.po")
            for data in (first, first, second)
        ]
    assert plans[0].fingerprint == plans[1].fingerprint != plans[2].fingerprint
