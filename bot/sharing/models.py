"""The campaigns' tables: a campaign a partner made, and its arrivals counted per day.

Why these shapes: a campaign is the partner's, not a person's. It holds what the links and the
card need (language, channel, optional country and first topic) and its unguessable `code`;
nothing in either table names, points to or can be joined back to a person. Arrivals are one
row per campaign and day with a number, so the insights can chart them by day, and a day with
one arrival says nothing about who arrived (the insights suppress small counts on display).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.store.models import Account, Base, Organisation


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    language: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(16))  # "telegram" or "whatsapp"
    country: Mapped[str | None] = mapped_column(String(2), default=None)
    topic: Mapped[str | None] = mapped_column(String(64), default=None)  # answered on arrival
    # Letters and digits from `secrets` (bot/sharing/campaigns.py): in the links, never stored
    # with a person.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), default=None
    )

    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[Account | None] = relationship()


class CampaignArrivals(Base):
    """How many first messages carried the campaign's code on one day (UTC)."""

    __tablename__ = "campaign_arrivals"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
