"""The workspace's first page after signing in."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from bot.workspace.pages import VisitDep, render

router = APIRouter()


@router.get("/")
def home(request: Request, visit: VisitDep) -> Response:
    return render(request, "home.html", visit)
