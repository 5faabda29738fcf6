"""The audit log over HTTP (bot/workspace/routes/audit.py).

What matters: admins and reviewers read who of their organisation did what and when, in plain
words and a readable date, newest first and a page at a time; nobody else reads it, and no
organisation reads another's lines.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from bot.languages import LanguageTable
from bot.store.models import Account
from bot.workspace import audit
from bot.workspace.pages import PREFIX
from bot.workspace.routes.audit import PER_PAGE
from tests.workspace.conftest import WorkspaceUnderTest
from tests.workspace.test_review import NO, OK, ROLES, Scene, Step, check_table, make_scene


@pytest.fixture
def scene(ws: WorkspaceUnderTest, languages: LanguageTable) -> Scene:
    return make_scene(ws, languages)


AUDIT_TABLE: dict[str, tuple[Step, dict[str, int]]] = {
    "view audit": (
        lambda s, c: c.get(f"{PREFIX}/audit").status_code,
        {"admin": OK, "editor": NO, "translator": NO, "reviewer": OK, "caseworker": NO},
    ),
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_permission_table_says(scene: Scene, role: str) -> None:
    check_table(scene, role, AUDIT_TABLE)


def test_the_log_says_who_did_what_to_which_text_and_when_newest_first(scene: Scene) -> None:
    revision = scene.change("author")
    scene.ws.clock.advance(hours=1, minutes=30)
    reviewer = scene.client("reviewer-panama-aid")
    page = f"/review/{revision}"
    scene.post(reviewer, f"{page}/publish", page, confirm_differences="y")

    log = reviewer.get(f"{PREFIX}/audit").text
    rows = re.findall(r"<tr>\s*<td.*?</tr>", log, re.S)
    assert len(rows) == 3
    published, submitted, saved = rows
    assert "published" in published and "reviewer-panama-aid" in published
    assert "confirmed that the languages give different numbers" in published
    assert "2 December 2026, 10:30" in published
    assert "sent for review" in submitted and "author" in submitted
    assert "saved a draft" in saved and "2 December 2026, 09:00" in saved
    assert "Trafficking · Panama, Kreyòl, version 2" in saved
    assert f'href="{PREFIX}/items/{scene.item}/ht/history#version-2"' in saved
    assert "from version 1" in saved


def test_the_log_speaks_the_readers_language(scene: Scene) -> None:
    scene.change("author")
    with scene.ws.sessions() as session, session.begin():
        account = session.scalar(select(Account).where(Account.username == "admin-panama-aid"))
        assert account is not None
        account.ui_language = "fr"
    log = scene.client("admin-panama-aid").get(f"{PREFIX}/audit").text
    assert "2 décembre 2026, 09:00" in log


def test_the_log_is_read_a_page_at_a_time(scene: Scene) -> None:
    with scene.ws.sessions() as session, session.begin():
        admin = session.scalar(select(Account).where(Account.username == "admin-panama-aid"))
        start = scene.ws.clock.now
        for n in range(PER_PAGE + 5):
            audit.record(
                session, admin, "export", f"po ht {n}", now=start + dt.timedelta(minutes=n)
            )
    client = scene.client("admin-panama-aid")
    first = client.get(f"{PREFIX}/audit").text
    assert first.count("exported texts") == PER_PAGE
    assert f"po ht {PER_PAGE + 4}<" in first  # the newest first
    assert f'href="{PREFIX}/audit?page=2"' in first
    second = client.get(f"{PREFIX}/audit?page=2").text
    assert second.count("exported texts") == 5
    assert "po ht 0<" in second and f'href="{PREFIX}/audit?page=1"' in second
    assert "?page=3" not in second
    assert client.get(f"{PREFIX}/audit?page=nonsense").status_code == 200
    assert "There is nothing on this page." in client.get(f"{PREFIX}/audit?page=9").text


def test_an_organisation_reads_only_its_own_lines(scene: Scene) -> None:
    scene.change("author")
    scene.ws.account("admin", org="Other Aid")
    log = scene.client("admin-other-aid").get(f"{PREFIX}/audit").text
    assert "saved a draft" not in log and "author" not in log
    assert "Nothing has been done in the workspace yet." in log


def test_an_unknown_action_is_shown_by_its_name(scene: Scene) -> None:
    with scene.ws.sessions() as session, session.begin():
        admin = session.scalar(select(Account).where(Account.username == "admin-panama-aid"))
        audit.record(session, admin, "rotate_keys", "workspace", now=scene.ws.clock.now)
    log = scene.client("admin-panama-aid").get(f"{PREFIX}/audit").text
    assert "rotate keys" in log
