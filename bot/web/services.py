"""The gateway's long-lived parts, built once per process and handed to routes by type.

`create_app` builds a `Services` in its lifespan; routes receive it (or one of its parts)
through `bot/web/dependencies.py`, so a route is a plain function of typed arguments.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial

import httpx
from sqlalchemy.orm import Session, sessionmaker

from bot.address_keys import keys_for as handoff_keys
from bot.clock import Clock
from bot.config import Settings
from bot.erasure import erase_person
from bot.langid import build_detector
from bot.languages import LanguageTable, load_languages
from bot.nlg import ResponseGenerator
from bot.outbox.ordering import person_locks
from bot.outbox.replier import Replier
from bot.outbox.worker import OutboxWorker
from bot.phrases import Phrasebook
from bot.pipeline.consent import load_consent_words
from bot.pipeline.flow import load_yes_no
from bot.pipeline.handoff import Handoff
from bot.pipeline.pipeline import Pipeline
from bot.pipeline.privacy import Privacy, PrivacyReplies, load_deletion_words
from bot.pipeline.rasa import RasaClient
from bot.pipeline.rate_limit import RateLimit
from bot.pipeline.self_check import load_self_check
from bot.places import load_gazetteer
from bot.safety.documents import SafetyRules
from bot.sharing.forward import Sharing
from bot.store import sealed
from bot.store.db import reader_factory, session_factory
from bot.tracker_store import TrackerEvents


@dataclass
class Words:
    """What is needed before anything starts: the language table, phrases and responses
    (the NLG endpoint must answer as soon as Rasa calls it)."""

    languages: LanguageTable
    phrases: Phrasebook
    sessions: sessionmaker[Session]
    readers: sessionmaker[Session]  # sessions that only read: do not queue behind writers
    generator: ResponseGenerator

    @classmethod
    def build(cls, settings: Settings) -> Words:
        languages = load_languages(settings.translations_dir)
        phrases = Phrasebook(settings.translations_dir, languages)
        sessions = session_factory(settings.database_url)
        readers = reader_factory(settings.database_url)
        gazetteer = load_gazetteer(settings.gazetteer_path)
        generator = ResponseGenerator(readers, phrases, languages, gazetteer)
        return cls(languages, phrases, sessions, readers, generator)


@dataclass
class Services:
    settings: Settings
    clock: Clock
    words: Words
    http: httpx.AsyncClient
    pipeline: Pipeline
    outbox: OutboxWorker
    replier: Replier

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.words.sessions

    @classmethod
    def build(
        cls, settings: Settings, words: Words, http: httpx.AsyncClient, clock: Clock
    ) -> Services:
        keys = handoff_keys(settings)
        sealed.configure(keys, settings.resolved_pseudonym_key())  # inbox and outbox addresses
        pipeline = Pipeline(
            sessions=words.sessions,
            readers=words.readers,
            rasa=RasaClient(
                settings.rasa_urls, http, settings.rasa_timeout_seconds, settings.rasa_api_token
            ),
            detector=build_detector(
                settings.nlu_data_dir, settings.content_dir, settings.translations_dir
            ),
            phrases=words.phrases,
            languages=words.languages,
            generator=words.generator,
            # Read from the store (the files until an admin saves a version), refreshed
            # every few seconds: built here, after the lifespan's migrations.
            rules=SafetyRules.from_settings(settings, words.readers, clock, words.languages),
            self_check=load_self_check(settings.self_check_path),
            consent=load_consent_words(settings.translations_dir),
            yes_no=load_yes_no(settings.translations_dir),
            pseudonym_key=settings.resolved_pseudonym_key(),
            clock=clock,
            handoff=Handoff(
                sessions=words.sessions,
                readers=words.readers,
                phrases=words.phrases,
                generator=words.generator,
                keys=keys,
                default_organisation=settings.handoff_default_organisation,
                answer_within=dt.timedelta(minutes=settings.handoff_answer_within_minutes),
                window_template=settings.whatsapp_window_template,
            ),
            privacy=Privacy(
                replies=PrivacyReplies(words.phrases, words.generator, settings.retain_text_days),
                words=load_deletion_words(settings.translations_dir),
                erase=partial(erase_person, words.sessions, tracker_events(settings)),
            ),
            sharing=Sharing.build(
                settings, words.generator.content, words.phrases, words.languages
            ),
            rate_limit=RateLimit.from_settings(settings),
        )
        outbox = OutboxWorker(words.sessions, clock)
        replier = Replier(words.sessions, pipeline, outbox, person_locks(settings), clock)
        return cls(settings, clock, words, http, pipeline, outbox, replier)


def tracker_events(settings: Settings) -> TrackerEvents | None:
    """Rasa's SQL tracker store, where one is configured (bot/stack.py always does)."""
    return TrackerEvents(settings.tracker_store_url) if settings.tracker_store_url else None
