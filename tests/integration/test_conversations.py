"""Conversations measured as conversations (issue 12 item 9).

Every conversation of tests/conversations/*.yml is played through the Twilio-signed WhatsApp
webhook (TwiML mode), a new phone number each, against the real gateway, Rasa and action server.
Each turn's expectations are checked against the reply and the person's conversation row; the
share of turns passed per language is printed and written to docs/conversations-report.md
(scripts/conversation_report.py). The set fails below 90 % in any language, or when a turn marked
`critical` (an emergency, an urgent medical case, a child alone) fails.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import httpx
import pytest

from bot.config import REPO_ROOT
from tests.integration.conftest import INTEGRATION_KEY
from tests.integration.conversations import (
    Player,
    failures,
    load,
    numbers,
    phrase_texts,
    table,
    tally,
    verdict,
)
from tests.integration.test_conversation import LANGUAGES, PHRASES
from tests.whatsapp_helpers import message_form, post_signed

# Where the report goes; CONVERSATIONS_REPORT=PATH writes it elsewhere (e.g. a scratch run).
REPORT = Path(os.environ.get("CONVERSATIONS_REPORT") or REPO_ROOT / "docs/conversations-report.md")
RESULTS = REPO_ROOT / "var" / "conversations-results.json"  # for a rerender, never committed
WARM_UP_NUMBER = 50939899999  # one message first, so Rasa's first-call start is not a turn's


def _report_writer():
    spec = importlib.util.spec_from_file_location(
        "conversation_report", REPO_ROOT / "scripts" / "conversation_report.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.write


def test_the_conversation_set_is_well_formed():
    """Without the stack: at least 10 conversations per language, each readable by the runner."""
    found = load()
    short = {
        code: n for code in LANGUAGES.codes if (n := sum(c.language == code for c in found)) < 10
    }
    assert not short, f"every language needs at least 10 conversations: {short}"
    assert any(t.critical for c in found for t in c.turns)
    named = {k for c in found for t in c.turns for k in t.expect.get("not_phrases") or []}
    assert all(PHRASES.has(k) for k in named), "not_phrases names a phrase key that does not exist"


@pytest.mark.integration
def test_conversations_pass_in_every_language(running):
    found = load()
    used = {k for c in found for t in c.turns for k in t.expect.get("not_phrases") or []}
    phrases = phrase_texts(PHRASES, used, LANGUAGES.codes)
    with httpx.Client(base_url=running.gateway, timeout=60) as client:
        post_signed(client, message_form("hello", sender=f"whatsapp:+{WARM_UP_NUMBER}"))
        player = Player(client, running.database_url, INTEGRATION_KEY.encode(), phrases)
        results = [
            turn
            for conversation, number in zip(found, numbers(len(found)), strict=True)
            for turn in player.play(conversation, number)
        ]

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps([r.to_json() for r in results], ensure_ascii=False, indent=1), encoding="utf-8"
    )
    written = _report_writer()(results, REPORT)
    tallies = tally(results)
    summary = f"{table(tallies)}\n\nreport: {written}\n\nfailed turns:\n{failures(results)}"
    print(summary)
    problems = verdict(tallies)
    assert not problems, "\n".join(problems) + "\n\n" + summary
