"""Campaigns: made by a partner in /admin, found again by the code their links carry.

Why the code is a random string from `secrets` and not a name or a number: a campaign counts
only the arrivals through links a partner made, so a code must not be guessable or countable
(`ngo-1`, `ngo-2`...), and it must not say anything about who shared it. Letters and digits
only: it fits Telegram's start parameter ([A-Za-z0-9_-], 64 at most) with the language in front,
and in a WhatsApp text an underscore would start italics.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import string
from collections.abc import Collection, Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.sharing.models import Campaign, CampaignArrivals
from bot.store.db import add_to_count
from bot.store.models import Account, Topic
from bot.workspace import audit
from bot.workspace.i18n import N_

CHANNELS = ("telegram", "whatsapp")
CODE_LENGTH = 16  # 62^16: about 95 bits, far beyond guessing one by trying links
NAME_MAX_CHARS = 120
_ALPHABET = string.ascii_letters + string.digits
# A code as it appears in a message: 16 letters and digits standing alone, with a digit and a
# letter among them (new_code makes sure), so an ordinary 16-letter word never looks like one.
_CODE_TOKEN = re.compile(rf"(?<![A-Za-z0-9_-])[A-Za-z0-9]{{{CODE_LENGTH}}}(?![A-Za-z0-9_-])")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


class CampaignError(ValueError):
    """A campaign that cannot be made as asked; `field` is the form field to mark."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def is_code(token: str) -> bool:
    return (
        len(token) == CODE_LENGTH
        and all(c in _ALPHABET for c in token)
        and any(c.isdigit() for c in token)
        and any(c.isalpha() for c in token)
    )


def new_code() -> str:
    while True:
        code = "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))
        if is_code(code):
            return code


def code_tokens(text: str) -> list[str]:
    """The code-shaped words of a message (known codes or not), in order."""
    return [m.group(0) for m in _CODE_TOKEN.finditer(text) if is_code(m.group(0))]


def create(
    session: Session,
    account: Account,
    *,
    name: str,
    language: str,
    channel: str,
    country: str | None,
    topic: str | None,
    languages: Collection[str],
    now: dt.datetime,
) -> Campaign:
    """A new campaign of the account's organisation, in the caller's transaction (with its
    audit line)."""
    name = " ".join(name.split())
    if not name:
        raise CampaignError(N_("Give the campaign a name."), "name")
    if len(name) > NAME_MAX_CHARS:
        raise CampaignError(N_("The name is too long: at most 120 characters."), "name")
    if language not in languages:
        raise CampaignError(N_("Choose a language the assistant speaks."), "language")
    if channel not in CHANNELS:
        raise CampaignError(N_("Choose Telegram or WhatsApp."), "channel")
    if country is not None and not _COUNTRY.match(country):
        raise CampaignError(N_("Choose a country from the list."), "country")
    if topic is not None and session.get(Topic, topic) is None:
        raise CampaignError(N_("Choose a topic from the list."), "topic")
    campaign = Campaign(
        organisation_id=account.organisation_id,
        name=name,
        language=language,
        channel=channel,
        country=country,
        topic=topic,
        code=new_code(),
        created_at=now,
        created_by_id=account.id,
    )
    session.add(campaign)
    session.flush()
    audit.record(session, account, "create_campaign", f"campaign {campaign.id}", name, now=now)
    return campaign


def of_organisation(session: Session, organisation_id: int) -> list[Campaign]:
    """The organisation's campaigns, newest first."""
    return list(
        session.scalars(
            select(Campaign)
            .where(Campaign.organisation_id == organisation_id)
            .order_by(Campaign.created_at.desc(), Campaign.id.desc())
        )
    )


def of_organisation_by_id(
    session: Session, organisation_id: int, campaign_id: int
) -> Campaign | None:
    """One campaign, or None when it is another organisation's (the page answers 404)."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or campaign.organisation_id != organisation_id:
        return None
    return campaign


def by_code(session: Session, code: str, channel: str) -> Campaign | None:
    """The campaign a partner made with this code for this channel; None for anything else
    (an invented code, one changed by hand, another channel's)."""
    if not is_code(code):
        return None
    return session.scalars(
        select(Campaign).where(Campaign.code == code, Campaign.channel == channel)
    ).first()


def count_arrival(session: Session, campaign_id: int, day: dt.date) -> None:
    """+1 on the campaign's count for the day; two gateways counting at once both count."""
    add_to_count(session, CampaignArrivals.__table__, {"campaign_id": campaign_id, "day": day})


def arrivals(session: Session, campaign_ids: Iterable[int]) -> dict[int, int]:
    """Every campaign's arrivals so far (0 for one nobody followed yet)."""
    ids = list(campaign_ids)
    totals = dict.fromkeys(ids, 0)
    if not ids:
        return totals
    rows = session.execute(
        select(CampaignArrivals.campaign_id, func.sum(CampaignArrivals.count))
        .where(CampaignArrivals.campaign_id.in_(ids))
        .group_by(CampaignArrivals.campaign_id)
    )
    totals.update({int(row[0]): int(row[1]) for row in rows})
    return totals
