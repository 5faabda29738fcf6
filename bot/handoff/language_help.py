"""Language help for a caseworker (issue 15, item 4): the person's messages machine-translated
into the worker's language, and the worker's draft into the person's, through the offline
translation service (bot/translation/).

Why it is careful rather than clever:
- The original is always shown; a translation sits beside it, marked as machine-made. A
  worker's draft that was machine-translated keeps the worker's own words with the message
  (`machine_translation` of a worker's message is their original), so a colleague reading the
  case later sees both.
- A pair that is not installed, or a model that lost a number or a name on the way
  (`SpanLost`), gives no translation at all and a plain reason, never a half-right one.
- A message is translated once per worker language and kept with the case, so reloading the
  page (every few seconds while the case is open) does not run the model again; it goes with
  the case's text when the retention period ends.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bot.handoff.models import Author, CaseMessage
from bot.translation import Draft, PairUnavailable, SpanLost, Translator

log = logging.getLogger(__name__)


class Unavailable(Exception):
    """Why there is no machine translation: `no_pair` or `span_lost`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LanguageHelp:
    def __init__(self, translator: Translator | None) -> None:
        self._translator = translator

    def can_help(self, source: str | None, target: str) -> bool:
        return bool(
            self._translator is not None
            and source
            and source != target
            and self._translator.can_translate(source, target)
        )

    def translate_incoming(
        self, messages: Iterable[CaseMessage], source: str | None, target: str
    ) -> int:
        """Each of the person's messages not yet translated into `target`; returns how many
        were translated now. One the model cannot translate faithfully is left without."""
        if not self.can_help(source, target):
            return 0
        done = 0
        for message in messages:
            if message.author != Author.PERSON.value or not message.text:
                continue
            if message.machine_translation_language == target:
                continue
            try:
                draft = self._draft(message.text, source or "", target)
            except Unavailable:
                continue
            message.machine_translation = draft.text
            message.machine_translation_language = target
            done += 1
        return done

    def translate_draft(self, text: str, source: str, target: str | None) -> Draft:
        """The worker's draft in the person's language; `Unavailable` says why not."""
        if not target or not self.can_help(source, target):
            raise Unavailable("no_pair")
        return self._draft(text, source, target)

    def _draft(self, text: str, source: str, target: str) -> Draft:
        if self._translator is None:
            raise Unavailable("no_pair")
        try:
            return self._translator.translate(text, source, target)
        except PairUnavailable:
            raise Unavailable("no_pair") from None
        except SpanLost:
            # The model dropped a number, a link or a name: no translation is better than
            # one that changes a phone number. The text itself is never logged.
            log.info("machine translation %s→%s refused: a protected span was lost", source, target)
            raise Unavailable("span_lost") from None
