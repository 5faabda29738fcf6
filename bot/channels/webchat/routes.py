"""GET /chat, POST /chat (a form post, a full page back: works without JavaScript) and
POST /chat/messages (JSON, for the page's script). The same conversation as a messaging
channel: the cookie is the address, replaced by a pseudonym in the pipeline like a phone number.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from bot.channels.base import Inbound
from bot.channels.webchat import CHANNEL, COOKIE_NAME, TRAITS
from bot.channels.webchat.render import render
from bot.replies import Answer
from bot.web.dependencies import PipelineDep, WordsDep

HERE = Path(__file__).resolve().parent
COOKIE_MAX_AGE_SECONDS = 60 * 60 * 24 * 90
CHAT_PHRASES = ("chat_title", "chat_placeholder", "chat_send", "chat_privacy", "language_button")
templates = Jinja2Templates(directory=str(HERE / "templates"))
static_files = StaticFiles(directory=str(HERE / "static"))
router = APIRouter()


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


def _page(
    request: Request, words: WordsDep, inbound: Inbound, answer: Answer, said: str | None
) -> Response:
    context = {
        "language": answer.language,
        "labels": {key: words.phrases.get(key, answer.language) for key in CHAT_PHRASES},
        "said": said,
        "replies": [render(r) for r in answer.replies],
    }
    return _with_cookie(templates.TemplateResponse(request, "chat.html", context), inbound)


@router.get("/", include_in_schema=False)
async def root() -> RedirectResponse:
    return RedirectResponse("/chat")


@router.get("/chat", response_class=HTMLResponse)
async def chat_page(request: Request, pipeline: PipelineDep, words: WordsDep) -> Response:
    inbound = _visitor(request)
    return _page(request, words, inbound, pipeline.greeting(inbound), said=None)


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
    return _page(request, words, inbound, answer, said=title or text)


@router.post("/chat/messages")
async def chat_message(
    request: Request, pipeline: PipelineDep, body: Annotated[dict[str, Any], Body()]
) -> JSONResponse:
    text = body.get("text")
    if not isinstance(text, str):
        return JSONResponse({"error": "text must be a string"}, status_code=422)
    inbound = _visitor(request, text)
    answer = await pipeline.answer(inbound)
    result = {
        "language": answer.language,
        "messages": [render(r).as_json() for r in answer.replies],
    }
    return _with_cookie(JSONResponse(result), inbound)
