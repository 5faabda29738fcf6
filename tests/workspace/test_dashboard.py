"""The dashboard: what an organisation has to do today, in four lists (issue 14, point 8).

Each list is made true by items made for the test, in the organisation's own name: past their
review date, a language missing, a translation outdated by a new source version, a change in
review, the seed's sample marks. The rules are tested over a Session (bot/workspace/dashboard.py);
the page over HTTP: every role sees it, an organisation sees only its own items, an organisation
with nothing to do is told so kindly.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from bot.languages import LanguageTable
from bot.store.models import Account, ContentItem, ContentVariant
from bot.workspace import dashboard, revisions
from bot.workspace.accounts import organisation_named
from bot.workspace.pages import PREFIX
from tests.workspace.conftest import WorkspaceUnderTest

ORG = "Panama Aid"
SOURCE = [{"title": "IOM", "url": "https://www.iom.int/"}]
ROLES = ["admin", "editor", "translator", "reviewer", "caseworker"]


def _take_items(ws: WorkspaceUnderTest, count: int, org: str = ORG) -> list[int]:
    """Move the first `count` seed items to `org`, unmarked (not sample, no review date)."""
    with ws.sessions() as session, session.begin():
        owner = organisation_named(session, org)
        assert owner is not None
        items = session.scalars(select(ContentItem).order_by(ContentItem.id).limit(count)).all()
        for item in items:
            item.organisation_id = owner.id
            item.sample = item.needs_review = False
            item.review_note = None
        return [item.id for item in items]


def _board(ws: WorkspaceUnderTest, languages: LanguageTable, org: str = ORG) -> dashboard.Dashboard:
    with ws.sessions() as session:
        owner = organisation_named(session, org)
        assert owner is not None
        return dashboard.build(session, owner.id, today=ws.clock.now.date(), languages=languages)


def _account(session: Session, username: str) -> Account:
    return session.scalars(select(Account).where(Account.username == username)).one()


def _publish_source(
    ws: WorkspaceUnderTest, languages: LanguageTable, item_id: int, language: str = "en"
) -> None:
    """An editor changes one language of the item and a reviewer publishes it."""
    with ws.sessions() as session, session.begin():
        editor, reviewer = _account(session, "editor-1"), _account(session, "reviewer-1")
        item = session.get(ContentItem, item_id)
        current = revisions.head(session, item_id, language)
        draft = revisions.save_draft(
            session,
            editor if language == languages.default else _account(session, "translator-1"),
            item,
            language,
            languages=languages,
            base_number=current.number if current else None,
            title="New title",
            body=f"A new {language} text. Call 911.",
            options=[],
            sources=SOURCE,
            note=None,
            now=ws.clock.now,
        )
        author = draft.author
        revisions.submit(session, author, draft, ws.clock.now)
        revisions.publish(session, reviewer, draft, ws.clock.now, confirm_differences=True)


@pytest.fixture
def team(ws: WorkspaceUnderTest) -> WorkspaceUnderTest:
    for role in ("admin", "editor", "translator", "reviewer"):
        ws.account(role, org=ORG, username=f"{role}-1")
    return ws


# --- the four lists, over a Session ----------------------------------------------------------


def test_items_past_their_review_date_come_oldest_first(
    team: WorkspaceUnderTest, languages: LanguageTable
) -> None:
    ids = _take_items(team, 4)
    today = team.clock.now.date()
    dates = [
        today - dt.timedelta(days=3),
        today - dt.timedelta(days=40),
        today,
        today + dt.timedelta(days=1),
    ]
    with team.sessions() as session, session.begin():
        for item_id, review_by in zip(ids, dates, strict=True):
            session.get(ContentItem, item_id).review_by = review_by

    board = _board(team, languages)

    assert [(row.item.id, row.days_late) for row in board.overdue] == [(ids[1], 40), (ids[0], 3)]


def test_a_language_people_do_not_get_is_missing(
    team: WorkspaceUnderTest, languages: LanguageTable
) -> None:
    archived, deleted, drafted = _take_items(team, 3)
    with team.sessions() as session, session.begin():
        admin = _account(session, "admin-1")
        revisions.archive(session, admin, session.get(ContentItem, archived), "fr", team.clock.now)
        for item_id in (deleted, drafted):
            variant = session.scalars(
                select(ContentVariant).where(
                    ContentVariant.item_id == item_id, ContentVariant.language == "ht"
                )
            ).one()
            session.delete(variant)
        session.flush()
        revisions.save_draft(
            session,
            _account(session, "translator-1"),
            session.get(ContentItem, drafted),
            "ht",
            languages=languages,
            base_number=None,
            title="Tit",
            body="Yon tèks.",
            options=[],
            sources=SOURCE,
            note=None,
            now=team.clock.now,
        )

    gaps = {(gap.item.id, gap.language): gap for gap in _board(team, languages).gaps}

    assert set(gaps) == {(archived, "fr"), (deleted, "ht"), (drafted, "ht")}
    assert {gap.kind for gap in gaps.values()} == {"missing"}
    assert gaps[(drafted, "ht")].on_its_way == "draft"
    assert gaps[(deleted, "ht")].on_its_way is None


def test_a_translation_is_outdated_once_the_source_is_published_again(
    team: WorkspaceUnderTest, languages: LanguageTable
) -> None:
    (item_id,) = _take_items(team, 1)
    assert _board(team, languages).gaps == []  # seed nobody edited: never outdated

    _publish_source(team, languages, item_id)

    outdated = {gap.language: gap for gap in _board(team, languages).gaps}
    assert set(outdated) == {"fr", "ht"}
    assert {(g.kind, g.source_version, g.written_from) for g in outdated.values()} == {
        ("outdated", 2, 1)
    }

    _publish_source(team, languages, item_id, "fr")  # written from English version 2

    assert [(g.language, g.kind) for g in _board(team, languages).gaps] == [("ht", "outdated")]


def test_a_change_in_review_shows_its_author_and_since_when(
    team: WorkspaceUnderTest, languages: LanguageTable
) -> None:
    (item_id,) = _take_items(team, 1)
    saved_at = team.clock.now
    with team.sessions() as session, session.begin():
        translator = _account(session, "translator-1")
        draft = revisions.save_draft(
            session,
            translator,
            session.get(ContentItem, item_id),
            "ht",
            languages=languages,
            base_number=None,
            title="Tit",
            body="Yon tèks. Rele 911.",
            options=[],
            sources=SOURCE,
            note=None,
            now=saved_at,
        )
        revisions.submit(session, translator, draft, saved_at + dt.timedelta(hours=5))

    (row,) = _board(team, languages).waiting

    assert (row.item.id, row.language, row.number, row.author) == (item_id, "ht", 2, "translator-1")
    assert row.since == saved_at + dt.timedelta(hours=5)


def test_sample_and_needs_review_marks_come_with_their_note(
    team: WorkspaceUnderTest, languages: LanguageTable
) -> None:
    sample, flagged, clean = _take_items(team, 3)
    with team.sessions() as session, session.begin():
        session.get(ContentItem, sample).sample = True
        item = session.get(ContentItem, flagged)
        item.needs_review, item.review_note = True, "Check the shelter's new address."

    marked = {row.item.id: row for row in _board(team, languages).marked}

    assert set(marked) == {sample, flagged}
    assert (marked[sample].sample, marked[sample].needs_review) == (True, False)
    assert marked[flagged].note == "Check the shelter's new address."


def test_the_whole_seed_takes_a_handful_of_queries(
    ws: WorkspaceUnderTest, languages: LanguageTable
) -> None:
    with ws.sessions() as session:
        owner = organisation_named(session, "sample")
        statements: list[str] = []
        engine = session.get_bind()
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            board = dashboard.build(
                session, owner.id, today=ws.clock.now.date(), languages=languages
            )
        finally:
            event.remove(engine, "before_cursor_execute", listener)
    assert len(board.marked) > 50
    assert 2 <= len(statements) <= 5, statements


def test_the_day_is_the_organisations_own() -> None:
    late_evening = dt.datetime(2026, 12, 2, 3, tzinfo=dt.UTC)  # 22:00 the day before in Panama
    assert dashboard.today_for(late_evening, "America/Panama") == dt.date(2026, 12, 1)
    assert dashboard.today_for(late_evening, "Not/AZone") == dt.date(2026, 12, 2)


# --- the page, over HTTP ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_its_organisations_dashboard(ws: WorkspaceUnderTest, role: str) -> None:
    client = ws.sign_in(ws.account(role))
    page = client.get(f"{PREFIX}/")
    assert page.status_code == 200
    assert "Dashboard" in page.text


def test_without_signing_in_the_dashboard_sends_to_the_login(ws: WorkspaceUnderTest) -> None:
    response = ws.client().get(f"{PREFIX}/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].endswith("/login")


def test_an_organisation_with_nothing_to_do_is_told_so_in_every_section(
    ws: WorkspaceUnderTest,
) -> None:
    page = ws.sign_in(ws.account("editor")).get(f"{PREFIX}/").text
    assert page.count("Nothing waiting.") == 4
    assert "/admin/items/" not in page


def test_the_page_shows_the_four_lists_with_counts_and_links(
    team: WorkspaceUnderTest, languages: LanguageTable
) -> None:
    overdue, outdated, marked = _take_items(team, 3)
    with team.sessions() as session, session.begin():
        session.get(ContentItem, overdue).review_by = team.clock.now.date() - dt.timedelta(days=2)
        item = session.get(ContentItem, marked)
        item.sample, item.review_note = True, "Seed text: check the hours."
    _publish_source(team, languages, outdated)

    page = team.sign_in("editor-1").get(f"{PREFIX}/").text

    assert "1</strong> <span>item is past its review date" in page
    assert "2</strong> <span>languages are missing or outdated" in page
    assert "0</strong> <span>changes are waiting for review" in page
    assert "1</strong> <span>item is still marked sample or needs review" in page
    for item_id in (overdue, outdated, marked):
        assert f'href="/admin/items/{item_id}"' in page
    assert "2 days late" in page
    assert "Seed text: check the hours." in page
    assert page.count("Nothing waiting.") == 1


def test_another_organisations_items_never_show(
    team: WorkspaceUnderTest, languages: LanguageTable
) -> None:
    (mine,) = _take_items(team, 1)
    with team.sessions() as session, session.begin():
        session.get(ContentItem, mine).review_by = team.clock.now.date() - dt.timedelta(days=9)
    outsider = team.sign_in(team.account("admin", org="Haitian Bridge"))

    page = outsider.get(f"{PREFIX}/").text

    assert f"/admin/items/{mine}" not in page
    assert page.count("Nothing waiting.") == 4
