"""The trafficking self-check: a few yes/no questions about a job offer, then guidance.

The questions are data partners edit (content/safety/self_check.yml, each an ILO indicator of
forced labour). The gateway asks them itself rather than a Rasa form: the answers ("they keep
my passport") are among the most sensitive things a person tells us, and this way they never
reach Rasa's tracker, which keeps every event it is sent; here they live in the conversation
row as "yn..." only until the last question, and go the moment the check ends or is stopped.
Yes and no are the word lists of every language (translations/languages.yml), so "wi", "non",
"oui" and a tapped button all count; "stop", "kanpe", "arrête" leave the check at any question.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

import yaml

from bot.pipeline.flow import YesNo
from bot.pipeline.words import normalise, words_by_language

SELF_CHECK_FLOW = "self_check"
SELF_CHECK_TOPIC = "self_check"  # the result's topic; its follow-up is trafficking
START_PAYLOAD = "/self_check"
YES_PAYLOAD = "/affirm"
NO_PAYLOAD = "/deny"
STOP_PAYLOAD = "/self_check_stop"
YES, NO = "y", "n"  # one letter per answer in the conversation's flow_state


class Step(StrEnum):
    ASK = "ask"  # ask the next question
    AGAIN = "again"  # the answer was neither yes nor no: the same question again
    DONE = "done"  # the last question was answered: the result
    STOPPED = "stopped"  # the person left the check


@dataclass(frozen=True)
class Progress:
    """Where the check is after a message: the step, the answers so far, the yes count."""

    step: Step
    answers: str

    @property
    def yes_count(self) -> int:
        return self.answers.count(YES)


@dataclass(frozen=True)
class SelfCheck:
    questions: tuple[dict[str, str], ...]  # per question: language -> text
    results: tuple[tuple[int, dict[str, str]], ...]  # (from this many yes, language -> text)
    stop_words: frozenset[str]

    def is_stop(self, text: str) -> bool:
        return text.strip() == STOP_PAYLOAD or normalise(text) in self.stop_words

    def question(self, index: int, language: str, fallback: str) -> str:
        texts = self.questions[index]
        return texts.get(language) or texts[fallback]

    def result(self, yes_count: int, language: str, fallback: str) -> str:
        texts = next(t for start, t in reversed(self.results) if yes_count >= start)
        return texts.get(language) or texts[fallback]

    def advance(self, answers: str, said: str | None, stop: bool) -> Progress:
        """The next step after a message; `said` is YES, NO or None (neither)."""
        if stop:
            return Progress(Step.STOPPED, "")
        if said is None:
            return Progress(Step.AGAIN, answers)
        answers += said
        if len(answers) >= len(self.questions):
            return Progress(Step.DONE, answers)
        return Progress(Step.ASK, answers)


def answer_letter(text: str, said: YesNo | None) -> str | None:
    """YES or NO from a tapped button or from the yes/no word lists (`said`)."""
    if text.strip() == YES_PAYLOAD or said is YesNo.YES:
        return YES
    if text.strip() == NO_PAYLOAD or said is YesNo.NO:
        return NO
    return None


@lru_cache(maxsize=2)
def load_self_check(path: Path) -> SelfCheck:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    questions = tuple(
        {key: str(value) for key, value in q.items() if key != "id"} for q in data["questions"]
    )
    results = tuple(
        sorted(
            (int(r["from"]), {k: str(v) for k, v in r.items() if k != "from"})
            for r in data["results"]
        )
    )
    if not questions or not results or results[0][0] != 0:
        raise ValueError(f"{path.name}: needs questions and a result from 0")
    stop = frozenset(words_by_language(data["stop_words"]))
    return SelfCheck(questions, results, stop)
