"""The workspace as its own ASGI app, mounted by the gateway at /admin.

Why a mounted app: the workspace's middleware (signed session cookies) and error pages stay
in its room and never touch the channels' routes; the gateway only mounts it. Sessions are
Starlette's SessionMiddleware (itsdangerous-signed cookie: HttpOnly, SameSite=Strict, Secure,
path /admin), CSRF tokens are WTForms' (bot/workspace/pages.py), passwords Argon2.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import RedirectResponse, Response

from bot.clock import Clock
from bot.config import Settings
from bot.languages import LanguageTable
from bot.store.db import session_factory
from bot.workspace import i18n
from bot.workspace.pages import (
    HERE,
    PREFIX,
    SESSION_HOURS,
    Refused,
    SignInNeeded,
    Workspace,
    language_for,
    render,
)
from bot.workspace.routes import ROUTERS

SESSION_COOKIE = "workspace_session"
# The largest body of a workspace form (imports excepted: routes/transfer.py MAX_BODY_BYTES):
# an item's texts or a safety document are tens of kB; Starlette takes 1 MB per field.
MAX_FORM_BYTES = 2 * 1024 * 1024


def create_workspace(settings: Settings, languages: LanguageTable, clock: Clock) -> FastAPI:
    app = FastAPI(title="Partner workspace", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.workspace = Workspace(
        settings=settings,
        sessions=session_factory(settings.database_url),
        languages=languages,
        clock=clock,
        secret=settings.resolved_workspace_secret(),
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=app.state.workspace.key_for("session").hex(),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_HOURS * 3600,
        path=PREFIX,
        same_site="strict",
        https_only=settings.workspace_secure_cookies,
    )
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="workspace-static")
    for router in ROUTERS:
        app.include_router(router)

    @app.exception_handler(SignInNeeded)
    async def _sign_in(request: Request, _error: SignInNeeded) -> Response:
        if request.method == "GET":
            return RedirectResponse(f"{PREFIX}/login", status_code=303)
        language_for(request, app.state.workspace, None)
        message = i18n.gettext("Your session has ended. Sign in again.")
        return render(request, "message.html", status_code=401, message=message)

    @app.exception_handler(Refused)
    async def _refused(request: Request, error: Refused) -> Response:
        return render(request, "message.html", status_code=error.status_code, message=str(error))

    return app
