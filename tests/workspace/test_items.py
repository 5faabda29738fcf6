"""The items pages over HTTP: who may do what (every role x every action), one organisation
never reaching another's items, sample content read by all and changed only once adopted,
CSRF on every form, creating items, their settings.

Helpers here (`item_id`, `give`, `editor_fields`, ...) are shared with test_editing.py and
test_preview.py.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.store.models import (
    AuditEntry,
    ContentItem,
    ContentRevision,
    RevisionStatus,
)
from bot.workspace.accounts import create_organisation, organisation_named
from bot.workspace.pages import PREFIX
from tests.workspace.conftest import WorkspaceUnderTest

ROLES = ("admin", "editor", "translator", "reviewer", "caseworker")
ORG = "Panama Aid"
TOPIC, COUNTRY = "trafficking", "PA"


# --- helpers shared by the items tests ------------------------------------------------------


def item_id(ws: WorkspaceUnderTest, topic: str = TOPIC, country: str | None = COUNTRY) -> int:
    with ws.sessions() as session:
        where = ContentItem.country.is_(None) if country is None else ContentItem.country == country
        return session.scalar(select(ContentItem.id).where(ContentItem.topic_name == topic, where))  # type: ignore[return-value]


def give(ws: WorkspaceUnderTest, item: int, org: str = ORG) -> None:
    """Move an item to an organisation, as if it had adopted it (made when missing)."""
    with ws.sessions() as session, session.begin():
        organisation = organisation_named(session, org) or create_organisation(session, org)
        session.get(ContentItem, item).organisation_id = organisation.id  # type: ignore[union-attr]


def head_number(ws: WorkspaceUnderTest, item: int, language: str) -> int | None:
    with ws.sessions() as session:
        return session.scalar(
            select(ContentRevision.number)
            .where(ContentRevision.item_id == item, ContentRevision.language == language)
            .order_by(ContentRevision.number.desc())
            .limit(1)
        )


class _EditorForm(HTMLParser):
    """The fields of the editor's form as a browser would post them (without the button)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._inside = False
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form" and "data-preview-url" in found:
            self._inside = True
        elif self._inside and tag == "input" and found.get("name"):
            self.fields[found["name"]] = found.get("value") or ""  # type: ignore[index]
        elif self._inside and tag == "textarea":
            self._textarea = found["name"]
            self.fields[self._textarea] = ""  # type: ignore[index]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.fields[self._textarea] += data


def editor_fields(html: str) -> dict[str, str]:
    parser = _EditorForm()
    parser.feed(html)
    assert parser.fields, "the page has no editor form"
    # A browser drops the newline that follows <textarea>.
    return {
        name: value.removeprefix("\r\n").removeprefix("\n") for name, value in parser.fields.items()
    }


def edit(client: TestClient, item: int, language: str, **changes: str):  # noqa: ANN201
    """Open the editor, change some fields, press a button ("save" unless `action` says)."""
    page = client.get(f"{PREFIX}/items/{item}/{language}/edit")
    assert page.status_code == 200, page.text
    fields = {**editor_fields(page.text), "action": "save", **changes}
    return client.post(
        f"{PREFIX}/items/{item}/{language}/edit", data=fields, follow_redirects=False
    )


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html)
    assert found, f"no hidden {name}"
    return found.group(1)


def audit_actions(ws: WorkspaceUnderTest) -> list[str]:
    with ws.sessions() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# --- every role x every action ---------------------------------------------------------------

# action -> expected status for admin, editor, translator, reviewer, caseworker
EXPECTED: dict[str, tuple[int, ...]] = {
    "view list": (200, 200, 200, 200, 200),
    "view item": (200, 200, 200, 200, 200),
    "open editor en": (200, 200, 403, 403, 403),
    "open editor ht": (200, 200, 200, 403, 403),
    "save draft en": (303, 303, 403, 403, 403),
    "save draft ht": (303, 303, 303, 403, 403),
    "submit": (303, 303, 303, 403, 403),
    "adopt": (303, 403, 403, 403, 403),
    "create item": (303, 303, 403, 403, 403),
    "settings": (303, 303, 403, 303, 403),
}

SOURCE = {"sources-0-title": "IOM", "sources-0-url": "https://www.iom.int/counter-trafficking"}


def _save_form(ws: WorkspaceUnderTest, item: int, language: str, body: str) -> dict[str, str]:
    number = head_number(ws, item, language)
    return {
        "title": "Trafik moun",
        "body": body,
        **SOURCE,
        "base_number": str(number) if number is not None else "",
        "action": "save",
    }


@pytest.mark.parametrize("role", ROLES)
def test_each_role_may_do_what_the_table_says_and_nothing_more(
    ws: WorkspaceUnderTest, role: str
) -> None:
    item = item_id(ws)
    give(ws, item)
    sample = item_id(ws, "emergency", None)
    # A draft of the Kreyòl text to send for review, written by someone else.
    setup = ws.sign_in(ws.account("admin", username="setup-admin"))
    assert edit(setup, item, "ht", body="Rele 911 si ou an danje.").status_code == 303
    client = ws.sign_in(ws.account(role))
    page = f"/items/{item}"

    def post(path: str, **data: str) -> int:
        return ws.post(client, path, page, **data).status_code

    seen = {
        "view list": client.get(f"{PREFIX}/items").status_code,
        "view item": client.get(f"{PREFIX}/items/{item}").status_code,
        "open editor en": client.get(f"{PREFIX}/items/{item}/en/edit").status_code,
        "open editor ht": client.get(f"{PREFIX}/items/{item}/ht/edit").status_code,
        "save draft en": post(f"/items/{item}/en/edit", **_save_form(ws, item, "en", "Call 911.")),
        "save draft ht": post(f"/items/{item}/ht/edit", **_save_form(ws, item, "ht", "Rele 911.")),
        "submit": post(f"/items/{item}/ht/submit", number=str(head_number(ws, item, "ht"))),
        "adopt": post(f"/items/{sample}/adopt"),
        "create item": post("/items/new", topic="trafficking", country="BR"),
        "settings": post(f"/items/{item}/settings", review_by="2027-03-31", review_note="Check"),
    }
    column = ROLES.index(role)
    assert seen == {action: statuses[column] for action, statuses in EXPECTED.items()}


# --- isolation -------------------------------------------------------------------------------


def test_another_organisations_item_is_404_for_every_page_and_every_form(
    ws: WorkspaceUnderTest,
) -> None:
    theirs = item_id(ws)
    give(ws, theirs, org="Other Aid")
    mine = item_id(ws, "emergency", "PA")
    give(ws, mine)
    client = ws.sign_in(ws.account("admin"))
    for path in ("", "/ht/edit", "/en/edit"):
        assert client.get(f"{PREFIX}/items/{theirs}{path}").status_code == 404, path
    page = f"/items/{mine}"
    for path, data in (
        (f"/items/{theirs}/ht/edit", _save_form(ws, theirs, "ht", "Rele 911.")),
        (f"/items/{theirs}/ht/submit", {"number": "1"}),
        (f"/items/{theirs}/settings", {"review_note": "mine now"}),
        (f"/items/{theirs}/adopt", {}),
        (f"/preview?item={theirs}&language=ht", _save_form(ws, theirs, "ht", "Rele 911.")),
    ):
        response = ws.post(client, path, page, **data)
        assert response.status_code == 404, path
        assert "Other Aid" not in response.text
    listing = client.get(f"{PREFIX}/items").text
    assert f'/items/{theirs}"' not in listing and f'/items/{mine}"' in listing
    with ws.sessions() as session:
        item = session.get(ContentItem, theirs)
        assert item.review_note != "mine now"  # type: ignore[union-attr]
        assert (
            session.scalar(select(ContentRevision).where(ContentRevision.item_id == theirs)) is None
        )


def test_sample_content_is_read_by_all_and_edited_only_after_adoption(
    ws: WorkspaceUnderTest,
) -> None:
    sample = item_id(ws)
    editor = ws.sign_in(ws.account("editor"))
    admin = ws.sign_in(ws.account("admin"))
    listing = editor.get(f"{PREFIX}/items")
    assert "Sample content you can adopt" in listing.text and f'/items/{sample}"' in listing.text
    assert f"/items/{sample}/adopt" not in listing.text  # an editor cannot adopt
    assert f"/items/{sample}/adopt" in admin.get(f"{PREFIX}/items").text
    shown = editor.get(f"{PREFIX}/items/{sample}")
    assert shown.status_code == 200 and "Trafik moun" in shown.text
    assert f"/items/{sample}/ht/edit" not in shown.text
    refused = editor.get(f"{PREFIX}/items/{sample}/ht/edit")
    assert refused.status_code == 403 and "adopt" in refused.text
    save = _save_form(ws, sample, "ht", "Rele 911.")
    assert (
        ws.post(editor, f"/items/{sample}/ht/edit", f"/items/{sample}", **save).status_code == 403
    )

    adopted = ws.post(admin, f"/items/{sample}/adopt", f"/items/{sample}")
    assert adopted.status_code == 303 and adopted.headers["location"].endswith("done=adopted")
    assert "now your organisation" in admin.get(adopted.headers["location"]).text
    assert "adopt" in audit_actions(ws)
    with ws.sessions() as session:
        item = session.get(ContentItem, sample)
        assert item.organisation.name == ORG  # type: ignore[union-attr]
        # History starts from what people get: every language has its first revision.
        assert {r.language for r in session.scalars(select(ContentRevision))} == {"en", "fr", "ht"}
    assert editor.get(f"{PREFIX}/items/{sample}/ht/edit").status_code == 200
    assert edit(editor, sample, "ht", body="Rele 911.").status_code == 303
    # Someone of another organisation no longer sees it at all.
    stranger = ws.sign_in(ws.account("admin", org="Other Aid"))
    assert stranger.get(f"{PREFIX}/items/{sample}").status_code == 404
    again = ws.post(admin, f"/items/{sample}/adopt", f"/items/{sample}")
    assert again.status_code == 409


# --- CSRF ------------------------------------------------------------------------------------


def test_every_form_posted_without_its_token_is_refused(ws: WorkspaceUnderTest) -> None:
    item = item_id(ws)
    give(ws, item)
    client = ws.sign_in(ws.account("admin"))
    client.get(f"{PREFIX}/items/{item}")
    good = _save_form(ws, item, "ht", "Rele 911.")
    for path in (
        "/items/new",
        f"/items/{item_id(ws, 'emergency', None)}/adopt",
        f"/items/{item}/settings",
        f"/items/{item}/ht/edit",
        f"/items/{item}/ht/submit",
        f"/preview?item={item}&language=ht",
    ):
        response = client.post(f"{PREFIX}{path}", data=good, follow_redirects=False)
        assert response.status_code == 400, path
        forged = client.post(
            f"{PREFIX}{path}", data={**good, "csrf_token": "forged"}, follow_redirects=False
        )
        assert forged.status_code == 400, path
    assert head_number(ws, item, "ht") == 1  # the baseline made when the page was opened
    assert audit_actions(ws) == []


# --- the list --------------------------------------------------------------------------------


def test_the_list_shows_each_languages_state_and_filters_by_topic_country_state_and_words(
    ws: WorkspaceUnderTest,
) -> None:
    trafficking, emergency = item_id(ws), item_id(ws, "emergency", None)
    give(ws, trafficking)
    give(ws, emergency)
    client = ws.sign_in(ws.account("editor"))
    assert edit(client, trafficking, "ht", body="Rele 911.").status_code == 303

    def own(query: str = "") -> str:
        text = client.get(f"{PREFIX}/items{query}").text
        return text.split("Sample content you can adopt")[0]

    everything = own()
    assert "Trafficking: Panama" in everything and "Everywhere" in everything
    assert 'class="badge draft"' in everything and 'class="badge published"' in everything
    assert "Trafficking: Panama" not in own("?topic=emergency")
    assert "Trafficking: Panama" in own("?country=PA")
    assert "Trafficking: Panama" not in own("?country=")  # "Everywhere" only
    drafts = own("?status=draft")
    assert "Trafficking: Panama" in drafts and f'/items/{emergency}"' not in drafts
    assert f'/items/{emergency}"' not in own("?q=panama")
    assert "Trafficking: Panama" in own("?q=TRAFIK")  # any language's title, any case
    sample_part = client.get(f"{PREFIX}/items?topic=emergency").text.split("Sample content")[1]
    assert "Emergency" in sample_part and "Trafficking" not in sample_part


# --- creating an item ------------------------------------------------------------------------


def test_a_new_item_is_the_organisations_and_a_taken_topic_and_country_is_refused_by_name(
    ws: WorkspaceUnderTest,
) -> None:
    client = ws.sign_in(ws.account("editor"))
    page = client.get(f"{PREFIX}/items/new")
    assert page.status_code == 200 and '<option value="trafficking">' in page.text
    made = ws.post(client, "/items/new", "/items/new", topic="trafficking", country="BR")
    assert made.status_code == 303
    new = item_id(ws, "trafficking", "BR")
    assert made.headers["location"] == f"{PREFIX}/items/{new}?done=created"
    shown = client.get(made.headers["location"]).text
    assert "Write it" in shown and "No text in this language yet" in shown
    assert "create_item" in audit_actions(ws)

    again = ws.post(client, "/items/new", "/items/new", topic="trafficking", country="BR")
    assert again.status_code == 409 and "Your organisation already has" in again.text
    sample = ws.post(client, "/items/new", "/items/new", topic="trafficking", country="PA")
    assert sample.status_code == 409 and "Adopt it" in sample.text
    give(ws, item_id(ws, "emergency", "PA"), org="Other Aid")
    taken = ws.post(client, "/items/new", "/items/new", topic="emergency", country="PA")
    assert taken.status_code == 409 and "Other Aid" in taken.text
    everywhere = ws.post(client, "/items/new", "/items/new", topic="trafficking", country="")
    assert everywhere.status_code == 409  # the general item exists (sample)
    nowhere = ws.post(client, "/items/new", "/items/new", topic="trafficking", country="ZZ")
    assert nowhere.status_code == 409 and "Choose one of the countries" in nowhere.text
    unknown = ws.post(client, "/items/new", "/items/new", topic="cooking", country="PA")
    assert unknown.status_code == 409 and "Choose one of the topics" in unknown.text
    # The new item's first text is written from nothing.
    assert edit(client, new, "en", title="Trafficking", body="Call 104.").status_code == 303
    assert head_number(ws, new, "en") == 1


# --- the item page and its settings ----------------------------------------------------------


def test_the_item_page_shows_what_people_get_and_the_newest_version_per_language(
    ws: WorkspaceUnderTest,
) -> None:
    item = item_id(ws)
    give(ws, item)
    editor = ws.sign_in(ws.account("editor"))
    page = editor.get(f"{PREFIX}/items/{item}")
    assert 'class="columns"' in page.text
    assert page.text.count("What people get now") == 3
    assert '<mark class="fact fact-phone">911</mark>' in page.text
    assert 'href="https://www.minseg.gob.pa/' in page.text  # the first source, as a link
    assert f"/items/{item}/ht/history" in page.text
    assert "Newest version" not in page.text  # the live text is the newest
    with ws.sessions() as session:  # opening the page started the history (ensure_baseline)
        assert session.scalar(select(ContentRevision.id).where(ContentRevision.item_id == item))

    assert edit(editor, item, "ht", body="Rele 911 kounye a.").status_code == 303
    page = editor.get(f"{PREFIX}/items/{item}?done=saved").text
    assert "Your draft is saved" in page and "Newest version" in page
    assert "by editor-panama-aid" in page and "Send for review" in page
    sent = ws.post(
        editor,
        f"/items/{item}/ht/submit",
        f"/items/{item}",
        number=str(head_number(ws, item, "ht")),
    )
    assert sent.status_code == 303 and sent.headers["location"].endswith("done=submitted#lang-ht")
    with ws.sessions() as session:
        revision = session.scalar(
            select(ContentRevision)
            .where(ContentRevision.item_id == item, ContentRevision.language == "ht")
            .order_by(ContentRevision.number.desc())
        )
        assert revision.status == RevisionStatus.IN_REVIEW  # type: ignore[union-attr]
        revision_id = revision.id  # type: ignore[union-attr]
    reviewer = ws.sign_in(ws.account("reviewer"))
    assert f"/review/{revision_id}" in reviewer.get(f"{PREFIX}/items/{item}").text
    assert f"/review/{revision_id}" not in editor.get(f"{PREFIX}/items/{item}").text


def test_sending_a_stale_or_sourceless_draft_for_review_is_refused_in_plain_words(
    ws: WorkspaceUnderTest,
) -> None:
    client = ws.sign_in(ws.account("editor"))
    ws.post(client, "/items/new", "/items/new", topic="trafficking", country="BR")
    item = item_id(ws, "trafficking", "BR")
    assert edit(client, item, "en", title="Trafficking", body="Call 104.").status_code == 303
    stale = ws.post(client, f"/items/{item}/en/submit", f"/items/{item}", number="7")
    assert stale.status_code == 409 and "newer version" in stale.text
    sourceless = ws.post(client, f"/items/{item}/en/submit", f"/items/{item}", number="1")
    assert sourceless.status_code == 400 and "add at least one source" in sourceless.text


def test_item_settings_are_saved_audited_and_a_bad_date_is_shown_back(
    ws: WorkspaceUnderTest,
) -> None:
    item = item_id(ws)
    give(ws, item)
    client = ws.sign_in(ws.account("reviewer"))
    page = f"/items/{item}"
    saved = ws.post(
        client,
        f"/items/{item}/settings",
        page,
        review_by="2027-03-31",
        needs_review="y",
        review_note=" Check 104 ",
    )
    assert saved.status_code == 303
    with ws.sessions() as session:
        stored = session.get(ContentItem, item)
        assert str(stored.review_by) == "2027-03-31"  # type: ignore[union-attr]
        assert stored.sample is False and stored.needs_review is True  # type: ignore[union-attr]
        assert stored.review_note == "Check 104"  # type: ignore[union-attr]
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "item_settings"))
        assert entry.detail == "review_by, sample, review_note"  # type: ignore[union-attr]
    bad = ws.post(client, f"/items/{item}/settings", page, review_by="31/03/2027")
    assert bad.status_code == 400 and "year-month-day" in bad.text
