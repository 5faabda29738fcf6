"""What the person is told about their data, and deletion that is asked, confirmed and real
(issue 16).

The privacy notice comes once, with the first answer, and on /privacy and the menu's button:
what is kept, for how long (RETAIN_TEXT_DAYS), how to erase it.

"delete my data" is a question first.

"efase done mwen", the word DELETE (also after STOP), Telegram's /delete or the model's
`delete_my_data` get the question: exactly what would be erased, and "yes" or "no". Only a yes
(the word in any language, or the button) erases, everywhere (bot/retention/ `erase_person`),
and the answer says what was erased; "no" keeps everything and says so; anything else keeps
everything, is answered as usual, and then told nothing was erased. Nothing is erased on a guess.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from bot.channels.base import Inbound
from bot.nlg import Audience, ResponseGenerator
from bot.phrases import Phrasebook
from bot.pipeline.flow import YesNo, YesNoWords
from bot.pipeline.words import languages_file, normalise, words_by_language
from bot.replies import Button, Reply

DELETE_PAYLOAD = "/delete_my_data"  # Telegram's /delete and the menu
CONFIRM_PAYLOAD = "/delete_confirm"  # "Yes, erase everything"
KEEP_PAYLOAD = "/delete_keep"  # "No, keep it"
DELETE_OFFER = "delete_my_data"  # the conversation's pending offer while the question is open
PRIVACY_NOTICE = "privacy_notice"
DELETE_ASK = "delete_ask"


class Step(StrEnum):
    ASK = "ask"  # say what would be erased, ask yes or no
    ERASE = "erase"  # yes: erase everything, then say what was erased
    KEEP = "keep"  # no: nothing erased, said so
    KEEP_AND_ANSWER = "keep_and_answer"  # something else: answered, then "nothing was erased"


@dataclass(frozen=True)
class DeletionWords:
    """The words that ask for deletion in every language (translations/languages.yml): a
    single word ("efase", "delete") must be the whole message; a phrase of several words
    ("efase done mwen") may sit in a longer one ("souple efase done mwen yo"), which is how
    it is heard inside a case, where the model is not asked."""

    words: frozenset[str]

    def asks(self, text: str) -> bool:
        if text.strip() == DELETE_PAYLOAD:
            return True
        said = normalise(text)
        if said in self.words:
            return True
        padded = f" {said} "
        return any(" " in words and f" {words} " in padded for words in self.words)


def step(
    text: str, pending_offer: str | None, words: DeletionWords, yes_no: YesNoWords
) -> Step | None:
    """What a message means for deletion; None: nothing to do with it."""
    if pending_offer != DELETE_OFFER:
        return Step.ASK if words.asks(text) else None
    said = yes_no.classify(text)
    if text.strip() == CONFIRM_PAYLOAD or said is YesNo.YES:
        return Step.ERASE
    if text.strip() == KEEP_PAYLOAD or said is YesNo.NO:
        return Step.KEEP
    if words.asks(text):
        return Step.ASK  # asked again: the question again, nothing erased yet
    return Step.KEEP_AND_ANSWER


def concerns(text: str, pending_offer: str | None, words: DeletionWords) -> bool:
    """Whether the message is about deletion: it goes past a STOP and past an open case
    (erasing is the person's right whoever else is listening)."""
    return (
        pending_offer == DELETE_OFFER
        or words.asks(text)
        or text.strip()
        in {
            CONFIRM_PAYLOAD,
            KEEP_PAYLOAD,
        }
    )


@lru_cache(maxsize=4)
def load_deletion_words(translations_dir: Path) -> DeletionWords:
    data = languages_file(translations_dir)
    return DeletionWords(frozenset(words_by_language(data.get("delete_words"))))


@dataclass(frozen=True)
class PrivacyReplies:
    """The words of the notice and of each deletion step, in the person's language."""

    phrases: Phrasebook
    generator: ResponseGenerator
    retain_text_days: int

    def notice(self, language: str) -> Reply:
        text = self.phrases.get(PRIVACY_NOTICE, language)
        return Reply(text.replace("{days}", str(self.retain_text_days)), response=PRIVACY_NOTICE)

    def question(self, language: str) -> Reply:
        """Exactly what would be erased, and the two answers as buttons ("yes" works too)."""
        buttons = [
            Button(self.phrases.get("delete_yes_button", language), CONFIRM_PAYLOAD),
            Button(self.phrases.get("delete_no_button", language), KEEP_PAYLOAD),
        ]
        return Reply(self.phrases.get(DELETE_ASK, language), buttons, response=DELETE_ASK)

    def kept(self, language: str) -> Reply:
        return Reply(self.phrases.get("delete_kept", language), response="delete_kept")

    def failed(self, language: str) -> Reply:
        return Reply(self.phrases.get("delete_failed", language), response="delete_failed")

    def done(self, audience: Audience) -> Reply:
        """The content card `delete_my_data` (partners translate it; it lists what went)."""
        return self.generator.generate(f"utter_{DELETE_OFFER}", audience, {})


@dataclass(frozen=True)
class Privacy:
    """The pipeline's privacy parts: the words, the deletion words, and the eraser, which
    removes everything of one person from every store (given the message, for its address,
    and the pseudonym); it raises if it could not, and then nothing is said to be erased."""

    replies: PrivacyReplies
    words: DeletionWords
    erase: Callable[[Inbound, str], object]
