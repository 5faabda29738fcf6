"""The safety rules pages over HTTP (/admin/safety): admins only, CSRF on every form, checks
before saving, optimistic locking, history with diffs and restores."""

from __future__ import annotations

import re

import pytest

from bot.safety import documents
from bot.safety.documents import EMERGENCY_DOCUMENT, GAZETTEER_DOCUMENT
from bot.store.models import AuditEntry, SafetyDocument
from bot.workspace.pages import PREFIX
from tests.test_safety_documents import (
    EMERGENCY_TEXT,
    GAZETTEER_TEXT,
    with_trapped_pattern,
    without_hostage_pattern,
)
from tests.workspace.conftest import WorkspaceUnderTest, csrf_token

EDITOR = f"/safety/{EMERGENCY_DOCUMENT}"
ROLES = ("admin", "editor", "translator", "reviewer", "caseworker")
BASE_VERSION = re.compile(r'name="base_version" type="hidden" value="(\d+)"')


def _edit(ws: WorkspaceUnderTest, client, text: str, action: str = "save", base: str = "0", **kw):
    return ws.post(client, EDITOR, EDITOR, text=text, base_version=base, action=action, **kw)


# --- who may do what ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_reach_any_safety_page(ws: WorkspaceUnderTest, role: str) -> None:
    admin = ws.sign_in(ws.account("admin", username="the-admin"))
    token = csrf_token(admin.get(f"{PREFIX}{EDITOR}").text)  # a valid page, for the posts
    client = ws.sign_in(ws.account(role)) if role != "admin" else admin
    if role != "admin":
        token = csrf_token(client.get(f"{PREFIX}/").text)  # this session's own token
    allowed = role == "admin"
    expected = {
        ("GET", "/safety"): 200 if allowed else 403,
        ("GET", EDITOR): 200 if allowed else 403,
        ("POST", EDITOR + "#check"): 200 if allowed else 403,
        ("POST", EDITOR): 303 if allowed else 403,
        ("POST", EDITOR + "/restore"): 303 if allowed else 403,
    }
    got = {}
    for method, path in expected:
        if method == "GET":
            got[(method, path)] = client.get(f"{PREFIX}{path}").status_code
            continue
        url, _, fragment = path.partition("#")
        data = {"csrf_token": token, "base_version": "0", "text": with_trapped_pattern()}
        if url.endswith("/restore"):
            data = {"csrf_token": token, "version": "0", "base_version": "1"}
        else:
            data["action"] = fragment or "save"
        response = client.post(f"{PREFIX}{url}", data=data, follow_redirects=False)
        got[(method, path)] = response.status_code
    assert got == expected
    nav = client.get(f"{PREFIX}/").text
    assert ('href="/admin/safety"' in nav) is allowed


def test_a_post_without_its_csrf_token_is_refused(ws: WorkspaceUnderTest) -> None:
    client = ws.sign_in(ws.account("admin"))
    client.get(f"{PREFIX}{EDITOR}")
    for path, data in [
        (EDITOR, {"text": with_trapped_pattern(), "base_version": "0", "action": "save"}),
        (f"{EDITOR}/restore", {"version": "0", "base_version": "0"}),
    ]:
        response = client.post(f"{PREFIX}{path}", data=data, follow_redirects=False)
        assert response.status_code == 400
    with ws.sessions() as session:
        assert session.get(SafetyDocument, EMERGENCY_DOCUMENT) is None


def test_an_unknown_document_is_not_found(ws: WorkspaceUnderTest) -> None:
    client = ws.sign_in(ws.account("admin"))
    assert client.get(f"{PREFIX}/safety/passwords").status_code == 404


# --- the pages -----------------------------------------------------------------------------------


def test_the_list_shows_the_three_documents_and_who_changed_them(ws: WorkspaceUnderTest) -> None:
    client = ws.sign_in(ws.account("admin", username="ana"))
    page = client.get(f"{PREFIX}/safety").text
    for name in documents.NAMES:
        assert f'href="/admin/safety/{name}"' in page
    assert page.count("The original file") == 3
    assert _edit(ws, client, with_trapped_pattern(), note="trapped").status_code == 303
    page = client.get(f"{PREFIX}/safety").text
    assert "Version 1, saved by ana" in page
    assert page.count("The original file") == 2


def test_check_shows_the_figures_and_saves_nothing(ws: WorkspaceUnderTest) -> None:
    client = ws.sign_in(ws.account("admin"))
    response = _edit(ws, client, with_trapped_pattern(), action="check")
    assert response.status_code == 200
    assert "Check result" in response.text and "This version can be saved" in response.text
    assert "Emergencies recognised" in response.text
    assert "Medical emergencies sent to the emergency room first" in response.text
    assert "Kreyòl" in response.text and "Español" in response.text
    assert "\\bpri anba (dekonb|debri|beton)\\b" in response.text  # the text stays in the editor
    with ws.sessions() as session:
        assert session.get(SafetyDocument, EMERGENCY_DOCUMENT) is None


def test_a_pattern_set_that_misses_a_labelled_emergency_is_refused_naming_it(
    ws: WorkspaceUnderTest,
) -> None:
    client = ws.sign_in(ws.account("admin"))
    response = _edit(ws, client, without_hostage_pattern())
    assert response.status_code == 400
    assert "Nothing was saved." in response.text
    assert "we are being held hostage" in response.text
    with ws.sessions() as session:
        assert session.get(SafetyDocument, EMERGENCY_DOCUMENT) is None


def test_a_broken_pattern_is_refused_with_its_line(ws: WorkspaceUnderTest) -> None:
    client = ws.sign_in(ws.account("admin"))
    text = EMERGENCY_TEXT.replace("- '\\bsos\\b'", "- '\\bsos(\\b'", 1)
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "sos(" in t)
    for action in ("check", "save"):
        response = _edit(ws, client, text, action=action)
        assert response.status_code == 400
        assert f"Line {line}:" in response.text
        assert "is not a valid regular expression" in response.text


def test_a_save_from_a_stale_version_is_refused_with_409_and_their_change(
    ws: WorkspaceUnderTest,
) -> None:
    first = ws.sign_in(ws.account("admin", username="first"))
    second = ws.sign_in(ws.account("admin", username="second"))
    opened = second.get(f"{PREFIX}{EDITOR}").text
    assert BASE_VERSION.search(opened).group(1) == "0"
    assert _edit(ws, first, with_trapped_pattern()).status_code == 303
    mine = EMERGENCY_TEXT.replace("patterns:\n  ht:\n", "patterns:\n  ht:\n    - 'ede nou vit'\n")
    response = second.post(
        f"{PREFIX}{EDITOR}",
        data={
            "csrf_token": csrf_token(opened),
            "text": mine,
            "base_version": "0",
            "action": "save",
        },
        follow_redirects=False,
    )
    assert response.status_code == 409
    assert "first saved version 1" in response.text
    assert "pri anba (dekonb|debri|beton)" in response.text  # their change, shown
    assert "ede nou vit" in response.text  # this person's text, kept
    assert BASE_VERSION.search(response.text).group(1) == "1"
    with ws.sessions() as session:
        assert session.get(SafetyDocument, EMERGENCY_DOCUMENT).text == with_trapped_pattern()


def test_history_diff_and_restore_as_a_new_version(ws: WorkspaceUnderTest) -> None:
    client = ws.sign_in(ws.account("admin", username="ana"))
    assert _edit(ws, client, with_trapped_pattern(), note="trapped under rubble").status_code == 303
    page = client.get(f"{PREFIX}{EDITOR}?done=saved").text
    assert "From the next message" in page
    assert "Version 1" in page and "trapped under rubble" in page and "In use" in page
    compared = client.get(f"{PREFIX}{EDITOR}?a=0&b=1").text
    assert 'class="diff-added"' in compared and "pri anba (dekonb|debri|beton)" in compared
    restored = ws.post(client, f"{EDITOR}/restore", EDITOR, version="0", base_version="1")
    assert restored.status_code == 303 and restored.headers["location"].endswith("done=restored")
    with ws.sessions() as session:
        row = session.get(SafetyDocument, EMERGENCY_DOCUMENT)
        assert (row.version, row.text) == (2, EMERGENCY_TEXT)
        actions = [e.action for e in session.query(AuditEntry).order_by(AuditEntry.id)]
        assert actions[-2:] == ["save_safety", "restore_safety"]
    stale = ws.post(client, f"{EDITOR}/restore", EDITOR, version="1", base_version="1")
    assert stale.status_code == 409


def test_the_gazetteer_page_counts_places_and_says_when_the_model_learns_them(
    ws: WorkspaceUnderTest,
) -> None:
    client = ws.sign_in(ws.account("admin"))
    path = f"/safety/{GAZETTEER_DOCUMENT}"
    page = client.get(f"{PREFIX}{path}").text
    assert "place finder at once" in page
    assert "after its next training" in page and "make demo" in page
    text = GAZETTEER_TEXT.replace("places: [managua,", "places: [el guasaulito, managua,", 1)
    checked = ws.post(client, path, path, text=text, base_version="0", action="check")
    assert checked.status_code == 200
    row = re.search(r"Nicaragua \(NI\)</th>\s*<td>(\d+)</td>\s*<td>(\d+)</td>", checked.text)
    assert row and int(row.group(2)) == int(row.group(1)) + 1
    saved = ws.post(client, path, path, text=text, base_version="0", action="save")
    assert saved.status_code == 303
