"""What partners learn without tracking anyone (issue 18, item 4): the figures and their
small-cell suppression, for the page at /admin/insights and its CSV.

Where the numbers come from: the day counters of bot/sharing/events.py (conversations,
messages in and out, emergency answers, fallbacks), the handoff's own cases table (cases opened
and the time to a first human answer: `opened_at` and `first_answer_at` are there), the
campaigns' arrivals per day (bot/sharing/models.py), and the fallback texts, shown only while
they are younger than RETAIN_TEXT_DAYS. UTC days throughout.

Small-cell suppression, the rule implemented here (docs/insights.md says it for partners):

1. Primary: every number from 1 to 4 is shown as "<5": a cell, a day's total, a value's total
   over the period and the grand total alike. 0 is shown: it says nobody, so it names nobody.
2. Secondary: each figure is a table of days x values (a language, a channel...) with its
   margins: the day totals (shared by every breakdown of the same kind, and drawn as the
   day chart), the values' totals and the grand total. Every line is one sum: a day's cells and
   that day's total, a value's cells and its total, the day totals and the grand total, the
   values' totals and the grand total. For every line, the bounds a reader knows (a "<5" is 1
   to 4; a number hidden as "*" is 5 or more, since it would otherwise read "<5") and the
   numbers shown give each hidden number a range; when that range is one number ("4 = total
   minus what is shown"; "two hidden numbers that add up to 2 are both 1"), the smallest number
   still shown in the line (a cell before a total when they are equal) is hidden as "*" too.
   This repeats, over every breakdown of the kind together (a day total hidden in one breakdown
   is hidden in all, and a breakdown that would let the reader add it up again hides one of
   its cells), until no line gives any hidden number away.
   What this does not do: it checks each line alone, as statistical offices' "no line with a
   single suppressed cell" rule does, not every combination of lines (that needs a solver such
   as tau-ARGUS). The counters hold no people and no time of day, so what is left to find is a
   number from 1 to 4, never who.
3. The median time to a first human answer is shown only over 5 or more answered cases; how
   many were answered is not shown (next to suppressed day counts it would pin them).

The CSV holds the same figures with the same marks, so a spreadsheet shows what the page does.

Scope: the assistant's counters (conversations, messages, emergencies, fallbacks) are the whole
assistant's, the same for every partner: they hold no people, partners along the route need the
same picture, and cutting them by each partner's countries would make more small cells, not
fewer. Cases and campaign arrivals are the organisation's own: its cases and its campaigns.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import math
import re
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.handoff.models import Case
from bot.languages import fold
from bot.sharing.events import FallbackSample, InsightCount, Kind

SMALL = 4  # a count from 1 to SMALL is shown as "<5"
SMALL_MARK = "<5"
HIDDEN_MARK = "*"
TOTAL = "total"
DEFAULT_DAYS = 30
MAX_DAYS = 366
MIN_CASES_FOR_MEDIAN = 5
SIMILAR = 0.5  # two fallback texts this alike (token overlap or difflib's ratio) are one group
MAX_SAMPLES = 500
EXAMPLES_PER_GROUP = 3
CASES = "cases_opened"
ARRIVALS = "campaign_arrivals"
FIRST_ANSWER = "first_answer_minutes"

# The breakdowns of each counted kind, as columns of insight_counts.
DIMENSIONS: dict[str, tuple[str, ...]] = {
    Kind.CONVERSATION: ("language", "channel", "country"),
    Kind.MESSAGE_IN: ("language", "channel", "country", "topic"),
    Kind.MESSAGE_OUT: ("language", "channel"),
    Kind.EMERGENCY: ("country",),
    Kind.FALLBACK: ("language", "channel"),
}


class State(StrEnum):
    SHOWN = "shown"
    SMALL = "small"  # 1 to 4: "<5"
    HIDDEN = "hidden"  # would give a small count away: "*"


@dataclass(frozen=True)
class Figure:
    """One number as a partner may see it."""

    value: int
    state: State = State.SHOWN

    @property
    def text(self) -> str:
        if self.state is State.SMALL:
            return SMALL_MARK
        if self.state is State.HIDDEN:
            return HIDDEN_MARK
        return str(self.value)

    @property
    def shown(self) -> int | None:
        """The number itself, or None when it is suppressed (for the charts)."""
        return self.value if self.state is State.SHOWN else None


@dataclass(frozen=True)
class Period:
    """From `start` to `end`, both included, in UTC days."""

    start: dt.date
    end: dt.date

    @classmethod
    def ending(cls, today: dt.date, days: int = DEFAULT_DAYS) -> Period:
        return cls(today - dt.timedelta(days=days - 1), today)

    @classmethod
    def parse(cls, start: str | None, end: str | None, today: dt.date) -> Period:
        """The period asked for in the page's form; the last 30 days if it does not read as
        one (a wrong date is not an error a partner needs to see), at most MAX_DAYS long."""
        default = cls.ending(today)
        try:
            first = dt.date.fromisoformat(start) if start else default.start
            last = dt.date.fromisoformat(end) if end else default.end
        except ValueError:
            return default
        if first > last:
            first, last = last, first
        return cls(max(first, last - dt.timedelta(days=MAX_DAYS - 1)), last)

    @property
    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=n) for n in range((self.end - self.start).days + 1)]


@dataclass(frozen=True)
class Breakdown:
    """One kind by day and by one dimension's values, suppressed."""

    dimension: str
    values: list[str]
    cells: dict[tuple[dt.date, str], Figure]
    totals: dict[str, Figure]  # each value over the period


@dataclass(frozen=True)
class Series:
    """One kind over the period: per day, in total, and its breakdowns."""

    kind: str
    days: list[dt.date]
    by_day: dict[dt.date, Figure]
    total: Figure
    breakdowns: list[Breakdown]

    def breakdown(self, dimension: str) -> Breakdown:
        return next(b for b in self.breakdowns if b.dimension == dimension)


Record = tuple[dt.date, dict[str, str], int]  # a day, its dimensions' values, a count


# --- suppression ------------------------------------------------------------------------------

Key = tuple[str, ...]
_BOUNDS = {State.SMALL: (1.0, float(SMALL)), State.HIDDEN: (float(SMALL + 1), math.inf)}


@dataclass
class _Cube:
    """The numbers of one kind and the lines that add them up, keyed ("c", dim, day, value),
    ("r", day), ("v", dim, value) and ("g",)."""

    numbers: dict[Key, int] = field(default_factory=dict)
    lines: list[tuple[list[Key], Key]] = field(default_factory=list)


def _cube(records: Iterable[Record], days: Sequence[dt.date], dimensions: Sequence[str]) -> _Cube:
    cube = _Cube()
    numbers: dict[Key, int] = defaultdict(int)
    for day, where, count in records:
        numbers[("r", day.isoformat())] += count
        numbers[("g",)] += count
        for dimension in dimensions:
            value = where.get(dimension, "")
            numbers[("c", dimension, day.isoformat(), value)] += count
            numbers[("v", dimension, value)] += count
    isodays = [day.isoformat() for day in days]
    for day in isodays:
        numbers[("r", day)] += 0
    numbers[("g",)] += 0
    cube.lines.append(([("r", day) for day in isodays], ("g",)))
    for dimension in dimensions:
        values = sorted({key[2] for key in numbers if key[0] == "v" and key[1] == dimension})
        for day in isodays:
            for value in values:
                numbers[("c", dimension, day, value)] += 0
            cube.lines.append(([("c", dimension, day, v) for v in values], ("r", day)))
        for value in values:
            column = [("c", dimension, day, value) for day in isodays]
            cube.lines.append((column, ("v", dimension, value)))
        cube.lines.append(([("v", dimension, v) for v in values], ("g",)))
    cube.numbers = dict(numbers)
    return cube


def _given_away(
    entries: list[Key], total: Key, numbers: dict[Key, int], states: dict[Key, State]
) -> bool:
    """Whether this line (entries adding up to total) pins a suppressed number to one value,
    from what is shown and the bounds the marks tell a reader."""
    signed = [(key, 1) for key in entries] + [(total, -1)]
    known = sum(sign * numbers[key] for key, sign in signed if key not in states)
    hidden = [(key, sign) for key, sign in signed if key in states]
    if not hidden:
        return False
    ranges = []
    for key, sign in hidden:
        low, high = _BOUNDS[states[key]]
        ranges.append((low, high) if sign > 0 else (-high, -low))
    for index in range(len(hidden)):
        others_low = sum(r[0] for i, r in enumerate(ranges) if i != index)
        others_high = sum(r[1] for i, r in enumerate(ranges) if i != index)
        # sign * x = -known - (the others' signed sum)
        low = max(ranges[index][0], -known - others_high)
        high = min(ranges[index][1], -known - others_low)
        if low >= high:
            return True
    return False


def _suppress(cube: _Cube) -> dict[Key, State]:
    numbers = cube.numbers
    states = {key: State.SMALL for key, value in numbers.items() if 1 <= value <= SMALL}
    changed = True
    while changed:
        changed = False
        for entries, total in cube.lines:
            if not _given_away(entries, total, numbers, states):
                continue
            candidates = [k for k in [*entries, total] if k not in states and numbers[k] > 0]
            if not candidates:
                continue
            # The smallest number still shown; a cell before a total when they are equal.
            chosen = min(candidates, key=lambda k: (numbers[k], k[0] != "c"))
            states[chosen] = State.HIDDEN
            changed = True
    return states


def suppressed(
    kind: str, records: Iterable[Record], days: Sequence[dt.date], dimensions: Sequence[str]
) -> Series:
    """The figures of one kind, every breakdown suppressed together (the module's rule)."""
    cube = _cube(records, days, dimensions)
    states = _suppress(cube)

    def figure(key: Key) -> Figure:
        return Figure(cube.numbers.get(key, 0), states.get(key, State.SHOWN))

    breakdowns = []
    for dimension in dimensions:
        values = sorted(
            {k[2] for k in cube.numbers if k[0] == "v" and k[1] == dimension},
            key=lambda v: (-cube.numbers[("v", dimension, v)], v),
        )
        cells = {
            (day, value): figure(("c", dimension, day.isoformat(), value))
            for day in days
            for value in values
        }
        totals = {value: figure(("v", dimension, value)) for value in values}
        breakdowns.append(Breakdown(dimension, values, cells, totals))
    by_day = {day: figure(("r", day.isoformat())) for day in days}
    return Series(kind, list(days), by_day, figure(("g",)), breakdowns)


# --- the figures ----------------------------------------------------------------------------


def counted(session: Session, kind: str, period: Period) -> Series:
    """A kind of the day counters (bot/sharing/events.py) over the period."""
    dimensions = DIMENSIONS[kind]
    columns = [getattr(InsightCount, d) for d in dimensions]
    rows = session.execute(
        select(InsightCount.day, *columns, func.sum(InsightCount.count))
        .where(InsightCount.kind == kind)
        .where(InsightCount.day.between(period.start, period.end))
        .group_by(InsightCount.day, *columns)
    ).all()
    records = [
        (row[0], dict(zip(dimensions, row[1:-1], strict=True)), int(row[-1])) for row in rows
    ]
    return suppressed(kind, records, period.days, dimensions)


@dataclass(frozen=True)
class Cases:
    """The organisation's handoff cases opened in the period, and how soon a person answered."""

    opened: Series
    median_minutes: int | None  # None: fewer than MIN_CASES_FOR_MEDIAN answered


def cases(session: Session, organisation_id: int, period: Period) -> Cases:
    """From the handoff's table at the moment of asking: a case keeps its times and reason
    after its text is purged; an erased person's case is gone, and with it its count."""
    start = dt.datetime.combine(period.start, dt.time(), dt.UTC)
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time(), dt.UTC)
    rows = session.execute(
        select(Case.opened_at, Case.reason, Case.first_answer_at)
        .where(Case.organisation_id == organisation_id)
        .where(Case.opened_at >= start, Case.opened_at < end)
    ).all()
    records = [(_utc(opened).date(), {"reason": reason}, 1) for opened, reason, _ in rows]
    waits = [
        (_utc(first) - _utc(opened)).total_seconds() / 60
        for opened, _, first in rows
        if first is not None
    ]
    median = round(statistics.median(waits)) if len(waits) >= MIN_CASES_FOR_MEDIAN else None
    return Cases(suppressed(CASES, records, period.days, ("reason",)), median)


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def campaign_arrivals(
    session: Session, organisation_id: int, period: Period
) -> tuple[Series, dict[str, str]]:
    """The organisation's campaigns' arrivals per day (bot/sharing/models.py), and each
    campaign's name by the id that keys it."""
    from bot.sharing.models import Campaign, CampaignArrivals

    rows = session.execute(
        select(CampaignArrivals.day, Campaign.id, Campaign.name, CampaignArrivals.count)
        .join(Campaign, Campaign.id == CampaignArrivals.campaign_id)
        .where(Campaign.organisation_id == organisation_id)
        .where(CampaignArrivals.day.between(period.start, period.end))
    ).all()
    names = {str(campaign): name for _, campaign, name, _ in rows}
    records = [(day, {"campaign": str(campaign)}, count) for day, campaign, _, count in rows]
    return suppressed(ARRIVALS, records, period.days, ("campaign",)), names


@dataclass(frozen=True)
class FallbackGroup:
    """Fallback texts alike enough to be one question; a few of them as examples."""

    size: Figure
    languages: list[str]
    examples: list[str]


def _tokens(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"\w+", fold(text)))


def _alike(a: str, b: str) -> bool:
    tokens_a, tokens_b = _tokens(a), _tokens(b)
    union = tokens_a | tokens_b
    overlap = len(tokens_a & tokens_b) / len(union) if union else 1.0
    return overlap >= SIMILAR or difflib.SequenceMatcher(None, fold(a), fold(b)).ratio() >= SIMILAR


def fallback_groups(
    session: Session, period: Period, now: dt.datetime, retain_days: int
) -> list[FallbackGroup]:
    """The texts the assistant could not answer, grouped by likeness, the largest group first.
    Only the days still inside the text-retention window, whatever the purge has done yet."""
    cutoff = (now - dt.timedelta(days=retain_days)).astimezone(dt.UTC).date()
    samples = session.execute(
        select(FallbackSample.text, FallbackSample.language)
        .where(FallbackSample.day > cutoff)
        .where(FallbackSample.day.between(period.start, period.end))
        .order_by(FallbackSample.id.desc())
        .limit(MAX_SAMPLES)
    ).all()
    groups: list[list[tuple[str, str]]] = []
    for text, language in samples:
        home = next((g for g in groups if _alike(g[0][0], text)), None)
        if home is None:
            groups.append([(text, language)])
        else:
            home.append((text, language))
    groups.sort(key=len, reverse=True)
    return [
        FallbackGroup(
            size=Figure(len(g), State.SMALL if len(g) <= SMALL else State.SHOWN),
            languages=sorted({language for _, language in g}),
            examples=list(dict.fromkeys(text for text, _ in g))[:EXAMPLES_PER_GROUP],
        )
        for g in groups
    ]


@dataclass(frozen=True)
class Insights:
    period: Period
    counted: dict[str, Series]
    cases: Cases
    arrivals: Series
    campaign_names: dict[str, str]
    fallbacks: list[FallbackGroup]


def build(
    session: Session, organisation_id: int, period: Period, now: dt.datetime, retain_days: int
) -> Insights:
    arrivals, names = campaign_arrivals(session, organisation_id, period)
    return Insights(
        period=period,
        counted={kind: counted(session, kind, period) for kind in DIMENSIONS},
        cases=cases(session, organisation_id, period),
        arrivals=arrivals,
        campaign_names=names,
        fallbacks=fallback_groups(session, period, now, retain_days),
    )


# --- the CSV ---------------------------------------------------------------------------------

CSV_HEADER = ("kind", "dimension", "day", "value", "count")


def series_rows(series: Series) -> Iterable[tuple[str, str, str, str, str]]:
    """Every figure of a series as (kind, dimension, day, value, count), marks included."""
    for day in series.days:
        yield series.kind, TOTAL, day.isoformat(), TOTAL, series.by_day[day].text
    yield series.kind, TOTAL, TOTAL, TOTAL, series.total.text
    for breakdown in series.breakdowns:
        for day in series.days:
            for value in breakdown.values:
                cell = breakdown.cells[(day, value)]
                yield series.kind, breakdown.dimension, day.isoformat(), value, cell.text
        for value in breakdown.values:
            yield series.kind, breakdown.dimension, TOTAL, value, breakdown.totals[value].text


def to_csv(insights: Insights) -> str:
    """The page's figures as CSV, suppressed the same way; campaigns by name."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for series in [*insights.counted.values(), insights.cases.opened]:
        writer.writerows(series_rows(series))
    for kind, dimension, day, value, count in series_rows(insights.arrivals):
        name = insights.campaign_names.get(value, value)
        writer.writerow((kind, dimension, day, name, count))
    median = insights.cases.median_minutes
    writer.writerow(
        (FIRST_ANSWER, "median", TOTAL, TOTAL, SMALL_MARK if median is None else median)
    )
    return out.getvalue()
