"""The caseworker inbox over HTTP (/admin/cases): who may do what, one organisation's cases
only, no person's address on any page, claims that collide visibly, answers through the
outbox inside and outside WhatsApp's 24-hour window, and closing that hands back."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from bot.handoff import addresses, cases
from bot.handoff.models import Case, CaseAddress, CaseMessage
from bot.pseudonym import pseudonymise
from bot.store.models import Account, AuditEntry, OutboxMessage, Role
from bot.workspace.accounts import create_organisation, organisation_named
from bot.workspace.pages import PREFIX
from bot.workspace.permissions import ALLOWED, Action

PHONE = "whatsapp:+50761234567"
TEMPLATE = "HXwindow-template"
KEY = addresses.generate_key()
ROLES = ("admin", "editor", "translator", "reviewer", "caseworker")
ANSWERS = {"admin", "caseworker"}


@pytest.fixture(autouse=True)
def address_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pages read the keys from the environment, as in production."""
    monkeypatch.setenv(addresses.ENV_VAR, KEY.decode())


@dataclass
class Opened:
    id: int
    pseudonym: str


def open_case(ws, *, org: str = "Panama Aid", address: str = PHONE, reason: str = "other",
              channel: str = "whatsapp", language: str = "ht") -> Opened:  # fmt: skip
    """A case of the organisation, made through the core as the pipeline would (then moved
    to `org`: the test organisations all serve Panama, so routing alone cannot pick one)."""
    with ws.sessions() as session:
        organisation = organisation_named(session, org) or create_organisation(
            session, org, countries=["PA"], languages=["ht", "fr", "en"]
        )
        pseudonym = pseudonymise(b"test-key", channel, address)
        opened = cases.open_case(
            session,
            pseudonym=pseudonym,
            channel=channel,
            address=address,
            language=language,
            country="PA",
            reason=reason,
            now=ws.clock(),
            keys=[KEY],
        )
        opened.case.organisation_id = organisation.id
        cases.add_person_message(session, opened.case, "Mwen bezwen pale ak yon moun", ws.clock())
        session.commit()
        return Opened(opened.case.id, pseudonym)


def signed_in(ws, role: str, org: str = "Panama Aid"):  # noqa: ANN201
    return ws.sign_in(ws.account(role, org=org))


def outbox(ws) -> list[tuple[str, str | None, dict]]:
    with ws.sessions() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(row.channel, row.address, row.payload) for row in rows]


def claim_as(ws, client, case_id: int, **data: str):  # noqa: ANN201
    return ws.post(client, f"/cases/{case_id}/claim", f"/cases/{case_id}", **data)


def test_the_right_follows_the_answering_roles():
    assert {r.value for r, acts in ALLOWED.items() if Action.ANSWER_CASES in acts} == (
        cases.ANSWERING_ROLES
    )
    assert cases.ANSWERING_ROLES == ANSWERS


@pytest.mark.parametrize("role", ROLES)
def test_every_role_and_action(ws, role):
    case = open_case(ws)
    client = signed_in(ws, role)
    ok = role in ANSWERS
    page = f"/cases/{case.id}"
    # Pages shown to anyone who may answer; 403 for everyone else.
    for path in ("/cases", "/cases/fragment", page, f"{page}/fragment", "/cases/replies"):
        assert client.get(f"{PREFIX}{path}").status_code == (200 if ok else 403), path
    token_page = "/cases" if ok else "/"  # a page the role can open, for a token
    posts = [
        (f"{page}/claim", {}),
        (f"{page}/reply", {"text": "Bonjou, m la."}),
        (f"{page}/note", {"text": "Call the shelter"}),
        ("/cases/replies", {"language": "ht", "title": "Bonjou", "text": "Bonjou!"}),
        (f"{page}/close", {"outcome": "answered"}),
    ]
    for path, data in posts:
        response = ws.post(client, path, token_page, **data)
        assert response.status_code == (303 if ok else 403), (path, response.text[:300])
    with ws.sessions() as session:
        row = session.get(Case, case.id)
        assert row.status == ("closed" if ok else "open")
    nav = client.get(f"{PREFIX}/").text
    assert (f'href="{PREFIX}/cases"' in nav) is ok


def test_another_organisations_case_is_404(ws):
    theirs = open_case(ws, org="Mexico Help", address="whatsapp:+5215512345678")
    client = signed_in(ws, "caseworker")
    page = f"/cases/{theirs.id}"
    for path in (page, f"{page}/fragment", f"{page}?reply=1"):
        assert client.get(f"{PREFIX}{path}").status_code == 404
    for action, data in (("claim", {}), ("reply", {"text": "x"}), ("note", {"text": "x"}),
                         ("close", {"outcome": "answered"})):  # fmt: skip
        assert ws.post(client, f"{page}/{action}", "/cases", **data).status_code == 404
    assert f"/cases/{theirs.id}" not in client.get(f"{PREFIX}/cases").text
    with ws.sessions() as session:
        assert session.get(Case, theirs.id).status == "open"


def test_a_post_without_token_is_refused(ws):
    case = open_case(ws)
    client = signed_in(ws, "caseworker")
    client.get(f"{PREFIX}/cases")
    for action in ("claim", "reply", "note", "close"):
        response = client.post(
            f"{PREFIX}/cases/{case.id}/{action}", data={"text": "x", "outcome": "answered"}
        )
        assert response.status_code == 400, action
    assert client.post(f"{PREFIX}/cases/replies", data={"title": "x"}).status_code == 400
    with ws.sessions() as session:
        assert session.get(Case, case.id).claimed_by_id is None


def test_no_page_shows_who_the_person_is(ws):
    case = open_case(ws, reason="child_alone")
    client = signed_in(ws, "caseworker")
    digits = PHONE.split("+")[1]
    for path in ("/cases", "/cases/fragment", f"/cases/{case.id}", f"/cases/{case.id}/fragment"):
        html = client.get(f"{PREFIX}{path}").text
        assert digits not in html and digits[-7:] not in html, path
        assert case.pseudonym not in html, path
    listing = client.get(f"{PREFIX}/cases").text
    for label in (f"Case {case.id}", "Child alone", "Kreyòl", "Panama", "WhatsApp"):
        assert label in listing
    assert "Nobody has claimed it yet" in listing
    assert f'data-poll="{PREFIX}/cases/fragment"' in listing and "Refresh" in listing


def test_most_urgent_first_and_overdue_after_half_an_hour(ws):
    other = open_case(ws, reason="other", address="whatsapp:+50760000001")
    ws.clock.advance(minutes=20)
    emergency = open_case(ws, reason="emergency", address="whatsapp:+50760000002")
    ws.clock.advance(minutes=15)
    html = signed_in(ws, "caseworker").get(f"{PREFIX}/cases").text
    assert html.index(f"Case {emergency.id}<") < html.index(f"Case {other.id}<")
    assert html.count("case-row case-overdue") == 1  # only the one waiting 35 minutes
    assert "Overdue" in html.split(f"Case {other.id}<")[1]


def test_reading_a_case_is_audited_and_notes_are_marked(ws):
    case = open_case(ws)
    username = ws.account("caseworker")
    client = ws.sign_in(username)
    response = ws.post(client, f"/cases/{case.id}/note", f"/cases/{case.id}", text="Call Cruz")
    assert response.status_code == 303
    html = client.get(response.headers["location"]).text
    assert "Only your team sees this" in html and "Call Cruz" in html
    assert "Mwen bezwen pale ak yon moun" in html and "case-by-person" in html
    with ws.sessions() as session:
        worker = session.scalars(select(Account).where(Account.username == username)).one()
        reads = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "case_read", AuditEntry.account_id == worker.id
            )
        ).all()
        assert reads and all(r.target == f"case {case.id}" for r in reads)


def test_a_claimed_case_shows_who_and_needs_a_tick_to_take_over(ws):
    case = open_case(ws)
    first = ws.sign_in(ws.account("caseworker", username="rosemie"))
    second = ws.sign_in(ws.account("caseworker", username="jean"))
    assert "Claim this case" in second.get(f"{PREFIX}/cases/{case.id}").text
    assert claim_as(ws, first, case.id).status_code == 303
    page = second.get(f"{PREFIX}/cases/{case.id}").text
    assert "Claimed by rosemie" in page and "Take over" in page
    assert 'name="text"' not in page.split('id="answer"')[1].split("</section>")[0]
    assert "Claimed by rosemie" in second.get(f"{PREFIX}/cases").text
    refused = claim_as(ws, second, case.id)  # no tick
    assert refused.status_code == 409 and "Claimed by rosemie" in refused.text
    # The first worker's answer is refused once the case is taken over, text kept.
    assert claim_as(ws, second, case.id, take_over="y").status_code == 303
    late = ws.post(first, f"/cases/{case.id}/reply", f"/cases/{case.id}", text="Mwen la")
    assert late.status_code == 409 and "Claimed by jean" in late.text and "Mwen la" in late.text
    assert outbox(ws) == []


def test_a_saved_reply_fills_the_box(ws):
    case = open_case(ws)
    client = signed_in(ws, "caseworker")
    saved = ws.post(
        client,
        "/cases/replies",
        "/cases/replies",
        language="ht",
        title="Bonjou",
        text="Bonjou, mwen se yon travayè sosyal.",
    )
    assert saved.status_code == 303
    claim_as(ws, client, case.id)
    with ws.sessions() as session:
        (reply_id,) = session.scalars(select(cases.SavedReply.id)).all()
    page = client.get(f"{PREFIX}/cases/{case.id}").text
    assert f"?reply={reply_id}" in page and ">Bonjou</a>" in page
    filled = client.get(f"{PREFIX}/cases/{case.id}?reply={reply_id}").text
    box = filled.split('id="reply-text"')[1].split("</textarea>")[0]
    assert "Bonjou, mwen se yon travayè sosyal." in box


def test_an_answer_inside_the_window_goes_as_text(ws):
    case = open_case(ws)
    client = signed_in(ws, "caseworker")
    claim_as(ws, client, case.id)
    page = client.get(f"{PREFIX}/cases/{case.id}").text
    assert "More than 24 hours" not in page
    sent = ws.post(client, f"/cases/{case.id}/reply", f"/cases/{case.id}", text="Nou la pou ou.")
    assert sent.status_code == 303 and "done=sent" in sent.headers["location"]
    assert outbox(ws) == [("whatsapp", PHONE, {"body": "Nou la pou ou."})]
    assert "Your answer is on its way" in client.get(sent.headers["location"]).text


def test_after_24_hours_the_answer_goes_as_the_template(ws):
    case = open_case(ws)
    ws.clock.advance(hours=25)  # past the person's last message (signed in after: 8-h sessions)
    client = signed_in(ws, "caseworker")
    claim_as(ws, client, case.id)
    # Without a template nothing can go: said plainly, the text stays in the box.
    refused = ws.post(client, f"/cases/{case.id}/reply", f"/cases/{case.id}", text="Alo?")
    assert refused.status_code == 409 and "no approved template" in refused.text
    assert "Alo?" in refused.text.split('id="reply-text"')[1].split("</textarea>")[0]
    assert outbox(ws) == []
    ws.settings.whatsapp_window_template = TEMPLATE
    page = client.get(f"{PREFIX}/cases/{case.id}").text
    assert "More than 24 hours since the person wrote: your answer goes as the approved " in page
    sent = ws.post(client, f"/cases/{case.id}/reply", f"/cases/{case.id}", text="Nou la pou ou.")
    assert sent.status_code == 303 and "done=sent_template" in sent.headers["location"]
    assert outbox(ws) == [
        ("whatsapp", PHONE, {"content_sid": TEMPLATE, "content_variables": {"1": "Nou la pou ou."}})
    ]


def test_closing_hands_back_and_forgets_the_address(ws):
    case = open_case(ws)
    client = signed_in(ws, "caseworker")
    claim_as(ws, client, case.id)
    closed = ws.post(client, f"/cases/{case.id}/close", f"/cases/{case.id}", outcome="referred")
    assert closed.status_code == 303
    assert "assistant answers the person again" in client.get(closed.headers["location"]).text
    with ws.sessions() as session:
        row = session.get(Case, case.id)
        assert (row.status, row.outcome) == ("closed", "referred")
        assert session.get(CaseAddress, case.id) is None
        assert cases.open_case_for(session, case.pseudonym) is None
        last = session.scalars(
            select(CaseMessage).where(CaseMessage.case_id == case.id).order_by(CaseMessage.id)
        ).all()[-1]
        # Told in Kreyòl, with the organisation's name, by the assistant's own phrases.
        assert last.author == "system"
        assert last.text.startswith("Konvèsasyon ou ak Panama Aid fini.")
        assert "asistan an ap reponn ou ankò" in last.text
    assert outbox(ws)[-1] == ("whatsapp", PHONE, {"body": last.text})
    assert f"Case {case.id}<" not in client.get(f"{PREFIX}/cases").text
    page = client.get(f"{PREFIX}/cases/{case.id}").text
    assert "This case is closed" in page and "Claim this case" not in page


def test_an_unknown_outcome_is_refused(ws):
    case = open_case(ws)
    client = signed_in(ws, "caseworker")
    response = ws.post(client, f"/cases/{case.id}/close", f"/cases/{case.id}", outcome="solved")
    assert response.status_code == 400
    with ws.sessions() as session:
        assert session.get(Case, case.id).status == "open"


def test_roles_without_the_right_are_the_content_roles():
    for role in Role:
        assert (Action.ANSWER_CASES in ALLOWED[role]) is (role.value in ANSWERS)


def test_the_list_counts_the_organisations_cases_and_the_first_answer(ws):
    closed = open_case(ws)
    open_case(ws, address="whatsapp:+50760009999")
    open_case(ws, org="Mexico Help", address="whatsapp:+5215512345678")  # not theirs
    client = signed_in(ws, "caseworker")
    claim_as(ws, client, closed.id)
    ws.clock.advance(minutes=12)
    ws.post(client, f"/cases/{closed.id}/reply", f"/cases/{closed.id}", text="Bonjou, m la.")
    ws.post(client, f"/cases/{closed.id}/close", f"/cases/{closed.id}", outcome="answered")
    page = client.get(f"{PREFIX}/cases").text
    assert "1 open, 1 closed, 0 not answered in time" in page
    assert "first answer within 12.0 minutes" in page
