"""The gateway: one ASGI app (FastAPI) for the web chat, Rasa's NLG endpoint and health.

Created by `create_app()` with no side effects at import; run with
`uvicorn --factory bot.web.app:create_app`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import httpx
from fastapi import Body, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from bot.assistant import Assistant
from bot.channels import webchat
from bot.channels.consent import load_consent_words
from bot.channels.outbox_worker import OutboxWorker
from bot.channels.service import ChannelService
from bot.config import Settings, get_settings
from bot.langid import build_detector
from bot.languages import load_languages
from bot.nlg import ResponseGenerator
from bot.phrases import Phrasebook
from bot.places import build_place_finder, load_gazetteer
from bot.pseudonym import pseudonymise
from bot.rasa_client import RasaClient
from bot.replies import Reply
from bot.safety.detector import build_detector as build_emergency_detector
from bot.store.db import session_factory, upgrade
from bot.web import health, telegram_webhook, whatsapp_webhook

log = logging.getLogger(__name__)
WEB_DIR = Path(__file__).resolve().parent
COOKIE_MAX_AGE_SECONDS = 60 * 60 * 24 * 90
CHAT_PHRASES = ("chat_title", "chat_placeholder", "chat_send", "chat_privacy", "language_button")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    languages = load_languages(settings.translations_dir)
    phrases = Phrasebook(settings.translations_dir, languages)
    sessions = session_factory(settings.database_url)
    generator = ResponseGenerator(
        sessions, phrases, languages, load_gazetteer(settings.gazetteer_path)
    )
    pseudonym_key = settings.resolved_pseudonym_key()
    templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        upgrade(settings.database_url)
        detector = build_detector(
            settings.nlu_data_dir, settings.content_dir, settings.translations_dir
        )
        async with httpx.AsyncClient() as http:
            app.state.http = http
            app.state.assistant = assistant = Assistant(
                sessions=sessions,
                rasa=RasaClient(settings.rasa_url, http, settings.rasa_timeout_seconds),
                detector=detector,
                phrases=phrases,
                languages=languages,
                generator=generator,
                places=build_place_finder(settings.gazetteer_path),
                emergencies=build_emergency_detector(settings.emergency_patterns_path),
            )
            app.state.channel_service = ChannelService(
                sessions=sessions,
                assistant=assistant,
                phrases=phrases,
                consent=load_consent_words(settings.translations_dir),
                pseudonym_key=pseudonym_key,
            )
            app.state.outbox = worker = OutboxWorker(sessions)
            whatsapp_webhook.start(app.state, settings)
            async with telegram_webhook.running(app.state, settings):
                sending = asyncio.create_task(worker.run())
                try:
                    yield
                finally:
                    sending.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await sending

    app = FastAPI(title="Route assistant gateway", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.mount("/static", StaticFiles(directory=str(WEB_DIR / "static")), name="static")
    app.include_router(whatsapp_webhook.router(settings))
    app.include_router(telegram_webhook.router(settings))

    def chat_pseudonym(request: Request) -> tuple[str, str]:
        token = request.cookies.get(webchat.COOKIE_NAME) or secrets.token_urlsafe(24)
        return token, pseudonymise(pseudonym_key, webchat.CHANNEL, token)

    def with_cookie(response: Response, token: str) -> Response:
        response.set_cookie(
            webchat.COOKIE_NAME,
            token,
            max_age=COOKIE_MAX_AGE_SECONDS,
            httponly=True,
            samesite="lax",
        )
        return response

    def page(
        request: Request, token: str, language: str, replies: list[Reply], said: str | None
    ) -> Response:
        context = {
            "language": language,
            "labels": {key: phrases.get(key, language) for key in CHAT_PHRASES},
            "said": said,
            "replies": [webchat.render(r) for r in replies],
        }
        response = templates.TemplateResponse(request, "chat.html", context)
        return with_cookie(response, token)

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/chat")

    @app.get("/healthz")
    async def healthz(request: Request) -> JSONResponse:
        checks = await health.check(
            request.app.state.http, sessions, settings.rasa_url, settings.action_server_url
        )
        failing = [name for name, ok in checks.items() if not ok]
        body = {
            "status": "ok" if not failing else "unavailable",
            "checks": checks,
            "failing": failing,
        }
        return JSONResponse(body, status_code=503 if failing else 200)

    @app.post("/nlg")
    def nlg(payload: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        """Rasa's NLG endpoint: response name + tracker in, words out."""
        tracker = payload.get("tracker") or {}
        reply = generator.generate(
            str(payload.get("response") or payload.get("template") or ""),
            str(tracker.get("sender_id") or ""),
            payload.get("arguments") or {},
        )
        return reply.to_rasa()

    @app.get("/chat", response_class=HTMLResponse)
    async def chat_page(request: Request) -> Response:
        token, pseudonym = chat_pseudonym(request)
        assistant: Assistant = request.app.state.assistant
        language = assistant.language_of(pseudonym)
        welcome = generator.generate("utter_greet", pseudonym, {"language": language})
        return page(request, token, language, [welcome], said=None)

    @app.post("/chat", response_class=HTMLResponse)
    async def chat_form(
        request: Request,
        text: Annotated[str, Form()] = "",
        payload: Annotated[str, Form()] = "",
        title: Annotated[str, Form()] = "",
    ) -> Response:
        """The same conversation without JavaScript: a form post, a full page back."""
        token, pseudonym = chat_pseudonym(request)
        assistant: Assistant = request.app.state.assistant
        replies = await assistant.handle(pseudonym, payload or text)
        language = assistant.language_of(pseudonym)
        return page(request, token, language, replies, said=title or text)

    @app.post("/chat/messages")
    async def chat_message(
        request: Request, body: Annotated[dict[str, Any], Body()]
    ) -> JSONResponse:
        token, pseudonym = chat_pseudonym(request)
        assistant: Assistant = request.app.state.assistant
        text = body.get("text")
        if not isinstance(text, str):
            return JSONResponse({"error": "text must be a string"}, status_code=422)
        replies = await assistant.handle(pseudonym, text)
        result = {
            "language": assistant.language_of(pseudonym),
            "messages": [webchat.render(r).as_json() for r in replies],
        }
        return with_cookie(JSONResponse(result), token)

    return app
