"""GET /chat, POST /chat (a form post, a full page back: works without JavaScript) and
POST /chat/messages (JSON, for the page's script). The same conversation as a messaging
channel: the cookie is the address, replaced by a pseudonym in the pipeline like a phone number.

A browser cannot be sent to: while a case with a person is open, the team's answers wait in
the case (bot/handoff/) and every response of this channel carries the ones not yet shown;
the page's script asks GET /chat/updates every POLL_SECONDS until the case closes.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from bot.channels.base import Inbound
from bot.channels.webchat import CHANNEL, COOKIE_NAME, TRAITS
from bot.channels.webchat.render import render
from bot.pipeline.pipeline import Pipeline
from bot.pipeline.text import clean_text
from bot.replies import Answer, Reply
from bot.web.bodies import NotJson, json_body
from bot.web.dependencies import PipelineDep, WordsDep

HERE = Path(__file__).resolve().parent
COOKIE_MAX_AGE_SECONDS = 60 * 60 * 24 * 90
CHAT_PHRASES = ("chat_title", "chat_placeholder", "chat_send", "chat_privacy", "language_button")
templates = Jinja2Templates(directory=str(HERE / "templates"))
static_files = StaticFiles(directory=str(HERE / "static"))
router = APIRouter()
POLL_SECONDS = 15  # a person waiting for a caseworker: often enough, cheap on data
MAX_BODY_BYTES = 64 * 1024  # one typed message (JSON or form) is a few hundred bytes


def _visitor(request: Request, text: str = "") -> Inbound:
    """The browser's cookie (or a new one) as the address of this message."""
    token = request.cookies.get(COOKIE_NAME) or secrets.token_urlsafe(24)
    return Inbound(CHANNEL, token, text, traits=TRAITS)


def _with_cookie(response: Response, inbound: Inbound) -> Response:
    response.set_cookie(
        COOKIE_NAME,
        inbound.address,
        max_age=COOKIE_MAX_AGE_SECONDS,
        httponly=True,
        samesite="lax",
    )
    return response


async def _from_team(pipeline: Pipeline, inbound: Inbound) -> tuple[list[Reply], bool]:
    """The team's answers this browser has not shown yet, and whether a case is open."""
    handoff = pipeline.handoff
    if handoff is None:
        return [], False
    pseudonym = pipeline.pseudonym(inbound)
    texts = await run_in_threadpool(handoff.answers_waiting, pseudonym, pipeline.clock())
    is_open = await run_in_threadpool(handoff.has_open_case, pseudonym)
    return [Reply(text) for text in texts], is_open


async def _page(
    request: Request,
    pipeline: Pipeline,
    words: WordsDep,
    inbound: Inbound,
    answer: Answer,
    said: str | None,
) -> Response:
    team, case_open = await _from_team(pipeline, inbound)
    context = {
        "language": answer.language,
        "labels": {key: words.phrases.get(key, answer.language) for key in CHAT_PHRASES},
        "said": said,
        "team": [render(r) for r in team],
        "replies": [render(r) for r in answer.replies],
        "poll_seconds": POLL_SECONDS if case_open else 0,
    }
    return _with_cookie(templates.TemplateResponse(request, "chat.html", context), inbound)


@router.get("/", include_in_schema=False)
async def root() -> RedirectResponse:
    return RedirectResponse("/chat")


@router.get("/chat", response_class=HTMLResponse)
async def chat_page(request: Request, pipeline: PipelineDep, words: WordsDep) -> Response:
    inbound = _visitor(request)
    return await _page(request, pipeline, words, inbound, pipeline.greeting(inbound), said=None)


@router.post("/chat", response_class=HTMLResponse)
async def chat_form(
    request: Request,
    pipeline: PipelineDep,
    words: WordsDep,
    text: Annotated[str, Form()] = "",
    payload: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
) -> Response:
    """The same conversation without JavaScript: a form post, a full page back."""
    inbound = _visitor(request, payload or text)
    answer = await pipeline.answer(inbound)
    said = clean_text(title or text)  # echoed on the page: what the pipeline was given
    return await _page(request, pipeline, words, inbound, answer, said=said)


@router.post("/chat/messages")
async def chat_message(request: Request, pipeline: PipelineDep) -> JSONResponse:
    try:
        body = await json_body(request)
    except NotJson as error:
        return JSONResponse({"error": str(error)}, status_code=400)
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str):
        return JSONResponse({"error": "text must be a string"}, status_code=422)
    inbound = _visitor(request, text)
    answer = await pipeline.answer(inbound)
    team, case_open = await _from_team(pipeline, inbound)
    result = {
        "language": answer.language,
        "team": [render(r).as_json() for r in team],
        "messages": [render(r).as_json() for r in answer.replies],
        "poll_seconds": POLL_SECONDS if case_open else 0,
    }
    return _with_cookie(JSONResponse(result), inbound)


@router.get("/chat/updates")
async def chat_updates(request: Request, pipeline: PipelineDep) -> JSONResponse:
    """The team's new answers, for the page's poll; nothing for a browser without a cookie."""
    if not request.cookies.get(COOKIE_NAME):
        return JSONResponse({"team": [], "poll_seconds": 0})
    team, case_open = await _from_team(pipeline, _visitor(request))
    return JSONResponse(
        {
            "team": [render(r).as_json() for r in team],
            "poll_seconds": POLL_SECONDS if case_open else 0,
        }
    )
