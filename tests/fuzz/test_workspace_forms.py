"""The workspace's forms fed what a browser never sends (issue 19, item 6): odd values with
a valid CSRF token, forms without one, bodies of the wrong type or encoding. Never a 5xx; a
form without this session's token changes nothing."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.handoff.models import SavedReply
from bot.store.db import session_scope
from tests.fuzz.strategies import FUZZ, bodies, content_types, odd_text
from tests.workspace.conftest import csrf_token

# A form and the page it is posted from, with the fields a browser sends.
FORMS = {
    "/admin/numbers/add": (
        "/admin/numbers",
        ["country", "number", "label", "source_title", "source_url", "verified_on"],
    ),
    "/admin/cases/replies": ("/admin/cases/replies", ["language", "title", "text"]),
    "/admin/items/new": ("/admin/items/new", ["topic", "country"]),
    "/admin/accounts/create": (
        "/admin/accounts",
        ["username", "role", "password", "confirm"],
    ),
    "/admin/safety/emergency": ("/admin/safety/emergency", ["text", "base_version", "note"]),
    "/admin/language": ("/admin/login", ["language"]),
}


def _form_text(value: str) -> str:
    """What form encoding can carry: any text but a lone surrogate (UTF-8 cannot hold one)."""
    return value.encode("utf-8", "replace").decode()


def _answered_without_error(response) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:300])


def _saved_replies(gateway) -> int:
    with session_scope(gateway.settings.database_url) as session:
        return session.scalar(select(func.count()).select_from(SavedReply))


@FUZZ
@given(
    username=odd_text,
    password=odd_text,
    token=st.none() | st.just("valid") | odd_text,
)
def test_any_login_form_is_answered(fuzz_gateway, signed_in, username, password, token):
    client = fuzz_gateway.admin_client()  # a visitor of its own, not signed in
    page = client.get("/admin/login")
    form = {"username": _form_text(username), "password": _form_text(password)}
    if token is not None:
        form["csrf_token"] = csrf_token(page.text) if token == "valid" else _form_text(token)
    response = client.post("/admin/login", data=form, follow_redirects=False)
    _answered_without_error(response)
    assert response.status_code != 303  # nobody signs in with these


@FUZZ
@given(
    path=st.sampled_from(sorted(FORMS)),
    values=st.lists(odd_text, min_size=6, max_size=6),
    with_token=st.booleans(),
)
def test_odd_values_in_a_workspace_form_are_answered(
    fuzz_gateway, signed_in, path, values, with_token
):
    page, fields = FORMS[path]
    form = {name: _form_text(value) for name, value in zip(fields, values, strict=False)}
    if with_token:
        form["csrf_token"] = csrf_token(signed_in.get(page).text)
    before = _saved_replies(fuzz_gateway)
    response = signed_in.post(path, data=form, follow_redirects=False)
    _answered_without_error(response)
    if not with_token:
        assert response.status_code in (400, 403)
        assert _saved_replies(fuzz_gateway) == before


@FUZZ
@given(
    path=st.sampled_from([*sorted(FORMS), "/admin/login", "/admin/transfer/translation"]),
    body=bodies,
    content_type=content_types,
)
def test_any_body_to_a_workspace_form_is_answered(
    fuzz_gateway, signed_in, path, body, content_type
):
    response = signed_in.post(
        path, content=body, headers={"content-type": content_type}, follow_redirects=False
    )
    _answered_without_error(response)


@FUZZ
@given(
    data=st.binary(max_size=2000) | st.sampled_from([b'msgid "\x00"', "é".encode("latin-1")]),
    name=odd_text,
    kind=st.sampled_from(["translation", "yaml"]),
)
def test_any_uploaded_file_is_answered(fuzz_gateway, signed_in, data, name, kind):
    token = csrf_token(signed_in.get("/admin/transfer").text)
    response = signed_in.post(
        f"/admin/transfer/{kind}",
        data={"csrf_token": token},
        files={"upload": (_form_text(name) or "x", data, "application/octet-stream")},
        follow_redirects=False,
    )
    _answered_without_error(response)
