"""What every workspace page needs: the signed-in account, its checks, and rendering.

Routes call `signed_in` (a dependency) for the account, `require` before they act, `form_from`
for a posted form whose CSRF token has been checked, and `render` for a page. Refusals are
exceptions turned into pages by the handlers in bot/workspace/web.py, so no route can forget
to answer a refusal with the right status.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, TypeVar

import jinja2
from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session, sessionmaker
from starlette.responses import Response
from wtforms import Form, StringField
from wtforms.csrf.session import SessionCSRF

from bot.clock import Clock
from bot.config import Settings
from bot.handoff.language_help import LanguageHelp
from bot.languages import LanguageTable
from bot.phrases import Phrasebook
from bot.pipeline.text import clean_text
from bot.store.models import Account, ContentItem
from bot.translation import Translator
from bot.workspace import i18n
from bot.workspace.permissions import Action, allowed

HERE = Path(__file__).resolve().parent
PREFIX = "/admin"
SESSION_ACCOUNT = "account_id"
SESSION_SIGNED_IN_AT = "signed_in_at"
SESSION_HOURS = 8
CSRF_SESSION_KEY = "csrf"  # where WTForms' SessionCSRF keeps its secret in the session

_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,
    extensions=["jinja2.ext.i18n"],
)
_environment.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
templates = Jinja2Templates(env=_environment)


@dataclass
class Workspace:
    """The workspace's long-lived parts, built once (bot/workspace/web.py)."""

    settings: Settings
    sessions: sessionmaker[Session]
    languages: LanguageTable
    clock: Clock
    secret: bytes  # signs session cookies and CSRF tokens; derived, never a default

    def key_for(self, purpose: str) -> bytes:
        """A separate key per use (cookies, CSRF, throttling) from the one secret."""
        return hmac.new(self.secret, purpose.encode(), hashlib.sha256).digest()

    @property
    def catalogs(self) -> Path:
        return self.settings.translations_dir / "admin"

    def now(self) -> dt.datetime:
        return self.clock()

    @cached_property
    def phrases(self) -> Phrasebook:
        """The assistant's own words (translations/*.po): what the inbox sends the person
        when it closes a case is said by the assistant, not by the workspace's interface."""
        return Phrasebook(self.settings.translations_dir, self.languages)

    @cached_property
    def translator(self) -> Translator:
        """The machine translation packages installed on this machine, loaded once per
        process: the inbox and the items' machine drafts share them."""
        return Translator(self.settings.translation_packages_dir)

    @cached_property
    def language_help(self) -> LanguageHelp:
        """Machine translation in the inbox, from the packages installed on this machine."""
        return LanguageHelp(self.translator)

    @property
    def answer_within(self) -> dt.timedelta:
        """A case unanswered for this long is overdue (HANDOFF_ANSWER_WITHIN_MINUTES)."""
        return dt.timedelta(minutes=self.settings.handoff_answer_within_minutes)


class SignInNeeded(Exception):
    """No account in the session: the handler sends the person to the login form."""


class Refused(Exception):
    """Signed in, but this account may not do this (403), or the form was forged (400)."""

    def __init__(self, message: str, status_code: int = 403) -> None:
        super().__init__(message)
        self.status_code = status_code


def workspace_of(request: Request) -> Workspace:
    return request.app.state.workspace


WorkspaceDep = Annotated[Workspace, Depends(workspace_of)]


@dataclass
class Visit:
    """One request of a signed-in account: who, and a store session for the request."""

    account: Account
    db: Session
    workspace: Workspace
    request: Request

    def can(self, action: Action) -> bool:
        return allowed(self.account.role, action)

    def require(self, action: Action, item: ContentItem | None = None) -> None:
        """Refuse (403) an action the role does not have, or another organisation's item."""
        if not self.can(action):
            raise Refused(i18n.gettext("Your role does not allow this."))
        if item is not None and item.organisation_id != self.account.organisation_id:
            raise Refused(i18n.gettext("This item belongs to another organisation."))


async def signed_in(request: Request, workspace: WorkspaceDep) -> Any:
    """The account of this request, or SignInNeeded; activates the account's language.

    Async on purpose: FastAPI runs a sync dependency in a worker thread, and the language
    activated there (a context variable) would be lost before the route renders."""
    account_id = request.session.get(SESSION_ACCOUNT)
    signed_at = request.session.get(SESSION_SIGNED_IN_AT, 0)
    now = workspace.now().timestamp()
    with workspace.sessions() as db:
        account = db.get(Account, account_id) if isinstance(account_id, int) else None
        if account is None or not account.active or now - signed_at > SESSION_HOURS * 3600:
            request.session.clear()
            raise SignInNeeded
        language_for(request, workspace, account)
        yield Visit(account, db, workspace, request)


VisitDep = Annotated[Visit, Depends(signed_in)]


def language_for(request: Request, workspace: Workspace, account: Account | None) -> str:
    language = i18n.choose_language(
        account.ui_language if account else None,
        request.cookies.get(i18n.LANGUAGE_COOKIE),
        request.headers.get("accept-language"),
    )
    i18n.activate(workspace.catalogs, language)
    request.state.ui_language = language
    return language


class CsrfForm(Form):
    """Every workspace form: WTForms' session CSRF token, valid for one working day."""

    class Meta:
        csrf = True
        csrf_class = SessionCSRF
        csrf_time_limit = dt.timedelta(hours=SESSION_HOURS)

        def bind_field(self, form: Form, unbound_field: Any, options: dict[str, Any]) -> Any:
            """Every field's text cleaned as the channels clean a message (no NUL, no
            control characters but tab and newline): PostgreSQL refuses a NUL, and what
            partners write reaches people."""
            if issubclass(unbound_field.field_class, StringField):  # text areas, hidden...
                options["filters"] = (*options.get("filters", ()), _clean)
            return unbound_field.bind(form=form, **options)


def _clean(value: Any) -> Any:
    return clean_text(value) if isinstance(value, str) else value


FormT = TypeVar("FormT", bound=CsrfForm)


def blank_form(request: Request, form_class: type[FormT], **data: Any) -> FormT:
    """A form to show, carrying a fresh CSRF token for this session."""
    workspace = workspace_of(request)
    meta = {"csrf_secret": workspace.key_for("csrf"), "csrf_context": request.session}
    return form_class(meta=meta, data=data or None)


async def form_from(request: Request, form_class: type[FormT]) -> FormT:
    """The posted form, refused (400) unless its CSRF token is this session's."""
    workspace = workspace_of(request)
    posted = await request.form()
    if CSRF_SESSION_KEY not in request.session:
        raise Refused(_expired(), status_code=400)
    meta = {"csrf_secret": workspace.key_for("csrf"), "csrf_context": request.session}
    form = form_class(formdata=posted, meta=meta)
    form.validate()
    if form.csrf_token.errors:
        raise Refused(_expired(), status_code=400)
    return form


def _expired() -> str:
    return i18n.gettext(
        "This form was not sent from this workspace or has expired. "
        "Go back, reload the page and try again."
    )


def render(
    request: Request,
    template: str,
    visit: Visit | None = None,
    status_code: int = 200,
    **context: Any,
) -> Response:
    """A page with what the layout needs: the account, what it may do, the language menu."""
    from bot.workspace.forms import LanguageForm, LogoutForm  # the layout's CSRF forms

    base = {
        "account": visit.account if visit else None,
        "organisation": visit.account.organisation.name if visit else None,
        "can": visit.can if visit else (lambda _action: False),
        "Action": Action,
        "ui_language": getattr(request.state, "ui_language", i18n.DEFAULT_UI_LANGUAGE),
        "ui_languages": [(code, i18n.language_name(code)) for code in i18n.UI_LANGUAGES],
        "logout_form": blank_form(request, LogoutForm) if visit else None,
        "language_form": blank_form(request, LanguageForm),
        "prefix": PREFIX,
    }
    return templates.TemplateResponse(
        request, template, {**base, **context}, status_code=status_code
    )
