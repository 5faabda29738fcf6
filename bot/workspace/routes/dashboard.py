"""The dashboard (/admin/): what the signed-in account's organisation has to do today.

Every role sees it (Action.VIEW); the lists come from bot/workspace/dashboard.py and each row
links to the item's page.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from bot.workspace import dashboard, i18n, numbers
from bot.workspace.pages import VisitDep, render
from bot.workspace.permissions import Action

router = APIRouter()


@router.get("/")
def dashboard_page(request: Request, visit: VisitDep) -> Response:
    visit.require(Action.VIEW)
    organisation = visit.account.organisation
    languages = visit.workspace.languages
    today = dashboard.today_for(visit.workspace.now(), organisation.time_zone)
    ui_language = getattr(request.state, "ui_language", i18n.DEFAULT_UI_LANGUAGE)
    board = dashboard.build(visit.db, organisation.id, today=today, languages=languages)
    return render(
        request,
        "dashboard.html",
        visit,
        board=board,
        today=today,
        content_language=languages.default,
        names=numbers.country_names(visit.workspace.settings.gazetteer_path, ui_language),
        language_names=languages.names,
    )
