"""Custom actions: they decide, the gateway remembers.

They name a response (the words come from the NLG endpoint) and, when the person asks for a
change of state, say so to the gateway in a custom message under `gateway`
(bot/replies.py GATEWAY_KEY): `set_language`, `forget`. The pipeline applies it through the
conversation's one writer (bot/store/conversations.py), so the action server needs no database.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, Restarted
from rasa_sdk.executor import CollectingDispatcher

from actions.sub_answers import chosen_sub_answer
from bot.config import get_settings
from bot.languages import LanguageTable, load_languages
from bot.replies import GATEWAY_KEY


def _languages() -> LanguageTable:
    return load_languages(get_settings().translations_dir)


def requested_language(tracker: Tracker, languages: LanguageTable) -> str | None:
    """From the language menu's payload entity, else a language the message asks for
    ("pale kreyol", "in English please"); a language only named in a sentence is no request."""
    entity = next(tracker.get_latest_entity_values("language"), None)
    if entity in languages.names:
        return entity
    return languages.requested(tracker.latest_message.get("text") or "")


# How many ranked intents to pass on; the NLG endpoint keeps the first two that are topics.
DID_YOU_MEAN_CANDIDATES = 5
# More words than a language request needs ("an kreyol souple", "can you write in French"):
# a sentence that names a language is about something else.
REQUEST_MAX_WORDS = 6


def is_a_sentence(text: str) -> bool:
    return len(text.split()) > REQUEST_MAX_WORDS


def ranked_topics(tracker: Tracker, skip: str = "") -> list[str]:
    """The intents the model ranked for the latest message, best first, without the fallback
    and without the one `skip` answers for."""
    ranking = tracker.latest_message.get("intent_ranking") or []
    skipped = {"nlu_fallback", skip.removeprefix("action_")}
    names = [str(entry.get("name") or "") for entry in ranking]
    return [name for name in names if name and name not in skipped][:DID_YOU_MEAN_CANDIDATES]


def tell_gateway(dispatcher: CollectingDispatcher, **instruction: Any) -> None:
    dispatcher.utter_message(json_message={GATEWAY_KEY: instruction})


class ActionChangeLanguage(Action):
    def name(self) -> str:
        return "action_change_language"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = requested_language(tracker, _languages())
        if language is None and is_a_sentence(tracker.latest_message.get("text") or ""):
            # "my husband only speaks creole, can he ask asylum": a language named inside a
            # question; the likeliest other topics, not the language menu.
            dispatcher.utter_message(
                response="utter_did_you_mean", candidates=ranked_topics(tracker, skip=self.name())
            )
            return []
        if language is None:
            dispatcher.utter_message(response="utter_language_menu")
            return []
        # Said in the new language; the gateway keeps it from now on.
        dispatcher.utter_message(response="utter_language_changed", language=language)
        tell_gateway(dispatcher, set_language=language)
        return []


class ActionDeleteMyData(Action):
    def name(self) -> str:
        return "action_delete_my_data"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_delete_my_data")
        tell_gateway(dispatcher, forget=True)
        return [Restarted()]


class ActionAnswerTopic(Action):
    """A topic with answers inside it: the sub-answer the person asked for ("health/pregnancy").

    A tapped menu button ("/health") carries no text to pick from, so it gets the general card.
    """

    def name(self) -> str:
        return "action_answer_topic"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response=f"utter_{chosen_sub_answer(tracker.latest_message)}")
        return []


class ActionDidYouMean(Action):
    """Low NLU confidence: offer the two likeliest topics as buttons instead of guessing."""

    def name(self) -> str:
        return "action_did_you_mean"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        candidates = ranked_topics(tracker)
        dispatcher.utter_message(response="utter_did_you_mean", candidates=candidates)
        return []
