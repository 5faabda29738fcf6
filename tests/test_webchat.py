"""Web chat rendering: our Markdown subset to HTML, always escaped."""

from __future__ import annotations

from bot.channels.webchat.render import render, to_html
from bot.replies import Button, Reply


def test_markup_in_content_is_escaped_not_executed():
    html = str(to_html('<script>alert("x")</script> *bold*'))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<strong>bold</strong>" in html


def test_bullets_paragraphs_and_links():
    html = str(to_html("Do this:\n\n- one\n- two\n\nSource: IOM https://www.iom.int/x."))
    assert "<p>Do this:</p>" in html
    assert "<ul><li>one</li><li>two</li></ul>" in html
    assert '<a href="https://www.iom.int/x" rel="noopener noreferrer"' in html


def test_buttons_keep_title_and_payload():
    rendered = render(Reply("Hi", [Button("Meni", "/menu")]))
    assert rendered.as_json()["buttons"] == [{"title": "Meni", "payload": "/menu"}]


def test_a_heading_line_then_bullets_reads_as_a_list():
    html = str(
        to_html("*Warning signs:*\n- passport taken\n- a debt you cannot pay\nAsk for help.")
    )
    assert html == (
        "<p><strong>Warning signs:</strong></p>"
        "<ul><li>passport taken</li><li>a debt you cannot pay</li></ul>"
        "<p>Ask for help.</p>"
    )
