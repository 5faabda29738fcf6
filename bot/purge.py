"""`python -m bot purge`: what is older than the retention window goes (issue 16, "Retention").

Message text lives in five places, and each has a rule:
- handoff case messages: kept while the case is open, removed RETAIN_TEXT_DAYS after it closed
  (bot/handoff/retention.py);
- Rasa's tracker events (every message the model was sent): removed once older than the window
  (bot/tracker_store.py);
- inbox rows (a message held while Rasa could not answer) and outbox rows (an answer that could
  not be delivered) older than the window: a person who waited that long is answered by a new
  message, not by one a week late, and the rows hold their address;
- webhook ids (no text, no sender) after the few days platforms redeliver in
  (bot/store/deliveries.py);
- the texts the assistant could not answer, kept for the insights with their day and language
  only (bot/sharing/events.py): every day that began before the window.

`make demo` runs it every PURGE_EVERY_MINUTES (bot/cli.py); in production a scheduler (cron, a
Kubernetes CronJob) runs the same command. Every run is safe to repeat and prints counts only.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from bot.handoff import retention
from bot.sharing import events
from bot.store import deliveries
from bot.store.db import empty_write_ahead_log
from bot.store.models import InboxMessage, OutboxMessage
from bot.tracker_store import TrackerEvents


@dataclass(frozen=True)
class PurgeReport:
    """How many of each were removed; numbers only, so it can be logged and printed."""

    case_texts: int = 0
    tracker_events: int = 0
    inbox_messages: int = 0
    outbox_messages: int = 0
    webhook_ids: int = 0
    fallback_samples: int = 0

    def lines(self) -> list[str]:
        return [
            f"{field.name.replace('_', ' ')}: {getattr(self, field.name)}" for field in fields(self)
        ]


def purge(
    sessions: sessionmaker[Session],
    tracker: TrackerEvents | None,
    now: dt.datetime,
    retain_days: int,
) -> PurgeReport:
    cutoff = now - dt.timedelta(days=retain_days)
    with sessions() as session, session.begin():
        case_texts = retention.purge_case_text(session, now, retain_days)
        inbox = session.execute(
            delete(InboxMessage).where(InboxMessage.received_at < cutoff)
        ).rowcount
        outbox = session.execute(
            delete(OutboxMessage).where(OutboxMessage.created_at < cutoff)
        ).rowcount
        webhook_ids = deliveries.forget_old_ids(session, now)
        samples = events.purge_samples(session, cutoff)
        engine = session.get_bind()
    empty_write_ahead_log(engine)
    tracker_events = tracker.purge_before(cutoff) if tracker is not None else 0
    return PurgeReport(
        case_texts=case_texts,
        tracker_events=tracker_events,
        inbox_messages=inbox or 0,
        outbox_messages=outbox or 0,
        webhook_ids=webhook_ids,
        fallback_samples=samples,
    )


@dataclass
class PurgeSchedule:
    """The demo's scheduler (a cron job or a Kubernetes CronJob is production's): called on
    every supervisor tick, it starts `python -m bot purge` at once and then every `every`
    seconds, never two at a time, without waiting for it."""

    start: Callable[[], subprocess.Popen[bytes]]
    every: float
    clock: Callable[[], float] = time.monotonic
    running: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.due = self.clock()

    def __call__(self) -> None:
        if self.running is not None and self.running.poll() is None:
            return
        if self.clock() >= self.due:
            self.running = self.start()
            self.due = self.clock() + self.every
