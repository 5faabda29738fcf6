"""Replies shaped for WhatsApp: limits, numbered options, templates, the 24-hour window."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.channels.splitting import split_message
from bot.channels.whatsapp.render import BODY_LIMIT, Renderer
from bot.channels.whatsapp.window import WindowClosed, outside_window, window_open
from bot.replies import Button, Reply

HINT = "Reply with a number:"
TOPICS = [Button(f"Topic {n}", f"/topic_{n}") for n in range(1, 13)]


def test_options_are_numbered_across_replies():
    replies = [
        Reply("First", [Button("Yes", "/affirm")]),
        Reply("Second", [Button("Menu", "/menu"), Button("Language", "/change_language")]),
    ]
    first, second = Renderer({}).render(replies, HINT)
    assert first["body"] == f"First\n\n{HINT}\n1. Yes"
    assert second["body"] == f"Second\n\n{HINT}\n2. Menu\n3. Language"


def test_bullets_and_bold_read_well_on_whatsapp():
    [message] = Renderer({}).render([Reply("*Title*\n- one\n- two")], HINT)
    assert message["body"] == "*Title*\n• one\n• two"


def test_a_long_answer_is_split_at_sentences_and_numbered():
    sentence = "Keep a copy of your passport in a safe place. "
    text = sentence * 100  # 4,600 characters
    parts = split_message(text, BODY_LIMIT)
    assert len(parts) == 3
    assert all(len(p) <= BODY_LIMIT for p in parts)
    assert [p[-5:] for p in parts] == ["(1/3)", "(2/3)", "(3/3)"]
    assert all(p.rsplit(" (", 1)[0].endswith("place.") for p in parts)
    rejoined = " ".join(p.rsplit(" (", 1)[0] for p in parts)
    assert rejoined.split() == text.split()


def test_a_word_longer_than_the_limit_is_still_cut_within_it():
    parts = split_message("x" * 5000, BODY_LIMIT)
    assert all(len(p) <= BODY_LIMIT for p in parts)


def test_up_to_three_short_options_use_the_quick_reply_template():
    renderer = Renderer({"quick-reply:2": "HXquick2"})
    [message] = renderer.render(
        [Reply("Body", [Button("Yes", "/affirm"), Button("No", "/deny")])], HINT
    )
    assert message == {
        "content_sid": "HXquick2",
        "content_variables": {"1": "Body", "2": "Yes", "3": "/affirm", "4": "No", "5": "/deny"},
    }


def test_titles_too_long_for_buttons_fall_back_to_a_list_or_numbers():
    long_titles = [Button("Twenty-two characters!", "/a"), Button("B", "/b")]
    with_list = Renderer({"quick-reply:2": "HXq", "list-picker:2": "HXlist"})
    assert with_list.render([Reply("Body", long_titles)], HINT)[0]["content_sid"] == "HXlist"
    [numbered] = Renderer({"quick-reply:2": "HXq"}).render([Reply("Body", long_titles)], HINT)
    assert "1. Twenty-two characters!" in numbered["body"]


def test_more_than_ten_options_are_numbered_even_with_a_list_template():
    templates = {f"list-picker:{n}": f"HX{n}" for n in range(1, 11)}
    [message] = Renderer(templates).render([Reply("Menu", TOPICS)], HINT)
    assert "12. Topic 12" in message["body"]


def test_a_long_body_goes_before_the_template_that_carries_the_buttons():
    renderer = Renderer({"quick-reply:1": "HXq1"})
    messages = renderer.render([Reply("Word. " * 300, [Button("Menu", "/menu")])], HINT)
    assert "body" in messages[0]
    assert messages[-1]["content_variables"]["1"] == HINT


@pytest.mark.parametrize(
    ("hours_ago", "is_open"), [(None, False), (1, True), (23.9, True), (24, False), (72, False)]
)
def test_the_24_hour_window(hours_ago, is_open):
    now = dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)
    last = None if hours_ago is None else now - dt.timedelta(hours=hours_ago)
    assert window_open(last, now) is is_open


def test_outside_the_window_only_a_template_goes_out():
    payload = outside_window("A partner answered your question.", "HXwindow")
    assert payload == {
        "content_sid": "HXwindow",
        "content_variables": {"1": "A partner answered your question."},
    }
    with pytest.raises(WindowClosed):
        outside_window("free text", None)
