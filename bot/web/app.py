"""The gateway: one ASGI app (FastAPI) for the channels, Rasa's NLG endpoint and health.

`create_app` only wires: it builds the words (needed before anything starts), and in its
lifespan the long-lived services and each channel's running parts; every route lives in its
own module and gets what it needs through typed dependencies (bot/web/dependencies.py).
No side effects at import; run with `uvicorn --factory bot.web.app:create_app`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from bot import logs, observability
from bot.channels.telegram import routes as telegram_routes
from bot.channels.telegram import runtime as telegram_runtime
from bot.channels.webchat import routes as webchat_routes
from bot.channels.whatsapp import routes as whatsapp_routes
from bot.clock import Clock, system_clock
from bot.config import Settings, get_settings
from bot.store.db import upgrade
from bot.web import health, metrics, nlg
from bot.web.limits import BodyLimits, LimitBodies
from bot.web.services import Services, Words
from bot.workspace.pages import PREFIX
from bot.workspace.routes import transfer
from bot.workspace.web import MAX_FORM_BYTES, create_workspace

# The largest body each route takes, each number its owner's; anything else: 64 kB.
BODY_LIMITS = BodyLimits(
    {
        "/webhooks/whatsapp": whatsapp_routes.MAX_FORM_BYTES,
        telegram_runtime.PATH: telegram_routes.MAX_UPDATE_BYTES,
        "/chat": webchat_routes.MAX_BODY_BYTES,
        "/nlg": nlg.MAX_TRACKER_BYTES,
        PREFIX: MAX_FORM_BYTES,
        f"{PREFIX}/transfer": transfer.MAX_BODY_BYTES,
    }
)


def create_app(settings: Settings | None = None, clock: Clock = system_clock) -> FastAPI:
    settings = settings or get_settings()
    logs.configure(settings.log_format)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        upgrade(settings.database_url)
        async with httpx.AsyncClient() as http:
            services = Services.build(settings, app.state.words, http, clock)
            app.state.services = services
            app.state.whatsapp = whatsapp_routes.start(services)
            async with telegram_runtime.running(services) as telegram:
                app.state.telegram = telegram
                loops = [
                    asyncio.create_task(services.outbox.run()),
                    asyncio.create_task(services.replier.run()),
                ]
                if services.pipeline.handoff is not None:
                    escalating = services.pipeline.handoff.keep_escalating(
                        clock, services.outbox.wake
                    )
                    loops.append(asyncio.create_task(escalating))
                try:
                    yield
                finally:
                    for loop in loops:
                        loop.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await asyncio.gather(*loops)
                    app.state.telegram = None

    app = FastAPI(title="Route assistant gateway", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.add_middleware(LimitBodies, limits=BODY_LIMITS)
    app.state.settings = settings
    app.state.words = Words.build(settings)
    observability.watch_outbox(metrics.outbox_depth(app.state.words.readers))
    app.mount("/static", webchat_routes.static_files, name="static")
    app.mount(PREFIX, create_workspace(settings, app.state.words.languages, clock))
    for router in (
        health.router,
        metrics.router,
        nlg.router,
        webchat_routes.router,
        whatsapp_routes.router,
        telegram_routes.router,
    ):
        app.include_router(router)
    return app
