"""The case service: one case per person, claims that cannot collide, answers on the
person's channel (WhatsApp's window, Telegram, the web chat), closing, escalation, the inbox
order, audit lines without text, counts."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.handoff import cases
from bot.handoff.cases import (
    AlreadyClaimed,
    CaseNotOpen,
    DeliveryRefused,
    NotAllowed,
    add_note,
    add_person_message,
    claim,
    close,
    escalate,
    inbox,
    open_case,
    open_case_for,
    overdue,
    reply,
    transcript,
)
from bot.handoff.models import PRIORITY, Case, CaseAddress, CaseReason, SentAs
from bot.pseudonym import pseudonymise
from bot.store import conversations
from bot.store.models import AuditEntry, OutboxMessage
from tests.handoff import KEYS, NOW, WEEKDAYS, account, organisation

KEY = b"test-key"
WHATSAPP = "whatsapp:+50937123456"
TELEGRAM = "987654321"
TEMPLATE = "HXwindow"


@pytest.fixture
def partner(session):
    return organisation(session, "Haiti Panama", ["PA"], ["ht", "fr"], time_zone="America/Panama")


@pytest.fixture
def worker(session, partner):
    return account(session, partner, "rosemie")


@pytest.fixture
def colleague(session, partner):
    return account(session, partner, "jean")


def start(
    session,
    *,
    channel: str = "telegram",
    address: str = TELEGRAM,
    reason: str = "other",
    now: dt.datetime = NOW,
    country: str | None = "PA",
) -> cases.CaseOpened:
    return open_case(
        session,
        pseudonym=pseudonymise(KEY, channel, address),
        channel=channel,
        address=address,
        language="ht",
        country=country,
        reason=reason,
        now=now,
        keys=KEYS,
    )


def outbox(session) -> list[tuple[str, str | None, dict]]:
    rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
    return [(row.channel, row.address, row.payload) for row in rows]


def actions(session) -> list[str]:
    return [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


# Opening ------------------------------------------------------------------------------


def test_opening_routes_and_says_who_and_when(session, partner):
    opened = start(session)
    assert opened.is_new
    assert opened.organisation.id == partner.id
    assert opened.open_now and opened.next_opening is None
    case = opened.case
    assert (case.status, case.reason, case.priority) == ("open", "other", PRIORITY["other"])
    assert case.opened_at == NOW and case.last_person_message_at == NOW
    assert open_case_for(session, case.pseudonym) is case
    assert session.get(CaseAddress, case.id) is not None


def test_outside_opening_hours_the_person_hears_when(session):
    organisation(session, "Office hours", ["PA"], ["ht"], WEEKDAYS, "America/Panama")
    saturday = dt.datetime(2026, 12, 12, 15, tzinfo=dt.UTC)
    opened = start(session, now=saturday)
    assert opened.organisation.name == "Office hours"
    assert not opened.open_now
    assert opened.next_opening is not None
    assert opened.next_opening.isoformat() == "2026-12-14T08:00:00-05:00"


def test_one_case_per_person_made_more_urgent_never_less(session, partner):
    first = start(session, reason="other")
    again = start(session, reason="emergency", now=NOW + dt.timedelta(minutes=5))
    assert not again.is_new and again.case is first.case
    assert (first.case.reason, first.case.priority) == ("emergency", PRIORITY["emergency"])
    assert first.case.last_person_message_at == NOW + dt.timedelta(minutes=5)
    calmer = start(session, reason="trafficking")
    assert calmer.case.reason == "emergency"
    assert session.scalar(select(Case.id).where(Case.id != first.case.id)) is None


def test_the_database_refuses_a_second_open_case(session, partner):
    case = start(session).case
    twin = Case(
        pseudonym=case.pseudonym,
        channel=case.channel,
        organisation_id=partner.id,
        reason="other",
        priority=1,
        status="open",
        opened_at=NOW,
    )
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(twin)
        session.flush()


def test_unknown_reason_and_channel_are_refused(session, partner):
    with pytest.raises(ValueError):
        start(session, reason="bored")
    with pytest.raises(cases.HandoffError):
        start(session, channel="sms", address="+1")


# Claiming -----------------------------------------------------------------------------


def test_only_a_worker_of_the_organisation_claims(session, partner, worker):
    case = start(session).case
    elsewhere = account(session, organisation(session, "Mexico help", ["MX"]), "other-org")
    editor = account(session, partner, "editor-1", role="editor")
    for stranger in (elsewhere, editor):
        with pytest.raises(NotAllowed):
            claim(session, case, stranger, NOW)
    claim(session, case, worker, NOW)
    assert (case.claimed_by_id, case.claimed_at) == (worker.id, NOW)
    assert claim(session, case, worker, NOW) is case  # again: nothing changes
    assert actions(session) == ["case_claim"]


def test_a_claimed_case_is_taken_over_only_on_purpose(session, worker, colleague):
    case = start(session).case
    claim(session, case, worker, NOW)
    with pytest.raises(AlreadyClaimed) as refused:
        claim(session, case, colleague, NOW)
    assert refused.value.claimed_by_id == worker.id
    claim(session, case, colleague, NOW + dt.timedelta(minutes=1), take_over=True)
    assert case.claimed_by_id == colleague.id
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "case_take_over")).one()
    assert entry.account_id == colleague.id and entry.detail == f"from account {worker.id}"
    # The first worker learns it when answering, instead of answering alongside.
    with pytest.raises(NotAllowed):
        reply(session, case, worker, "M la", NOW, keys=KEYS, window_template=None)


def test_a_claim_lost_in_a_race_is_refused(session, worker, colleague):
    case = start(session).case
    # Another gateway's worker claimed it after this one read the case.
    session.execute(Case.__table__.update().values(claimed_by_id=colleague.id))
    with pytest.raises(AlreadyClaimed):
        claim(session, case, worker, NOW)
    assert case.claimed_by_id == colleague.id


# Answering ----------------------------------------------------------------------------


def test_telegram_answer_goes_through_the_outbox(session, worker):
    case = start(session).case
    claim(session, case, worker, NOW)
    later = NOW + dt.timedelta(minutes=12)
    assert reply(
        session, case, worker, "Bonjou, m la.", later, keys=KEYS, window_template=None
    ) == (SentAs.FREE_TEXT)
    assert outbox(session) == [("telegram", TELEGRAM, {"text": "Bonjou, m la."})]
    assert case.first_answer_at == later
    (message,) = transcript(session, case)
    assert (message.author, message.account_id, message.sent_as) == (
        "worker",
        worker.id,
        "free_text",
    )
    reply(
        session,
        case,
        worker,
        "Encore",
        later + dt.timedelta(hours=1),
        keys=KEYS,
        window_template=None,
    )
    assert case.first_answer_at == later


def test_only_the_claimer_answers(session, worker):
    case = start(session).case
    with pytest.raises(NotAllowed):
        reply(session, case, worker, "M la", NOW, keys=KEYS, window_template=None)
    assert outbox(session) == []


@pytest.mark.parametrize(
    ("hours_ago", "payload", "sent_as"),
    [
        (2, {"body": "Nou la pou ou."}, SentAs.FREE_TEXT),
        (
            25,
            {"content_sid": TEMPLATE, "content_variables": {"1": "Nou la pou ou."}},
            SentAs.TEMPLATE,
        ),
    ],
    ids=["inside-window", "outside-window"],
)
def test_whatsapp_window(session, worker, hours_ago, payload, sent_as):
    case = start(session, channel="whatsapp", address=WHATSAPP).case
    claim(session, case, worker, NOW)
    now = NOW + dt.timedelta(hours=hours_ago)
    assert cases.whatsapp_window_open(case, now) is (sent_as is SentAs.FREE_TEXT)
    got = reply(session, case, worker, "Nou la pou ou.", now, keys=KEYS, window_template=TEMPLATE)
    assert got is sent_as
    assert outbox(session) == [("whatsapp", WHATSAPP, payload)]
    assert transcript(session, case)[-1].sent_as == sent_as.value


def test_a_person_message_reopens_the_window(session, worker):
    case = start(session, channel="whatsapp", address=WHATSAPP).case
    claim(session, case, worker, NOW)
    now = NOW + dt.timedelta(hours=25)
    add_person_message(session, case, "Alo?", now - dt.timedelta(minutes=1))
    assert (
        reply(session, case, worker, "Wi", now, keys=KEYS, window_template=None) is SentAs.FREE_TEXT
    )


def test_outside_the_window_without_template_nothing_is_sent(session, worker):
    case = start(session, channel="whatsapp", address=WHATSAPP).case
    claim(session, case, worker, NOW)
    later = NOW + dt.timedelta(hours=25)
    with pytest.raises(DeliveryRefused):
        reply(session, case, worker, "Nou la", later, keys=KEYS, window_template=None)
    with pytest.raises(DeliveryRefused):  # too long for the template: refused, not cut
        reply(session, case, worker, "x" * 1025, later, keys=KEYS, window_template=TEMPLATE)
    assert outbox(session) == [] and transcript(session, case) == []
    assert case.first_answer_at is None


def test_a_person_who_wrote_stop_gets_nothing(session, worker):
    case = start(session).case
    conversations.apply(session, case.pseudonym, conversations.Changes(opted_out=True))
    claim(session, case, worker, NOW)
    with pytest.raises(DeliveryRefused):
        reply(session, case, worker, "M la", NOW, keys=KEYS, window_template=None)
    assert outbox(session) == []


def test_web_chat_answers_wait_for_the_page(session, worker):
    case = start(session, channel="web", address="cookie-token").case
    claim(session, case, worker, NOW)
    assert reply(session, case, worker, "M la", NOW, keys=KEYS, window_template=None) is (
        SentAs.WEB_PICKUP
    )
    assert outbox(session) == []
    later = NOW + dt.timedelta(seconds=5)
    (waiting,) = cases.web_messages_for(session, case.pseudonym, later)
    assert (waiting.text, waiting.delivered_at) == ("M la", later)
    assert cases.web_messages_for(session, case.pseudonym, later) == []


def test_long_answers_are_split_for_the_channel(session, worker):
    case = start(session, channel="whatsapp", address=WHATSAPP).case
    claim(session, case, worker, NOW)
    text = " ".join(["Sa a se yon fraz ki long."] * 120)  # about 3,100 characters
    reply(session, case, worker, text, NOW, keys=KEYS, window_template=TEMPLATE)
    bodies = [payload["body"] for _, _, payload in outbox(session)]
    assert len(bodies) > 1 and all(len(body) <= 1600 for body in bodies)


def test_notes_stay_inside_and_the_transcript_is_in_order(session, worker):
    case = start(session).case
    add_person_message(session, case, "M bezwen ed", NOW + dt.timedelta(minutes=1))
    add_note(session, case, worker, "Call the shelter first", NOW + dt.timedelta(minutes=2))
    claim(session, case, worker, NOW)
    reply(
        session,
        case,
        worker,
        "M la",
        NOW + dt.timedelta(minutes=3),
        keys=KEYS,
        window_template=None,
    )
    assert [m.author for m in transcript(session, case)] == ["person", "note", "worker"]
    assert [payload for _, _, payload in outbox(session)] == [{"text": "M la"}]
    transcript(session, case, reader=worker, now=NOW)
    assert actions(session) == ["case_note", "case_claim", "case_reply", "case_read"]


def test_the_audit_names_accounts_and_cases_never_text(session, worker):
    case = start(session).case
    claim(session, case, worker, NOW)
    add_note(session, case, worker, "secret-note-words", NOW)
    reply(session, case, worker, "secret-answer-words", NOW, keys=KEYS, window_template=None)
    close(session, case, worker, "answered", NOW, goodbye="secret-goodbye-words", keys=KEYS)
    for entry in session.scalars(select(AuditEntry)):
        assert entry.account_id == worker.id and entry.target == f"case {case.id}"
        assert "secret" not in f"{entry.target} {entry.detail}" and TELEGRAM not in str(
            entry.detail
        )


# Closing, escalation, inbox, counts ----------------------------------------------------


def test_closing_deletes_the_address_and_hands_back(session, worker):
    case = start(session).case
    claim(session, case, worker, NOW)
    later = NOW + dt.timedelta(hours=1)
    closed = close(
        session, case, worker, "referred", later, goodbye="Asistan an reponn ou ankò.", keys=KEYS
    )
    assert (closed.status, closed.outcome, closed.closed_at) == ("closed", "referred", later)
    assert session.get(CaseAddress, case.id) is None
    assert cases.addresses.address_of(session, case, KEYS) is None
    assert outbox(session) == [("telegram", TELEGRAM, {"text": "Asistan an reponn ou ankò."})]
    assert transcript(session, case)[-1].author == "system"
    assert open_case_for(session, case.pseudonym) is None
    with pytest.raises(CaseNotOpen):
        add_person_message(session, case, "alo", later)
    with pytest.raises(CaseNotOpen):
        close(session, case, worker, "answered", later)
    # The next request is a new case.
    assert start(session, now=later).is_new


def test_closing_needs_an_outcome_from_the_list(session, worker):
    case = start(session).case
    with pytest.raises(ValueError):
        close(session, case, worker, "solved forever", NOW)
    assert case.is_open


def test_a_goodbye_that_cannot_go_does_not_block_closing(session, worker):
    case = start(session, channel="whatsapp", address=WHATSAPP).case
    later = NOW + dt.timedelta(hours=30)
    close(session, case, worker, "no_reply", later, goodbye="Orevwa", keys=KEYS)
    assert not case.is_open and outbox(session) == []


def test_overdue_and_escalated_once(session, worker):
    late = start(session).case
    answered = start(session, address="111", now=NOW).case
    fresh = start(session, address="222", now=NOW + dt.timedelta(minutes=50)).case
    claim(session, answered, worker, NOW)
    reply(session, answered, worker, "M la", NOW, keys=KEYS, window_template=None)
    now = NOW + dt.timedelta(minutes=60)
    found = overdue(session, late.organisation_id, dt.timedelta(minutes=30), now)
    assert found == [late]
    assert fresh not in found and answered not in found
    assert overdue(session, None, dt.timedelta(minutes=30), now) == [late]
    assert escalate(session, late, now) is True
    assert escalate(session, late, now + dt.timedelta(minutes=5)) is False
    assert late.escalated_at == now
    cases.notify(session, late, "Rele 311", now, keys=KEYS)
    assert outbox(session)[-1] == ("telegram", TELEGRAM, {"text": "Rele 311"})


def test_inbox_most_urgent_then_oldest(session, partner):
    old_other = start(session, address="1", reason="other", now=NOW).case
    new_emergency = start(
        session, address="2", reason="emergency", now=NOW + dt.timedelta(hours=2)
    ).case
    old_child = start(
        session, address="3", reason="child_alone", now=NOW + dt.timedelta(hours=1)
    ).case
    newer_child = start(
        session, address="4", reason="child_alone", now=NOW + dt.timedelta(hours=3)
    ).case
    assert inbox(session, partner.id) == [new_emergency, old_child, newer_child, old_other]
    assert [PRIORITY[r] for r in CaseReason] == sorted(
        (PRIORITY[r] for r in CaseReason), reverse=True
    )


def test_counts_are_numbers_only(session, partner, worker):
    for minutes, address in ((10, "1"), (30, "2"), (50, "3")):
        case = start(session, address=address).case
        claim(session, case, worker, NOW)
        reply(
            session,
            case,
            worker,
            "M la",
            NOW + dt.timedelta(minutes=minutes),
            keys=KEYS,
            window_template=None,
        )
        if address != "3":
            close(session, case, worker, "answered", NOW + dt.timedelta(hours=1))
    start(session, address="4")
    assert cases.counts(session, partner.id) == {
        "open": 2,
        "closed": 2,
        "escalated": 0,
        "median_minutes_to_first_answer": 30.0,
    }


def test_saved_replies_per_language(session, partner, worker):
    cases.save_reply(session, worker, language="ht", title="Bonjou", text="Bonjou!", now=NOW)
    cases.save_reply(session, worker, language="ht", title="Bonjou", text="Bonjou ankò", now=NOW)
    cases.save_reply(session, worker, language="fr", title="Bonjour", text="Bonjour !", now=NOW)
    assert [r.text for r in cases.saved_replies(session, partner.id, "ht")] == ["Bonjou ankò"]
    assert len(cases.saved_replies(session, partner.id)) == 2
