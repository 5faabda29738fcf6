"""Custom actions: change the conversation's language, forget a person on request."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, Restarted
from rasa_sdk.executor import CollectingDispatcher

from bot.config import get_settings
from bot.languages import LanguageTable, load_languages
from bot.store import conversations
from bot.store.db import session_scope, upgrade

_database_ready: set[str] = set()


def _database_url() -> str:
    url = get_settings().database_url
    if url not in _database_ready:
        upgrade(url)
        _database_ready.add(url)
    return url


def _languages() -> LanguageTable:
    return load_languages(get_settings().translations_dir)


def requested_language(tracker: Tracker, languages: LanguageTable) -> str | None:
    """From the language menu's payload entity, else a language named in the message."""
    entity = next(tracker.get_latest_entity_values("language"), None)
    if entity in languages.names:
        return entity
    return languages.find_named(tracker.latest_message.get("text") or "")


class ActionChangeLanguage(Action):
    def name(self) -> str:
        return "action_change_language"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = requested_language(tracker, _languages())
        if language is None:
            dispatcher.utter_message(response="utter_language_menu")
            return []
        with session_scope(_database_url()) as session:
            conversations.set_language(session, tracker.sender_id, language, conversations.CHOSEN)
        dispatcher.utter_message(response="utter_language_changed")
        return []


class ActionDeleteMyData(Action):
    def name(self) -> str:
        return "action_delete_my_data"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        with session_scope(_database_url()) as session:
            kept = conversations.get(session, tracker.sender_id)
            language = kept.language if kept else None
            conversations.forget(session, tracker.sender_id)
        # The row is gone, so the language travels with the response for this last message.
        dispatcher.utter_message(response="utter_delete_my_data", language=language)
        return [Restarted()]


# How many ranked intents to pass on; the NLG endpoint keeps the first two that are topics.
DID_YOU_MEAN_CANDIDATES = 5


class ActionDidYouMean(Action):
    """Low NLU confidence: offer the two likeliest topics as buttons instead of guessing."""

    def name(self) -> str:
        return "action_did_you_mean"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        ranking = tracker.latest_message.get("intent_ranking") or []
        candidates = [
            entry["name"]
            for entry in ranking
            if entry.get("name") and entry["name"] != "nlu_fallback"
        ][:DID_YOU_MEAN_CANDIDATES]
        dispatcher.utter_message(response="utter_did_you_mean", candidates=candidates)
        return []
