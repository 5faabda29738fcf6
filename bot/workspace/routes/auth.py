"""Signing in and out, and choosing the workspace's language.

A successful login starts a new session (the old one, and any token in it, is dropped) that
lasts one working day; ten wrong passwords in a row make the next attempt wait
(bot/workspace/throttle.py), and the page says how long.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from bot.store.models import Account
from bot.workspace import i18n
from bot.workspace.accounts import log_in
from bot.workspace.forms import LanguageForm, LoginForm, LogoutForm
from bot.workspace.pages import (
    PREFIX,
    SESSION_ACCOUNT,
    SESSION_SIGNED_IN_AT,
    VisitDep,
    WorkspaceDep,
    blank_form,
    form_from,
    language_for,
    render,
)

router = APIRouter()


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/login")
def login_page(request: Request, workspace: WorkspaceDep) -> Response:
    language_for(request, workspace, None)
    return render(request, "login.html", form=blank_form(request, LoginForm))


@router.post("/login")
async def login(request: Request, workspace: WorkspaceDep) -> Response:
    language_for(request, workspace, None)
    form = await form_from(request, LoginForm)
    if form.errors:
        return render(request, "login.html", status_code=400, form=form)
    with workspace.sessions() as db, db.begin():
        result = log_in(
            db,
            form.username.data or "",
            form.password.data or "",
            address=_address(request),
            throttle_key=workspace.key_for("throttle"),
            now=workspace.now(),
        )
        account_id = result.account.id if result.account else None
    if result.wait_seconds:
        message = i18n.gettext(
            "Too many wrong passwords. Wait %(seconds)d seconds, then try again."
        ) % {"seconds": result.wait_seconds}
        return render(request, "login.html", status_code=429, form=form, error=message)
    if account_id is None:
        message = i18n.gettext("Wrong user name or password.")
        return render(request, "login.html", status_code=401, form=form, error=message)
    request.session.clear()
    request.session[SESSION_ACCOUNT] = account_id
    request.session[SESSION_SIGNED_IN_AT] = int(workspace.now().timestamp())
    return RedirectResponse(f"{PREFIX}/", status_code=303)


@router.post("/logout")
async def logout(request: Request, visit: VisitDep) -> Response:
    await form_from(request, LogoutForm)
    request.session.clear()
    return RedirectResponse(f"{PREFIX}/login", status_code=303)


@router.post("/language")
async def choose_language(request: Request, workspace: WorkspaceDep) -> Response:
    """The language menu: kept in a cookie, and on the account when signed in."""
    form = await form_from(request, LanguageForm)
    language = form.language.data if form.language.data in i18n.UI_LANGUAGES else "en"
    account_id = request.session.get(SESSION_ACCOUNT)
    if isinstance(account_id, int):
        with workspace.sessions() as db, db.begin():
            account = db.get(Account, account_id)
            if account is not None:
                account.ui_language = language
    back = request.headers.get("referer") or f"{PREFIX}/"
    if not back.startswith(str(request.base_url).rstrip("/") + PREFIX):
        back = f"{PREFIX}/"
    response = RedirectResponse(back, status_code=303)
    response.set_cookie(
        i18n.LANGUAGE_COOKIE,
        language,
        max_age=365 * 24 * 3600,
        path=PREFIX,
        samesite="lax",
        httponly=True,
        secure=workspace.settings.workspace_secure_cookies,
    )
    return response
