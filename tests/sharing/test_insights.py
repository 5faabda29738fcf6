"""The insights page and its CSV (bot/sharing/insights.py, bot/workspace/routes/insights.py).

What matters: a count from 1 to 4 never shows, on the page or in the CSV, nor can it be worked
out by subtracting what is shown (a total that would give it away is hidden too); 5 and more
show as they are; the CSV says what the page says; only admins, editors and reviewers see it;
an organisation sees its own cases; the texts the assistant could not answer show only while
they are inside the retention window.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from sqlalchemy import insert

from bot.handoff.models import Case
from bot.languages import LanguageTable
from bot.sharing import insights
from bot.sharing.events import FallbackSample, InsightCount, Kind
from bot.sharing.insights import HIDDEN_MARK, SMALL_MARK, Period, State, suppressed
from bot.workspace.accounts import organisation_named
from bot.workspace.pages import PREFIX
from tests.workspace.conftest import WorkspaceUnderTest, seeded_store, ws  # noqa: F401
from tests.workspace.test_review import OK, ROLES, Scene, Step, check_table, make_scene

NO = 403
TODAY = dt.date(2026, 12, 2)  # the workspace's test clock (tests/workspace/conftest.py)
CELL = re.compile(r'data-cell="([^"]+)">([^<]*)<')
MEDIAN = re.compile(r"data-median>([^<]*)<")


def _counts(
    workspace: WorkspaceUnderTest,
    *rows: tuple[dt.date, str, str, int],
    kind: str = Kind.CONVERSATION,
) -> None:
    """Counters as the pipeline leaves them: (day, language, channel, count), in Panama."""
    with workspace.sessions() as session, session.begin():
        for day, language, channel, count in rows:
            session.execute(
                insert(InsightCount).values(
                    day=day,
                    kind=kind,
                    channel=channel,
                    language=language,
                    country="PA",
                    topic="",
                    count=count,
                )
            )


def _page_cells(html: str) -> dict[str, str]:
    return {key: text.strip() for key, text in CELL.findall(html)}


def _csv_cells(text: str) -> dict[str, str]:
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(insights.CSV_HEADER)
    return {"|".join(row[:4]): row[4] for row in rows[1:]}


def _one_day() -> dict[str, str]:
    return {"start": TODAY.isoformat(), "end": TODAY.isoformat()}


# --- suppression, on the numbers alone ------------------------------------------------------


def _series(*cells: tuple[str, int], days: int = 1) -> insights.Series:
    period = Period.ending(TODAY, days)
    records = [(TODAY, {"language": language}, count) for language, count in cells]
    return suppressed("conversation", records, period.days, ("language",))


def test_one_to_four_reads_less_than_five_and_five_reads_five() -> None:
    series = _series(("ht", 3), ("fr", 5), ("en", 6), ("es", 7))
    by_language = series.breakdown("language").cells
    assert by_language[(TODAY, "ht")].text == SMALL_MARK
    assert by_language[(TODAY, "en")].text == "6" and by_language[(TODAY, "es")].text == "7"
    # 3 = 21 - 5 - 6 - 7: one more number of the line is hidden, the smallest one.
    assert by_language[(TODAY, "fr")].text == HIDDEN_MARK
    assert series.by_day[TODAY].text == "21"


def test_a_total_that_gives_small_counts_away_is_hidden() -> None:
    """4 + 4 = 8 with both shown as "<5": 8 would say both are 4, so 8 is hidden, and the
    period's total (which would give 8 back) too."""
    series = _series(("ht", 4), ("fr", 4))
    cells = series.breakdown("language").cells
    assert cells[(TODAY, "ht")].text == cells[(TODAY, "fr")].text == SMALL_MARK
    assert series.by_day[TODAY].text == HIDDEN_MARK
    assert series.total.text == HIDDEN_MARK


def test_two_small_counts_that_add_up_to_two_are_not_left_to_be_read() -> None:
    series = _series(("ht", 1), ("fr", 1), ("en", 30))
    cells = series.breakdown("language").cells
    assert cells[(TODAY, "ht")].text == cells[(TODAY, "fr")].text == SMALL_MARK
    # 32 - 30 = 2 would say both are 1: the smallest number shown in the line goes too.
    assert cells[(TODAY, "en")].text == HIDDEN_MARK
    assert series.by_day[TODAY].text == "32"


def test_nothing_shown_pins_a_suppressed_count_in_any_line() -> None:
    """Every line of a month of uneven counts: no suppressed number has a single value left."""
    period = Period.ending(TODAY, 30)
    records = [
        (day, {"language": language, "channel": channel}, (i * 7 + j * 3) % 9)
        for i, day in enumerate(period.days)
        for j, (language, channel) in enumerate(
            [("ht", "whatsapp"), ("fr", "telegram"), ("en", "whatsapp"), ("ht", "web")]
        )
    ]
    dimensions = ("language", "channel")
    cube = insights._cube(records, period.days, dimensions)
    states = insights._suppress(cube)
    assert any(state is State.SMALL for state in states.values())
    for entries, total in cube.lines:
        assert not insights._given_away(entries, total, cube.numbers, states)


# --- the page and the CSV -------------------------------------------------------------------


@pytest.fixture
def scene(ws: WorkspaceUnderTest, languages: LanguageTable) -> Scene:  # noqa: F811
    return make_scene(ws, languages)


INSIGHTS_TABLE: dict[str, tuple[Step, dict[str, int]]] = {
    "view insights": (
        lambda s, c: c.get(f"{PREFIX}/insights").status_code,
        {"admin": OK, "editor": OK, "translator": NO, "reviewer": OK, "caseworker": NO},
    ),
    "download the CSV": (
        lambda s, c: c.get(f"{PREFIX}/insights.csv").status_code,
        {"admin": OK, "editor": OK, "translator": NO, "reviewer": OK, "caseworker": NO},
    ),
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_permission_table_says(scene: Scene, role: str) -> None:
    check_table(scene, role, INSIGHTS_TABLE)


def test_the_days_conversations_by_language_small_counts_read_less_than_five(scene: Scene) -> None:
    _counts(
        scene.ws,
        (TODAY, "ht", "whatsapp", 3),
        (TODAY, "fr", "whatsapp", 6),
        (TODAY, "en", "telegram", 8),
    )
    client = scene.client("editor-panama-aid")
    page = client.get(f"{PREFIX}/insights", params=_one_day())
    assert page.status_code == 200
    cells = _page_cells(page.text)
    day = TODAY.isoformat()
    assert cells[f"conversation|language|{day}|ht"] == "&lt;5"
    assert cells[f"conversation|language|{day}|en"] == "8"
    assert cells[f"conversation|language|{day}|fr"] == HIDDEN_MARK  # 3 = 17 - 6 - 8 otherwise
    assert cells[f"conversation|total|{day}|total"] == "17"
    assert cells["conversation|total|total|total"] == "17"
    assert ">3<" not in page.text.split('id="title-conversation"')[1].split("</section>")[0]


def test_the_csv_says_what_the_page_says(scene: Scene) -> None:
    yesterday = TODAY - dt.timedelta(days=1)
    _counts(
        scene.ws,
        (TODAY, "ht", "whatsapp", 4),
        (TODAY, "fr", "telegram", 4),
        (yesterday, "ht", "whatsapp", 12),
        (yesterday, "en", "web", 2),
    )
    _counts(scene.ws, (TODAY, "ht", "whatsapp", 2), kind=Kind.EMERGENCY)
    client = scene.client("reviewer-panama-aid")
    period = {"start": yesterday.isoformat(), "end": TODAY.isoformat()}
    page = _page_cells(client.get(f"{PREFIX}/insights", params=period).text)
    exported = client.get(f"{PREFIX}/insights.csv", params=period)
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    rows = _csv_cells(exported.text)
    assert page, "the page has figures"
    for key, text in page.items():
        assert rows[key] == text.replace("&lt;", "<"), key
    day = TODAY.isoformat()
    assert rows[f"conversation|language|{day}|ht"] == SMALL_MARK
    assert rows[f"conversation|total|{day}|total"] == HIDDEN_MARK  # 4 + 4 would be read
    assert rows[f"emergency|country|{day}|PA"] == SMALL_MARK
    assert not any(value in {"1", "2", "3", "4"} for value in rows.values())


def test_cases_and_their_first_answers_are_the_organisations_own(scene: Scene) -> None:
    opened = dt.datetime.combine(TODAY, dt.time(8), dt.UTC)
    with scene.ws.sessions() as session, session.begin():
        ours = organisation_named(session, "Panama Aid")
        assert ours is not None
        for n in range(6):
            session.add(
                Case(
                    pseudonym=f"p{n}",
                    channel="whatsapp",
                    organisation_id=ours.id,
                    reason="trafficking",
                    priority=20,
                    status="closed",
                    opened_at=opened,
                    first_answer_at=opened + dt.timedelta(minutes=10 + n),
                )
            )
    client = scene.client("admin-panama-aid")
    page = client.get(f"{PREFIX}/insights", params=_one_day()).text
    assert _page_cells(page)[f"cases_opened|reason|{TODAY.isoformat()}|trafficking"] == "6"
    assert MEDIAN.search(page).group(1) == "12 minutes"  # 10 to 15 minutes: 12.5, rounded to even
    other = scene.ws.account("admin", org="Colombia Aid")
    elsewhere = scene.ws.sign_in(other).get(f"{PREFIX}/insights", params=_one_day()).text
    assert _page_cells(elsewhere)["cases_opened|total|total|total"] == "0"
    assert MEDIAN.search(elsewhere).group(1) == "shown from 5 answered cases"


def test_texts_not_answered_are_grouped_and_shown_only_inside_the_window(scene: Scene) -> None:
    old = TODAY - dt.timedelta(days=8)
    with scene.ws.sessions() as session, session.begin():
        for day, text in [
            (TODAY, "ki kote m ka jwenn yon biwo imigrasyon"),
            (TODAY, "ki kote m ka jwenn biwo imigrasyon an"),
            (TODAY, "how much is the bus to Tapachula"),
            (old, "an old question nobody may read any more"),
        ]:
            session.add(FallbackSample(day=day, language="ht", text=text))
    client = scene.client("editor-panama-aid")
    period = {"start": old.isoformat(), "end": TODAY.isoformat()}
    page = client.get(f"{PREFIX}/insights", params=period).text
    groups = re.findall(r"<ol class=\"insights-groups\">(.*?)</ol>", page, re.S)[0]
    first, second = re.findall(r"<li><strong>(.*?)</li>\s*</ul>", groups, re.S)
    assert "biwo imigrasyon an" in first and "yon biwo imigrasyon" in first
    assert "Tapachula" in second
    assert "an old question" not in page
