"""Insights (/admin/insights): what people ask, where and in which language, counted without
anyone in the counts (issue 18, item 4), and the same figures as CSV.

The figures and their suppression are bot/sharing/insights.py; the charts bot/sharing/charts.py.
Who sees them is Action.VIEW_INSIGHTS; what an organisation sees is said in the figures'
module: the assistant's counters are the same for every partner, cases and campaigns its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.responses import Response

from bot.sharing import charts, insights
from bot.sharing.events import Kind
from bot.workspace import i18n, numbers
from bot.workspace.i18n import N_
from bot.workspace.pages import Visit, VisitDep, render
from bot.workspace.permissions import Action

router = APIRouter()

CHANNEL_NAMES = {"whatsapp": "WhatsApp", "telegram": "Telegram", "web": N_("Web chat")}
REASONS = {
    "emergency": N_("an emergency"),
    "child_alone": N_("a child alone"),
    "trafficking": N_("trafficking"),
    "other": N_("another question"),
}
# Each section of the page: the kind counted, its heading, what it counts.
SECTIONS = (
    (Kind.CONVERSATION, N_("Conversations"), N_("People who wrote, once per day.")),
    (Kind.MESSAGE_IN, N_("Messages received"), N_("Messages people sent, by the topic answered.")),
    (Kind.MESSAGE_OUT, N_("Messages sent"), N_("Messages the assistant sent.")),
    (
        Kind.EMERGENCY,
        N_("Emergency answers"),
        N_("Emergency answers, by the country the person was in."),
    ),
    (Kind.FALLBACK, N_("Questions not answered"), N_("Messages the assistant could not answer.")),
)
DIMENSION_NAMES = {
    "language": N_("By language"),
    "channel": N_("By channel"),
    "country": N_("By country"),
    "topic": N_("By topic"),
    "reason": N_("By reason"),
    "campaign": N_("By campaign"),
}


@dataclass(frozen=True)
class _Charts:
    """The page's two charts, with the values named as the partner reads them."""

    name: Callable[[str, str], str]

    def days(self, series: insights.Series, label: str) -> Markup:
        return charts.day_bars([(day, series.by_day[day]) for day in series.days], label)

    def values(self, breakdown: insights.Breakdown, label: str) -> Markup:
        rows = [(self.name(breakdown.dimension, v), breakdown.totals[v]) for v in breakdown.values]
        return charts.value_bars(rows, label)


def _period(request: Request, visit: Visit) -> insights.Period:
    today = visit.workspace.now().date()
    query = request.query_params
    return insights.Period.parse(query.get("start"), query.get("end"), today)


def _labels(visit: Visit, ui_language: str, campaigns: dict[str, str]) -> dict[str, dict[str, str]]:
    """Each dimension's values as a partner reads them; "" is not known (no country said)."""
    gazetteer = visit.workspace.settings.gazetteer_path
    channels = {code: i18n.gettext(name) for code, name in CHANNEL_NAMES.items()}
    return {
        "language": dict(visit.workspace.languages.names),
        "country": numbers.country_names(gazetteer, ui_language),
        "channel": channels,
        "topic": {},
        "reason": {code: i18n.gettext(words) for code, words in REASONS.items()},
        "campaign": campaigns,
    }


def _build(request: Request, visit: Visit) -> insights.Insights:
    visit.require(Action.VIEW_INSIGHTS)
    settings = visit.workspace.settings
    return insights.build(
        visit.db,
        visit.account.organisation_id,
        _period(request, visit),
        visit.workspace.now(),
        settings.retain_text_days,
    )


@router.get("/insights")
def insights_page(request: Request, visit: VisitDep) -> Response:
    figures = _build(request, visit)
    ui_language = getattr(request.state, "ui_language", i18n.DEFAULT_UI_LANGUAGE)
    labels = _labels(visit, ui_language, figures.campaign_names)
    unknown = i18n.gettext("not known")

    def name(dimension: str, value: str) -> str:
        return labels.get(dimension, {}).get(value, value) if value else unknown

    return render(
        request,
        "insights.html",
        visit,
        figures=figures,
        sections=SECTIONS,
        dimension_names=DIMENSION_NAMES,
        name=name,
        chart=_Charts(name),
        retain_days=visit.workspace.settings.retain_text_days,
        small_mark=insights.SMALL_MARK,
        hidden_mark=insights.HIDDEN_MARK,
    )


@router.get("/insights.csv")
def insights_csv(request: Request, visit: VisitDep) -> Response:
    figures = _build(request, visit)
    period = figures.period
    filename = f"insights-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    return Response(
        insights.to_csv(figures),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
