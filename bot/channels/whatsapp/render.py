"""Replies → WhatsApp message payloads, and TwiML for answers inside the webhook's response.

Limits that shape the rendering (Twilio and WhatsApp documentation, docs/channels.md):
a body of at most 1,600 characters (https://www.twilio.com/docs/whatsapp/api); quick-reply
buttons (at most 3, titles of at most 20 characters) and list pickers (at most 10 rows of 24)
exist only as pre-approved content templates (https://www.twilio.com/docs/content/whatsapp-
list-picker). Without a template, options become numbered lines answered with a digit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from twilio.twiml.messaging_response import MessagingResponse

from bot.channels.splitting import split_message
from bot.phrases import Phrasebook
from bot.replies import Answer, Button, Reply

BODY_LIMIT = 1600
TEMPLATE_BODY_LIMIT = 1024
QUICK_REPLY = ("quick-reply", 3, 20)  # kind, most options, longest title
LIST_PICKER = ("list-picker", 10, 24)
OPTIONS_HINT_PHRASE = "options_hint"  # "Answer with the number:" in the person's language
_BULLET = re.compile(r"^- ", re.MULTILINE)


def to_whatsapp_text(text: str) -> str:
    """Our Markdown subset is WhatsApp's already (*bold*); bullets get a bullet sign."""
    return _BULLET.sub("• ", text.strip())


def numbered(buttons: list[Button], first: int, hint: str) -> str:
    lines = [f"{first + i}. {button.title}" for i, button in enumerate(buttons)]
    return "\n".join([hint, *lines])


@dataclass(frozen=True)
class Renderer:
    """Replies → message payloads: {"body": ...} or {"content_sid": ..., "content_variables"}.

    `templates` maps "quick-reply:3" or "list-picker:7" to a content SID; templates can only be
    sent through the Messages API, so the TwiML mode passes none and numbers the options.
    """

    templates: Mapping[str, str]

    def render(self, replies: list[Reply], options_hint: str) -> list[dict[str, Any]]:
        payloads: list[dict[str, Any]] = []
        numbered_so_far = 0
        for reply in replies:
            text = to_whatsapp_text(reply.text)
            template = self._template_for(reply.buttons)
            if template is not None:
                payloads.extend(self._with_template(template, text, reply.buttons, options_hint))
                numbered_so_far += len(reply.buttons)
                continue
            if reply.buttons:
                options = numbered(reply.buttons, numbered_so_far + 1, options_hint)
                text = f"{text}\n\n{options}" if text else options
                numbered_so_far += len(reply.buttons)
            payloads.extend({"body": part} for part in split_message(text, BODY_LIMIT) if part)
        return payloads

    def _template_for(self, buttons: list[Button]) -> str | None:
        if not buttons:
            return None
        for kind, most, longest in (QUICK_REPLY, LIST_PICKER):
            fits = len(buttons) <= most and all(len(b.title) <= longest for b in buttons)
            sid = self.templates.get(f"{kind}:{len(buttons)}")
            if fits and sid:
                return sid
        return None

    @staticmethod
    def _with_template(
        sid: str, text: str, buttons: list[Button], hint: str
    ) -> list[dict[str, Any]]:
        """Variables: {{1}} the body, then each option's title and id ({{2}}, {{3}}, ...)."""
        before: list[dict[str, Any]] = []
        if len(text) > TEMPLATE_BODY_LIMIT:
            before = [{"body": part} for part in split_message(text, BODY_LIMIT)]
            text = hint
        variables = {"1": text or hint}
        for i, button in enumerate(buttons):
            variables[str(2 + 2 * i)] = button.title
            variables[str(3 + 2 * i)] = button.payload
        return [*before, {"content_sid": sid, "content_variables": variables}]


def twiml(payloads: list[dict[str, Any]]) -> str:
    """The webhook's answer in TwiML mode; an empty <Response/> sends nothing."""
    response = MessagingResponse()
    for payload in payloads:
        if "body" in payload:
            response.message(payload["body"])
    return str(response)


@dataclass(frozen=True)
class AnswerRenderer:
    """An answer in WhatsApp payloads, the numbered-options hint in the answer's language
    (read from the phrasebook each time, so an editor's fix shows on the next message)."""

    renderer: Renderer
    phrases: Phrasebook

    def __call__(self, answer: Answer) -> list[dict[str, Any]]:
        hint = self.phrases.get(OPTIONS_HINT_PHRASE, answer.language)
        return self.renderer.render(answer.replies, hint)
