"""Signing in over HTTP: the form, CSRF, wrong passwords slowing down, sessions, the CLI."""

from __future__ import annotations

import subprocess
import sys

from bot.config import REPO_ROOT
from bot.workspace.pages import PREFIX
from bot.workspace.throttle import FREE_FAILURES, wait_after
from tests.workspace.conftest import PASSWORD, WorkspaceUnderTest, csrf_token


def _try(ws: WorkspaceUnderTest, username: str, password: str, address_client=None) -> int:  # noqa: ANN001
    client = address_client or ws.client()
    page = client.get(f"{PREFIX}/login")
    return client.post(
        f"{PREFIX}/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(page.text)},
        follow_redirects=False,
    ).status_code


def test_the_login_page_is_a_form_with_a_password_field_and_a_hidden_csrf_field(
    ws: WorkspaceUnderTest,
) -> None:
    page = ws.client().get(f"{PREFIX}/login")
    assert page.status_code == 200
    assert 'type="password"' in page.text
    assert 'name="csrf_token" type="hidden"' in page.text


def test_a_login_posted_without_its_csrf_token_is_refused(ws: WorkspaceUnderTest) -> None:
    username = ws.account("editor")
    client = ws.client()
    client.get(f"{PREFIX}/login")
    response = client.post(
        f"{PREFIX}/login", data={"username": username, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 400
    assert "session_ok" not in response.text
    assert client.get(f"{PREFIX}/", follow_redirects=False).status_code == 303


def test_a_token_from_another_session_is_refused(ws: WorkspaceUnderTest) -> None:
    username = ws.account("editor")
    stranger_token = csrf_token(ws.client().get(f"{PREFIX}/login").text)
    victim = ws.client()
    victim.get(f"{PREFIX}/login")
    response = victim.post(
        f"{PREFIX}/login",
        data={"username": username, "password": PASSWORD, "csrf_token": stranger_token},
    )
    assert response.status_code == 400


def test_the_right_password_signs_in_and_the_cookie_is_secure_httponly_strict(
    ws: WorkspaceUnderTest,
) -> None:
    username = ws.account("editor")
    client = ws.client()
    page = client.get(f"{PREFIX}/login")
    response = client.post(
        f"{PREFIX}/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_token(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    home = client.get(f"{PREFIX}/")
    assert home.status_code == 200 and username in home.text


def test_wrong_passwords_are_refused_without_saying_which_part_was_wrong(
    ws: WorkspaceUnderTest,
) -> None:
    username = ws.account("editor")
    assert _try(ws, username, "not the password") == 401
    assert _try(ws, "nobody-here", PASSWORD) == 401


def test_ten_wrong_passwords_slow_the_next_attempt_even_with_the_right_one(
    ws: WorkspaceUnderTest,
) -> None:
    username = ws.account("editor")
    statuses = [_try(ws, username, f"guess number {n}") for n in range(10)]
    assert statuses[:FREE_FAILURES] == [401] * FREE_FAILURES
    assert 429 in statuses[FREE_FAILURES:]
    assert _try(ws, username, PASSWORD) == 429  # the right password must wait too
    ws.clock.advance(seconds=wait_after(10) + 1)
    assert _try(ws, username, PASSWORD) == 303


def test_guessing_many_accounts_from_one_address_slows_too(ws: WorkspaceUnderTest) -> None:
    names = [ws.account("editor", username=f"user{n}") for n in range(3)]
    statuses = [_try(ws, names[n % 3], "wrong guess") for n in range(9)]
    assert statuses[-1] == 429  # TestClient always comes from the same address


def test_signing_out_needs_the_token_and_ends_the_session(ws: WorkspaceUnderTest) -> None:
    client = ws.sign_in(ws.account("reviewer"))
    assert client.post(f"{PREFIX}/logout", follow_redirects=False).status_code == 400
    assert client.get(f"{PREFIX}/").status_code == 200
    token = csrf_token(client.get(f"{PREFIX}/").text)
    client.post(f"{PREFIX}/logout", data={"csrf_token": token}, follow_redirects=False)
    assert client.get(f"{PREFIX}/", follow_redirects=False).headers["location"].endswith("/login")


def test_a_session_ends_after_a_working_day(ws: WorkspaceUnderTest) -> None:
    client = ws.sign_in(ws.account("editor"))
    ws.clock.advance(hours=9)
    assert client.get(f"{PREFIX}/", follow_redirects=False).status_code == 303


def test_a_disabled_account_is_signed_out_at_its_next_request(ws: WorkspaceUnderTest) -> None:
    username = ws.account("editor")
    client = ws.sign_in(username)
    with ws.sessions() as session, session.begin():
        from bot.store.models import Account

        session.query(Account).filter_by(username=username).one().active = False
    assert client.get(f"{PREFIX}/", follow_redirects=False).status_code == 303


def test_the_workspace_speaks_the_language_chosen_in_its_menu(ws: WorkspaceUnderTest) -> None:
    client = ws.sign_in(ws.account("editor"))
    token = csrf_token(client.get(f"{PREFIX}/").text)
    client.post(f"{PREFIX}/language", data={"language": "fr", "csrf_token": token})
    assert ws.account_row("editor-panama-aid").ui_language == "fr"
    assert '<html lang="fr">' in client.get(f"{PREFIX}/").text


def _cli(*args: str, stdin: str, database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "admin", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={"DATABASE_URL": database_url, "PSEUDONYM_KEY": "test", "PATH": "/usr/bin:/bin"},
        check=False,
    )


def test_the_first_accounts_are_made_from_the_command_line(ws: WorkspaceUnderTest) -> None:
    url = ws.settings.database_url
    assert _cli("create-org", "Haitian Bridge", stdin="", database_url=url).returncode == 0
    made = _cli(
        "create-user",
        "--org",
        "Haitian Bridge",
        "--role",
        "admin",
        "rose",
        stdin=f"{PASSWORD}\n{PASSWORD}\n",
        database_url=url,
    )
    assert made.returncode == 0, made.stderr
    assert PASSWORD not in made.stdout + made.stderr
    assert _try(ws, "rose", PASSWORD) == 303
    stored = ws.account_row("rose")
    assert stored.role == "admin" and stored.password_hash.startswith("$argon2id$")


def test_the_command_line_refuses_weak_passwords_unknown_orgs_and_mismatches(
    ws: WorkspaceUnderTest,
) -> None:
    url = ws.settings.database_url
    _cli("create-org", "Haitian Bridge", stdin="", database_url=url)
    args = ("create-user", "--org", "Haitian Bridge", "--role", "editor", "jean")
    assert _cli(*args, stdin="short\n", database_url=url).returncode == 1
    assert _cli(*args, stdin=f"{PASSWORD}\nanother one\n", database_url=url).returncode == 1
    unknown = ("create-user", "--org", "Nobody", "--role", "editor", "jean")
    refused = _cli(*unknown, stdin=f"{PASSWORD}\n", database_url=url)
    assert refused.returncode == 1 and "create-org" in refused.stderr
