"""The accounts page: an admin runs the people and settings of their own organisation only,
cannot lock themselves out, and starts new organisations with a first admin.

Over HTTP, as a partner uses it: every role x every action of the page, an admin of one
organisation against another's accounts (404), CSRF, passwords never shown back.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.store.models import Account, AuditEntry, Organisation
from bot.workspace.accounts import organisation_named
from bot.workspace.pages import PREFIX
from tests.workspace.conftest import PASSWORD, WorkspaceUnderTest, csrf_token

ORG = "Panama Aid"
NEW_PASSWORD = "another long password"
ROLES = ["admin", "editor", "translator", "reviewer", "caseworker"]


def _post(client: TestClient, path: str, data: dict[str, Any]):  # noqa: ANN202
    """A form as a browser posts it (lists for checkboxes), with a token of this session."""
    token = csrf_token(client.get(f"{PREFIX}/").text)
    return client.post(
        f"{PREFIX}{path}", data={**data, "csrf_token": token}, follow_redirects=False
    )


def _new_account(**changes: str) -> dict[str, str]:
    return {
        "username": "maria.lopez",
        "role": "editor",
        "password": NEW_PASSWORD,
        "password_again": NEW_PASSWORD,
        **changes,
    }


def _settings(**changes: Any) -> dict[str, Any]:
    return {
        "countries": ["PA", "CR"],
        "languages": ["ht", "es"],
        "time_zone": "America/Panama",
        "mon_opens": "08:00",
        "mon_closes": "17:00",
        "sat_opens": "09:00",
        "sat_closes": "12:30",
        **changes,
    }


def _new_organisation(**changes: Any) -> dict[str, Any]:
    return {
        "name": "Kay Fanmi",
        "org_countries": ["HT"],
        "org_languages": ["ht", "fr"],
        "admin_username": "rose",
        "password": NEW_PASSWORD,
        "password_again": NEW_PASSWORD,
        **changes,
    }


def _id(ws: WorkspaceUnderTest, username: str) -> int:
    return ws.account_row(username).id


def _audit(ws: WorkspaceUnderTest) -> list[tuple[str, str]]:
    with ws.sessions() as session:
        return [(e.action, e.target) for e in session.scalars(select(AuditEntry))]


# --- who may do what -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_reach_the_page_and_each_of_its_actions(
    ws: WorkspaceUnderTest, role: str
) -> None:
    ws.account("admin", username="boss")
    someone = ws.account("editor", username="someone")
    client = ws.sign_in(ws.account(role))
    expected_page, expected_change = (200, 303) if role == "admin" else (403, 403)

    statuses = {
        "page": client.get(f"{PREFIX}/accounts").status_code,
        "create": _post(client, "/accounts/create", _new_account()).status_code,
        "role": _post(
            client, f"/accounts/{_id(ws, someone)}/role", {"role": "reviewer"}
        ).status_code,
        "active": _post(
            client, f"/accounts/{_id(ws, someone)}/active", {"active": "no"}
        ).status_code,
        "settings": _post(client, "/accounts/settings", _settings()).status_code,
        "organisation": _post(client, "/accounts/organisations", _new_organisation()).status_code,
    }

    assert statuses == {
        "page": expected_page,
        **{action: expected_change for action in statuses if action != "page"},
    }
    changed = ws.account_row(someone)
    assert (changed.role, changed.active) == (
        ("reviewer", False) if role == "admin" else ("editor", True)
    )


def test_every_post_without_its_token_is_refused(ws: WorkspaceUnderTest) -> None:
    client = ws.sign_in(ws.account("admin"))
    other = _id(ws, ws.account("editor"))
    client.get(f"{PREFIX}/accounts")
    for path, data in [
        ("/accounts/create", _new_account()),
        (f"/accounts/{other}/role", {"role": "admin"}),
        (f"/accounts/{other}/active", {"active": "no"}),
        ("/accounts/settings", _settings()),
        ("/accounts/organisations", _new_organisation()),
    ]:
        assert client.post(f"{PREFIX}{path}", data=data).status_code == 400, path
    assert _audit(ws) == []


# --- the organisation's people ---------------------------------------------------------------


def test_an_admin_creates_an_account_that_can_sign_in(ws: WorkspaceUnderTest) -> None:
    client = ws.sign_in(ws.account("admin"))

    created = _post(client, "/accounts/create", _new_account(username="Maria.Lopez"))

    assert created.status_code == 303 and created.headers["location"].endswith("?done=created#top")
    page = client.get(created.headers["location"]).text
    assert "maria.lopez" in page and NEW_PASSWORD not in page
    account = ws.account_row("maria.lopez")
    assert account.role == "editor" and account.password_hash.startswith("$argon2id$")
    with ws.sessions() as session:
        assert session.get(Account, account.id).organisation.name == ORG
    ws.sign_in("maria.lopez", NEW_PASSWORD)
    assert ("create_account", "account maria.lopez") in _audit(ws)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"password": "tiny-pass", "password_again": "tiny-pass"}, "at least 12 characters"),
        ({"password_again": "not the same one"}, "not the same"),
        ({"username": "María López"}, "small letters"),
        ({"username": "admin-panama-aid"}, "taken"),
        ({"username": ""}, "Fill in this field."),
        ({"role": "owner"}, "Choose a role."),
    ],
)
def test_a_wrong_new_account_is_refused_and_the_password_not_shown_back(
    ws: WorkspaceUnderTest, changes: dict[str, str], message: str
) -> None:
    client = ws.sign_in(ws.account("admin"))

    refused = _post(client, "/accounts/create", _new_account(**changes))

    assert refused.status_code == 400
    assert message in refused.text
    for password in (NEW_PASSWORD, "tiny-pass", "not the same one"):
        assert password not in refused.text
    with ws.sessions() as session:
        assert len(session.scalars(select(Account)).all()) == 1


def test_an_admin_changes_a_role_and_switches_an_account_off_and_on(
    ws: WorkspaceUnderTest,
) -> None:
    client = ws.sign_in(ws.account("admin"))
    editor = ws.account("editor")
    editors_client = ws.sign_in(editor)
    editor_id = _id(ws, editor)

    assert _post(client, f"/accounts/{editor_id}/role", {"role": "reviewer"}).status_code == 303
    assert ws.account_row(editor).role == "reviewer"

    assert _post(client, f"/accounts/{editor_id}/active", {"active": "no"}).status_code == 303
    assert ws.account_row(editor).active is False
    assert editors_client.get(f"{PREFIX}/", follow_redirects=False).status_code == 303

    assert _post(client, f"/accounts/{editor_id}/active", {"active": "yes"}).status_code == 303
    assert ws.account_row(editor).active is True
    assert [action for action, _target in _audit(ws)] == [
        "change_role",
        "deactivate_account",
        "reactivate_account",
    ]


@pytest.mark.parametrize(
    ("path", "data", "message"),
    [
        ("active", {"active": "no"}, "You cannot switch off your own account"),
        ("role", {"role": "editor"}, "You cannot take away your own admin role"),
    ],
)
def test_an_admin_cannot_lock_themselves_out(
    ws: WorkspaceUnderTest, path: str, data: dict[str, str], message: str
) -> None:
    admin = ws.account("admin")
    client = ws.sign_in(admin)

    refused = _post(client, f"/accounts/{_id(ws, admin)}/{path}", data)

    assert refused.status_code == 400 and message in refused.text
    row = ws.account_row(admin)
    assert (row.role, row.active) == ("admin", True)
    assert client.get(f"{PREFIX}/accounts").status_code == 200
    assert _audit(ws) == []


def test_another_organisations_accounts_are_not_found_and_not_listed(
    ws: WorkspaceUnderTest,
) -> None:
    client = ws.sign_in(ws.account("admin"))
    theirs = ws.account("editor", org="Haitian Bridge")
    their_id = _id(ws, theirs)

    assert theirs not in client.get(f"{PREFIX}/accounts").text
    assert _post(client, f"/accounts/{their_id}/role", {"role": "admin"}).status_code == 404
    assert _post(client, f"/accounts/{their_id}/active", {"active": "no"}).status_code == 404
    assert _post(client, "/accounts/99999/active", {"active": "no"}).status_code == 404
    row = ws.account_row(theirs)
    assert (row.role, row.active) == ("editor", True)


# --- the organisation's settings -------------------------------------------------------------


def test_the_organisations_settings_are_saved_and_shown(ws: WorkspaceUnderTest) -> None:
    client = ws.sign_in(ws.account("admin"))

    saved = _post(client, "/accounts/settings", _settings())

    assert saved.status_code == 303
    with ws.sessions() as session:
        organisation = organisation_named(session, ORG)
        assert organisation.countries == ["PA", "CR"]
        assert organisation.languages == ["ht", "es"]
        assert organisation.time_zone == "America/Panama"
        assert organisation.opening_hours == {"mon": ["08:00", "17:00"], "sat": ["09:00", "12:30"]}
    page = client.get(saved.headers["location"]).text
    assert 'value="America/Panama"' in page and 'value="12:30"' in page
    assert ("edit_organisation", f"organisation {ORG}") in _audit(ws)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"countries": ["PA", "XX"]}, "Choose countries from the list."),
        ({"countries": ["pa"]}, "Choose countries from the list."),
        ({"languages": ["tlh"]}, "Choose languages from the list."),
        ({"time_zone": "Panama"}, "Choose a time zone from the list"),
        ({"mon_closes": ""}, "Give both times"),
        ({"mon_closes": "07:00"}, "It must close after it opens."),
        ({"mon_opens": "8 o'clock"}, "Write a time such as 08:00"),
    ],
)
def test_wrong_settings_are_refused_and_nothing_changes(
    ws: WorkspaceUnderTest, changes: dict[str, Any], message: str
) -> None:
    client = ws.sign_in(ws.account("admin"))

    refused = _post(client, "/accounts/settings", _settings(**changes))

    assert refused.status_code == 400 and message in refused.text
    with ws.sessions() as session:
        organisation = organisation_named(session, ORG)
        assert (organisation.countries, organisation.opening_hours) == (["PA"], {})


# --- organisations ---------------------------------------------------------------------------


def test_an_admin_starts_a_new_organisation_with_its_first_admin(ws: WorkspaceUnderTest) -> None:
    client = ws.sign_in(ws.account("admin"))

    created = _post(client, "/accounts/organisations", _new_organisation())

    assert created.status_code == 303
    page = client.get(created.headers["location"]).text
    assert "Kay Fanmi" in page and "sample" in page and ORG in page
    assert "rose" not in page.split("Organisations")[0]  # its people stay its own
    with ws.sessions() as session:
        organisation = organisation_named(session, "Kay Fanmi")
        assert (organisation.countries, organisation.languages) == (["HT"], ["ht", "fr"])
        (first,) = organisation.accounts
        assert (first.username, first.role) == ("rose", "admin")
    their_page = ws.sign_in("rose", NEW_PASSWORD).get(f"{PREFIX}/accounts").text
    assert "Kay Fanmi" in their_page and "admin-panama-aid" not in their_page
    assert ("create_organisation", "organisation Kay Fanmi") in _audit(ws)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "panama aid"}, "exists already"),
        ({"admin_username": "admin-panama-aid"}, "taken"),
        ({"password": "short", "password_again": "short"}, "at least 12 characters"),
        ({"org_countries": ["ZZ"]}, "Choose countries from the list."),
    ],
)
def test_a_wrong_new_organisation_is_refused(
    ws: WorkspaceUnderTest, changes: dict[str, Any], message: str
) -> None:
    client = ws.sign_in(ws.account("admin"))

    refused = _post(client, "/accounts/organisations", _new_organisation(**changes))

    assert refused.status_code == 400 and message in refused.text
    assert "<details open>" in refused.text  # the form stays open with its errors
    with ws.sessions() as session:
        assert len(session.scalars(select(Organisation)).all()) == 2  # sample and Panama Aid


def test_the_page_never_shows_a_password_or_its_hash(ws: WorkspaceUnderTest) -> None:
    admin = ws.account("admin")
    page = ws.sign_in(admin).get(f"{PREFIX}/accounts").text
    assert PASSWORD not in page and "$argon2" not in page
