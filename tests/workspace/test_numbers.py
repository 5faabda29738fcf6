"""The verified numbers: one number however it is written, only admins change the list, every
change audited, and the numbers in an organisation's texts that are not on the list yet.

Why it matters: a wrong phone number in an answer can cost a life (issue 14, point 5). The
numbers a text gives are checked against the list of the item's country and the list valid
everywhere; the page lists what is still unchecked so an admin can check and add it.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.languages import LanguageTable
from bot.store.models import Account, AuditEntry, ContentItem, VerifiedNumber
from bot.workspace import numbers, revisions
from bot.workspace.accounts import organisation_named
from bot.workspace.pages import PREFIX
from tests.workspace.conftest import WorkspaceUnderTest

ORG = "Panama Aid"
ROLES = ["admin", "editor", "translator", "reviewer", "caseworker"]
TEXTS = {
    "en": "If someone takes your passport, call +507 512-2222 or the police: *104*.",
    "fr": "Si quelqu'un prend votre passeport, appelez le +507 512-2222.",
    "ht": "Si yon moun pran paspò ou, rele +507 512 2222.",
}
DRAFT_HT = "Si yon moun pran paspò ou, rele 511-9999."


def _form(**changes: str) -> dict[str, str]:
    """A valid "add a number" form, with some fields changed."""
    return {
        "country": "PA",
        "number": "+507 500-6000",
        "label": "Línea 311",
        "source_title": "Gobierno de Panamá",
        "source_url": "https://www.gob.pa/311",
        "verified_on": "2026-11-30",
        **changes,
    }


def _add(ws: WorkspaceUnderTest, country: str | None, number: str) -> int:
    with ws.sessions() as session, session.begin():
        admin = session.scalars(select(Account).where(Account.role == "admin")).first()
        entry = numbers.add(
            session,
            admin,
            country=country,
            number=number,
            label="A hotline",
            source_title="A public page",
            source_url="https://example.org/",
            verified_on=dt.date(2026, 11, 1),
            now=ws.clock.now,
        )
        return entry.id


def _panama_item(ws: WorkspaceUnderTest, languages: LanguageTable, org: str = ORG) -> int:
    """A Panama item of `org` whose live texts give a number, and a Kreyòl draft another."""
    translator = ws.account("translator", org=org, username=f"translator-{len(org)}")
    with ws.sessions() as session, session.begin():
        item = session.scalars(
            select(ContentItem).where(ContentItem.country == "PA").order_by(ContentItem.id)
        ).first()
        item.organisation_id = organisation_named(session, org).id
        for variant in item.variants:
            variant.body = TEXTS[variant.language]
        session.flush()
        revisions.save_draft(
            session,
            session.scalars(select(Account).where(Account.username == translator)).one(),
            item,
            "ht",
            languages=languages,
            base_number=None,
            title="Paspò",
            body=DRAFT_HT,
            options=[],
            sources=[{"title": "IOM", "url": "https://www.iom.int/"}],
            note=None,
            now=ws.clock.now,
        )
        return item.id


# --- the service -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("+507 500-6000", "+5075006000"),
        ("+5075006000", "+5075006000"),
        ("(502) 2411-1900", "50224111900"),
        ("9-1-1", "911"),
        ("*611", "*611"),
    ],
)
def test_a_number_is_kept_in_one_form_however_it_is_written(written: str, stored: str) -> None:
    assert numbers.normalise(written) == stored


@pytest.mark.parametrize("written", ["call me", "12", "+507 abc", "1234567890123456"])
def test_what_is_not_a_phone_number_is_refused(written: str) -> None:
    with pytest.raises(numbers.NumberError):
        numbers.normalise(written)


def test_a_countrys_numbers_hold_there_and_everywheres_numbers_everywhere(
    ws: WorkspaceUnderTest,
) -> None:
    ws.account("admin")
    _add(ws, "PA", "+507 500-6000")
    _add(ws, "CR", "+506 2222-2222")
    _add(ws, None, "911")
    with ws.sessions() as session:
        assert numbers.verified_for(session, "PA") == {"+5075006000", "911"}
        assert numbers.verified_for(session, None) == {"911"}
        assert numbers.verified_for(session, "MX") == {"911"}
        # A local number in a Panama text is the international number on Panama's list.
        assert numbers.unverified(session, "Rele 500-6000 oswa 911.", "PA") == set()
        assert numbers.unverified(session, "Rele 500-6000.", "CR") == {"5006000"}


def test_the_same_number_twice_is_refused_for_a_country_and_for_everywhere(
    ws: WorkspaceUnderTest,
) -> None:
    ws.account("admin")
    _add(ws, "PA", "+507 500-6000")
    _add(ws, None, "911")
    with pytest.raises(numbers.NumberError):
        _add(ws, "PA", "+5075006000")
    with pytest.raises(numbers.NumberError):
        _add(ws, None, "9-1-1")  # NULL = NULL is not true in SQL: checked by the service
    _add(ws, "CR", "+5075006000")  # another country's list may have it


def test_the_unverified_list_finds_live_texts_and_drafts_per_country(
    ws: WorkspaceUnderTest, languages: LanguageTable
) -> None:
    ws.account("admin")
    item_id = _panama_item(ws, languages)
    with ws.sessions() as session:
        owner = organisation_named(session, ORG).id
        found = {(u.country, u.number): u for u in numbers.unverified_in_texts(session, owner)}

    assert set(found) == {("PA", "+5075122222"), ("PA", "104"), ("PA", "5119999")}
    (live,) = found[("PA", "+5075122222")].sightings
    assert (live.item.id, live.languages, live.live) == (item_id, ("en", "fr", "ht"), True)
    assert found[("PA", "+5075122222")].written == "+507 512-2222"
    (draft,) = found[("PA", "5119999")].sightings
    assert (draft.languages, draft.live) == (("ht",), False)

    _add(ws, "PA", "512-2222")  # the local form covers the international one
    _add(ws, None, "104")
    with ws.sessions() as session:
        left = numbers.unverified_in_texts(session, owner)
    assert [(u.country, u.number) for u in left] == [("PA", "5119999")]


# --- the page, over HTTP ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("admin", (200, 303, 303)),
        ("editor", (403, 403, 403)),
        ("translator", (403, 403, 403)),
        ("reviewer", (403, 403, 403)),
        ("caseworker", (403, 403, 403)),
    ],
)
def test_only_admins_see_and_change_the_list(
    ws: WorkspaceUnderTest, role: str, expected: tuple[int, int, int]
) -> None:
    ws.account("admin", username="keeper")
    number_id = _add(ws, "PA", "+507 512-2222")
    client = ws.sign_in(ws.account(role))

    statuses = (
        client.get(f"{PREFIX}/numbers").status_code,
        ws.post(client, "/numbers/add", "/", **_form()).status_code,
        ws.post(client, f"/numbers/{number_id}/remove", "/").status_code,
    )

    assert statuses == expected
    with ws.sessions() as session:
        left = set(session.scalars(select(VerifiedNumber.number)))
    assert left == ({"+5075006000"} if role == "admin" else {"+5075122222"})


def test_adding_and_removing_are_audited_and_shown(ws: WorkspaceUnderTest) -> None:
    admin = ws.account("admin")
    client = ws.sign_in(admin)

    added = ws.post(client, "/numbers/add", "/numbers", **_form())
    assert added.status_code == 303 and added.headers["location"].endswith("?done=added#top")
    page = client.get(added.headers["location"]).text
    assert "+5075006000" in page and "Línea 311" in page
    assert 'href="https://www.gob.pa/311"' in page and "Panama (PA)" in page

    with ws.sessions() as session:
        number_id = session.scalars(select(VerifiedNumber.id)).one()
    removed = ws.post(client, f"/numbers/{number_id}/remove", "/numbers")
    assert removed.status_code == 303

    with ws.sessions() as session:
        lines = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [(e.action, e.target, e.account.username) for e in lines] == [
            ("add_number", "number +5075006000 PA", admin),
            ("remove_number", "number +5075006000 PA", admin),
        ]
        assert session.scalars(select(VerifiedNumber)).all() == []


def test_the_same_number_written_differently_is_refused_on_the_page(
    ws: WorkspaceUnderTest,
) -> None:
    client = ws.sign_in(ws.account("admin"))
    assert ws.post(client, "/numbers/add", "/numbers", **_form()).status_code == 303
    again = ws.post(client, "/numbers/add", "/numbers", **_form(number="+5075006000"))
    assert again.status_code == 400
    assert "already on the list" in again.text
    assert 'id="number-error"' in again.text  # said next to the field, not only at the top


@pytest.mark.parametrize(
    "changes",
    [
        {"source_url": "ftp://www.gob.pa/311"},
        {"source_url": "javascript:alert(1)"},
        {"source_url": "www.gob.pa"},
        {"verified_on": "2026-12-03"},  # tomorrow on the test clock
        {"verified_on": "someday"},
        {"number": "call the police"},
        {"label": ""},
        {"label": "   "},
        {"country": ""},
        {"country": "Panama"},
    ],
)
def test_a_number_without_a_real_source_or_day_is_refused(
    ws: WorkspaceUnderTest, changes: dict[str, str]
) -> None:
    client = ws.sign_in(ws.account("admin"))
    response = ws.post(client, "/numbers/add", "/numbers", **_form(**changes))
    assert response.status_code == 400
    (field,) = changes
    assert f'id="{field}-error"' in response.text
    with ws.sessions() as session:
        assert session.scalars(select(VerifiedNumber)).all() == []


def test_a_number_valid_everywhere_is_added_with_the_everywhere_choice(
    ws: WorkspaceUnderTest,
) -> None:
    client = ws.sign_in(ws.account("admin"))
    response = ws.post(
        client, "/numbers/add", "/numbers", **_form(country="everywhere", number="911")
    )
    assert response.status_code == 303
    with ws.sessions() as session:
        assert numbers.verified_for(session, "MX") == {"911"}


def test_posts_without_their_token_are_refused(ws: WorkspaceUnderTest) -> None:
    ws.account("admin", username="keeper")
    number_id = _add(ws, "PA", "+507 512-2222")
    client = ws.sign_in("keeper")
    client.get(f"{PREFIX}/numbers")
    assert client.post(f"{PREFIX}/numbers/add", data=_form()).status_code == 400
    assert client.post(f"{PREFIX}/numbers/{number_id}/remove").status_code == 400
    with ws.sessions() as session:
        assert len(session.scalars(select(VerifiedNumber)).all()) == 1


def test_removing_a_number_that_is_gone_says_so(ws: WorkspaceUnderTest) -> None:
    client = ws.sign_in(ws.account("admin"))
    assert ws.post(client, "/numbers/999/remove", "/numbers").status_code == 404


def test_the_page_lists_the_organisations_unverified_numbers_with_add_links(
    ws: WorkspaceUnderTest, languages: LanguageTable
) -> None:
    client = ws.sign_in(ws.account("admin"))
    item_id = _panama_item(ws, languages)

    page = client.get(f"{PREFIX}/numbers").text

    assert "Numbers in texts that are not verified yet" in page
    assert "+507 512-2222" in page and "511-9999" in page
    assert f'href="/admin/items/{item_id}"' in page
    assert 'href="/admin/numbers?country=PA&amp;number=%2B5075122222#add"' in page
    assert "not published yet" in page  # the Kreyòl draft

    prefilled = client.get(f"{PREFIX}/numbers", params={"country": "PA", "number": "+5075122222"})
    assert 'value="+5075122222"' in prefilled.text
    assert '<option selected value="PA">' in prefilled.text


def test_another_organisations_texts_are_not_listed(
    ws: WorkspaceUnderTest, languages: LanguageTable
) -> None:
    ws.account("admin")
    _panama_item(ws, languages)
    outsider = ws.sign_in(ws.account("admin", org="Haitian Bridge"))

    page = outsider.get(f"{PREFIX}/numbers").text

    assert "+507 512-2222" not in page and "511-9999" not in page
    assert "every number in your texts is on the verified list" in page


def test_a_confirmation_word_not_known_shows_nothing(ws: WorkspaceUnderTest) -> None:
    client = ws.sign_in(ws.account("admin"))
    page = client.get(f"{PREFIX}/numbers", params={"done": "<b>hacked</b>"}).text
    assert "hacked" not in page
