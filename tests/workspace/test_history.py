"""The history of a text over HTTP (bot/workspace/routes/history.py): every version, a
comparison of any two, restoring an old version as a new draft.

What matters: nothing is lost, a comparison marks what was added and removed in a way that
does not rely on colour, and a restore is a new draft that goes through review like any
change (people keep getting the published text until then).
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from bot.languages import LanguageTable
from bot.store.models import RevisionStatus
from bot.workspace import revisions
from bot.workspace.pages import PREFIX
from tests.workspace.conftest import WorkspaceUnderTest
from tests.workspace.test_review import (
    GO,
    NO,
    OK,
    ROLES,
    Scene,
    Step,
    check_table,
    fresh_change,
    make_scene,
)


@pytest.fixture
def scene(ws: WorkspaceUnderTest, languages: LanguageTable) -> Scene:
    return make_scene(ws, languages)


def _restore(scene: Scene, client: TestClient) -> int:
    fresh_change(scene)
    return scene.post(client, f"/items/{scene.item}/ht/restore/1", "/review").status_code


HISTORY_TABLE: dict[str, tuple[Step, dict[str, int]]] = {
    "view history": (
        lambda s, c: c.get(f"{PREFIX}/items/{s.item}/ht/history").status_code,
        dict.fromkeys(ROLES, OK),
    ),
    "compare": (
        lambda s, c: c.get(f"{PREFIX}/items/{s.item}/ht/history?a=1&b=1").status_code,
        dict.fromkeys(ROLES, OK),
    ),
    # Kreyòl is not the source language: translators may restore it, reviewers write nothing.
    "restore": (
        _restore,
        {"admin": GO, "editor": GO, "translator": GO, "reviewer": NO, "caseworker": NO},
    ),
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_permission_table_says(scene: Scene, role: str) -> None:
    check_table(scene, role, HISTORY_TABLE)


def test_a_translator_cannot_restore_the_source_language(scene: Scene) -> None:
    scene.change("author", "en", scene.live_body("en") + "Thanks.\n")
    translator = scene.client("translator-panama-aid")
    response = scene.post(translator, f"/items/{scene.item}/en/restore/1", "/review")
    assert response.status_code == 403


def test_every_version_is_listed_newest_first_with_its_state_author_and_note(
    scene: Scene,
) -> None:
    revision = scene.change("author")
    reviewer = scene.client("reviewer-panama-aid")
    page = f"/review/{revision}"
    scene.ws.clock.advance(hours=3)
    scene.post(reviewer, f"{page}/publish", page, confirm_differences="y", note="Verified")
    history = reviewer.get(f"{PREFIX}/items/{scene.item}/ht/history").text
    assert re.findall(r'id="version-(\d+)"', history) == ["2", "1"]
    newest = history.split('id="version-2"', 1)[1].split('id="version-1"', 1)[0]
    assert "Published" in newest and "People get this version" in newest
    assert "By author, 2 December 2026, 09:00" in newest
    assert "Approved by reviewer-panama-aid, 2 December 2026, 12:00" in newest
    assert "Nouvo nimewo Kwa Wouj" in newest and "Verified" in newest
    oldest = history.split('id="version-1"', 1)[1]
    assert "Replaced by a newer publication" in oldest
    assert "Imported from the content files, " in oldest


def test_seed_content_gets_its_first_version_when_its_history_is_opened(scene: Scene) -> None:
    history = scene.client("caseworker-panama-aid").get(f"{PREFIX}/items/{scene.item}/fr/history")
    assert history.status_code == 200
    assert re.findall(r'id="version-(\d+)"', history.text) == ["1"]


def test_comparing_two_versions_marks_added_and_removed_lines(scene: Scene) -> None:
    scene.change("author")
    client = scene.client("caseworker-panama-aid")
    page = client.get(f"{PREFIX}/items/{scene.item}/ht/history?a=2&b=1").text  # either order
    comparison = page.split('id="comparison"', 1)[1].split("</section>", 1)[0]
    assert "From version 1 to version 2" in comparison
    removed = re.findall(r'<li class="diff-removed"><span class="diff-sign"[^>]*>−</span>', page)
    added = re.findall(
        r'<li class="diff-added"><span class="diff-sign"[^>]*>\+</span>(.*?)</li>', page, re.S
    )
    assert len(removed) == 1
    assert any("+507 500-6000" in line for line in added)
    assert 'name="a"' in page and 'name="b"' in page  # the form to choose any two


def test_a_version_that_does_not_exist_is_named_plainly(scene: Scene) -> None:
    client = scene.client("editor-panama-aid")
    page = client.get(f"{PREFIX}/items/{scene.item}/ht/history?a=1&b=9")
    assert page.status_code == 200
    assert "Choose two versions from the lists to compare them." in page.text
    assert client.get(f"{PREFIX}/items/{scene.item}/ht/history?a=x&b=1").status_code == 200


def test_restore_makes_a_new_draft_with_the_old_text_and_opens_the_editor(scene: Scene) -> None:
    old = scene.live_body("ht")
    revision = scene.change("author")
    reviewer = scene.client("reviewer-panama-aid")
    page = f"/review/{revision}"
    scene.post(reviewer, f"{page}/publish", page, confirm_differences="y")
    published = scene.live_body("ht")
    assert published != old

    editor = scene.client("editor-panama-aid")
    response = scene.post(editor, f"/items/{scene.item}/ht/restore/1", "/review")
    assert response.status_code == 303
    assert response.headers["location"] == f"{PREFIX}/items/{scene.item}/ht/edit?done=restored"
    with scene.ws.sessions() as session:
        head = revisions.head(session, scene.item, "ht")
        assert head is not None
        assert (head.number, head.status, head.body) == (3, RevisionStatus.DRAFT, old)
        assert head.note == "restored from version 1"
    assert scene.live_body("ht") == published  # people keep the published text until review


def test_the_restore_button_is_offered_only_to_who_may_restore(scene: Scene) -> None:
    scene.change("author")
    history = f"{PREFIX}/items/{scene.item}/ht/history"
    editor = scene.client("editor-panama-aid").get(history).text
    reviewer = scene.client("reviewer-panama-aid").get(history).text
    assert f"/items/{scene.item}/ht/restore/1" in editor
    assert f"/items/{scene.item}/ht/restore/2" not in editor  # the newest is already the draft
    assert "/restore/" not in reviewer


def test_another_organisation_gets_not_found(scene: Scene) -> None:
    scene.change("author")
    scene.ws.account("editor", org="Other Aid")
    outsider = scene.client("editor-other-aid")
    assert outsider.get(f"{PREFIX}/items/{scene.item}/ht/history").status_code == 404
    assert outsider.get(f"{PREFIX}/items/{scene.item}/ht/history?a=1&b=2").status_code == 404
    restore = scene.post(outsider, f"/items/{scene.item}/ht/restore/1", "/review")
    assert restore.status_code == 404
    with scene.ws.sessions() as session:
        assert revisions.head(session, scene.item, "ht").number == 2


def test_a_restore_without_its_csrf_token_is_refused(scene: Scene) -> None:
    scene.change("author")
    editor = scene.client("editor-panama-aid")
    editor.get(f"{PREFIX}/items/{scene.item}/ht/history")
    response = editor.post(
        f"{PREFIX}/items/{scene.item}/ht/restore/1", data={}, follow_redirects=False
    )
    assert response.status_code == 400
    with scene.ws.sessions() as session:
        assert revisions.head(session, scene.item, "ht").number == 2


def test_restoring_a_version_that_does_not_exist_is_not_found(scene: Scene) -> None:
    editor = scene.client("editor-panama-aid")
    response = scene.post(editor, f"/items/{scene.item}/ht/restore/42", "/review")
    assert response.status_code == 404
