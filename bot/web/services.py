"""The gateway's long-lived parts, built once per process and handed to routes by type.

`create_app` builds a `Services` in its lifespan; routes receive it (or one of its parts)
through `bot/web/dependencies.py`, so a route is a plain function of typed arguments.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial

import httpx
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.base import Inbound
from bot.clock import Clock
from bot.config import REPO_ROOT, Settings
from bot.handoff import retention
from bot.handoff.addresses import ENV_VAR as ADDRESS_KEYS_VAR
from bot.handoff.addresses import keys_from_env
from bot.langid import build_detector
from bot.languages import LanguageTable, load_languages
from bot.nlg import ResponseGenerator
from bot.outbox.ordering import InProcessLocks
from bot.outbox.replier import Replier
from bot.outbox.worker import OutboxWorker
from bot.phrases import Phrasebook
from bot.pipeline.consent import load_consent_words
from bot.pipeline.flow import load_yes_no
from bot.pipeline.handoff import Handoff
from bot.pipeline.pipeline import Pipeline
from bot.pipeline.privacy import Privacy, PrivacyReplies, load_deletion_words
from bot.pipeline.rasa import RasaClient
from bot.pipeline.self_check import load_self_check
from bot.places import load_gazetteer
from bot.safety.documents import SafetyRules
from bot.store import conversations
from bot.store.db import reader_factory, session_factory
from bot.store.models import InboxMessage, OutboxMessage


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
        pipeline = Pipeline(
            sessions=words.sessions,
            readers=words.readers,
            rasa=RasaClient(settings.rasa_url, http, settings.rasa_timeout_seconds),
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
                keys=handoff_keys(settings),
                default_organisation=settings.handoff_default_organisation,
                answer_within=dt.timedelta(minutes=settings.handoff_answer_within_minutes),
                window_template=settings.whatsapp_window_template,
            ),
            privacy=Privacy(
                replies=PrivacyReplies(words.phrases, words.generator, settings.retain_text_days),
                words=load_deletion_words(settings.translations_dir),
                erase=partial(erase_person, words.sessions),
            ),
        )
        outbox = OutboxWorker(words.sessions, clock)
        replier = Replier(words.sessions, pipeline, outbox, InProcessLocks(), clock)
        return cls(settings, clock, words, http, pipeline, outbox, replier)


def handoff_keys(settings: Settings) -> list[bytes]:
    """The keys of the case addresses; in production without HANDOFF_ADDRESS_KEYS the
    gateway refuses to start (bot/handoff/addresses.py says why)."""
    environ = {ADDRESS_KEYS_VAR: settings.handoff_address_keys or ""}
    dev_key_file = REPO_ROOT / "var" / "handoff-address.key"
    return keys_from_env(environ, dev_key_file, settings.environment == "production")


def erase_person(sessions: sessionmaker[Session], inbound: Inbound, pseudonym: str) -> None:
    """Everything of one person, in one transaction: the conversation and its state, their
    cases with every message and address, messages waiting in the inbox or the outbox."""
    with sessions() as session, session.begin():
        conversations.forget(session, pseudonym)
        retention.forget_person(session, pseudonym)
        for table in (InboxMessage, OutboxMessage):
            session.execute(
                delete(table).where(
                    table.channel == inbound.channel, table.address == inbound.address
                )
            )
