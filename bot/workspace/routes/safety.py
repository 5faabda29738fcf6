"""The safety rules pages (/admin/safety): the emergency patterns, the child-alone patterns and
the gazetteer, edited by admins (issue 14, item 3).

Why a plain text editor: these documents are lists of patterns and places with comments that
explain every choice; a form per pattern would lose the comments and hide the context. The
page makes up for it with checks before anything is saved (bot/safety/documents.py): the text
must build with the gateway's own code, and the patterns must still catch every labelled
emergency the rules in use catch; "Check" shows the figures without saving. A saved version
is used from the next message on every gateway process (SafetyRules refreshes from the store).

Admins only (Action.EDIT_SAFETY), every page: the rules are the same for every organisation.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from babel.dates import format_datetime
from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response
from wtforms import HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from bot.rulefile import RuleFileError
from bot.safety import documents
from bot.safety.documents import (
    GAZETTEER_DOCUMENT,
    NAMES,
    CheckResult,
    NothingChanged,
    SaveConflict,
    WouldMiss,
)
from bot.store.db import as_utc
from bot.store.models import SafetyDocument, SafetyDocumentVersion
from bot.workspace import i18n
from bot.workspace.i18n import N_
from bot.workspace.i18n import gettext as _
from bot.workspace.pages import PREFIX, CsrfForm, Refused, Visit, VisitDep, blank_form, form_from
from bot.workspace.pages import render as render_page
from bot.workspace.permissions import Action

router = APIRouter()

MAX_TEXT_CHARS = 400_000  # the emergency file is about 40,000; room to grow, not a dump
# What each document is, in words a partner uses (translated where shown).
TITLES = {
    documents.EMERGENCY_DOCUMENT: N_("Emergency patterns"),
    documents.MINOR_ALONE_DOCUMENT: N_("Child alone patterns"),
    GAZETTEER_DOCUMENT: N_("Places (gazetteer)"),
}
PURPOSES = {
    documents.EMERGENCY_DOCUMENT: N_(
        "Words and phrases that make the assistant answer at once with emergency numbers, "
        "before anything else, even when the language model is not running."
    ),
    documents.MINOR_ALONE_DOCUMENT: N_(
        "Phrases by which a child travelling alone says so: they get the child-protection "
        "answer and the offer of a person first."
    ),
    GAZETTEER_DOCUMENT: N_(
        "Countries, towns and border posts on the route, and every way people write them: "
        "the assistant uses them to give the answer for the right country."
    ),
}
MEASURES = {
    "emergencies": N_("Emergencies recognised"),
    "medical": N_("Medical emergencies sent to the emergency room first"),
    "children_alone": N_("Children alone recognised"),
}
_DONE = {
    "saved": N_(
        "Saved. From the next message, every part of the assistant uses this version "
        "(within a few seconds)."
    ),
    "restored": N_(
        "The old version is in use again, as a new version. From the next message, every part "
        "of the assistant uses it (within a few seconds)."
    ),
}


class EditForm(CsrfForm):
    text = TextAreaField(N_("The rules, as text"), validators=[Length(max=MAX_TEXT_CHARS)])
    base_version = HiddenField()
    note = StringField(
        N_("What you changed and why (for the history)"), validators=[Optional(), Length(max=300)]
    )


class RestoreForm(CsrfForm):
    version = IntegerField()
    base_version = IntegerField()


# --- pages -------------------------------------------------------------------------------------


@router.get("/safety")
def safety_list(request: Request, visit: VisitDep) -> Response:
    visit.require(Action.EDIT_SAFETY)
    rows = {row.name: row for row in visit.db.query(SafetyDocument)}
    listing = [(name, rows.get(name)) for name in NAMES]
    return _render(request, visit, "safety.html", listing=listing)


@router.get("/safety/{name}")
def safety_editor(
    request: Request,
    visit: VisitDep,
    name: str,
    done: str | None = None,
    a: int | None = None,
    b: int | None = None,
) -> Response:
    visit.require(Action.EDIT_SAFETY)
    seed = _seed(visit, name)
    version, text = documents.current_text(visit.db, name, seed)
    form = blank_form(request, EditForm, text=text, base_version=str(version))
    return _editor(request, visit, name, form, done=_DONE.get(done or ""), compare=(a, b))


@router.post("/safety/{name}")
async def safety_post(request: Request, visit: VisitDep, name: str) -> Response:
    """ "Check" shows the figures of the posted text; "Save" checks again and saves it."""
    form = await form_from(request, EditForm)
    visit.require(Action.EDIT_SAFETY)
    seed = _seed(visit, name)
    posted = await request.form()
    text = (form.text.data or "").replace("\r\n", "\n")
    if form.errors:
        return _editor(request, visit, name, form, 400, error=_("The text is too long."))
    if posted.get("action") != "save":
        return _checked(request, visit, name, form, text, seed)
    try:
        documents.save(
            visit.db,
            visit.account,
            name,
            text,
            _number(form.base_version.data),
            visit.workspace.now(),
            seed_path=seed,
            note=form.note.data or None,
            languages=documents.known_languages(visit.workspace.languages),
        )
    except SaveConflict as conflict:
        visit.db.rollback()
        return _conflict(request, visit, name, form, conflict, text)
    except (RuleFileError, WouldMiss, NothingChanged) as refusal:
        visit.db.rollback()
        return _refused(request, visit, name, form, refusal)
    visit.db.commit()
    return RedirectResponse(f"{PREFIX}/safety/{name}?done=saved", status_code=303)


@router.post("/safety/{name}/restore")
async def safety_restore(request: Request, visit: VisitDep, name: str) -> Response:
    form = await form_from(request, RestoreForm)
    visit.require(Action.EDIT_SAFETY)
    seed = _seed(visit, name)
    if form.version.data is None or form.base_version.data is None:
        raise Refused(_("Choose a version to restore."), status_code=400)
    try:
        documents.restore(
            visit.db,
            visit.account,
            name,
            form.version.data,
            form.base_version.data,
            visit.workspace.now(),
            seed_path=seed,
            languages=documents.known_languages(visit.workspace.languages),
        )
    except KeyError:
        raise Refused(_("There is no such version."), status_code=404) from None
    except SaveConflict as conflict:
        visit.db.rollback()
        version, text = documents.current_text(visit.db, name, seed)
        edit = blank_form(request, EditForm, text=text, base_version=str(version))
        return _editor(request, visit, name, edit, 409, error=_conflict_sentence(conflict))
    except (RuleFileError, WouldMiss, NothingChanged) as refusal:
        visit.db.rollback()
        text = documents.old_text(visit.db, name, form.version.data, seed) or ""
        version = documents.current_text(visit.db, name, seed)[0]
        edit = blank_form(request, EditForm, text=text, base_version=str(version))
        return _refused(request, visit, name, edit, refusal)
    visit.db.commit()
    return RedirectResponse(f"{PREFIX}/safety/{name}?done=restored", status_code=303)


# --- what the editor shows -----------------------------------------------------------------


def _checked(
    request: Request, visit: Visit, name: str, form: EditForm, text: str, seed: Path
) -> Response:
    """The figures of a text against the version in use, nothing saved."""
    current = documents.current_text(visit.db, name, seed)[1]
    try:
        result = documents.check(
            name, text, current, documents.known_languages(visit.workspace.languages)
        )
    except RuleFileError as error:
        return _editor(request, visit, name, form, 400, error=error.describe(i18n.gettext))
    return _editor(request, visit, name, form, result=result)


def _refused(
    request: Request,
    visit: Visit,
    name: str,
    form: EditForm,
    refusal: RuleFileError | WouldMiss | NothingChanged,
) -> Response:
    if isinstance(refusal, NothingChanged):
        message = _("Nothing was saved: this text is the version in use already.")
        return _editor(request, visit, name, form, 400, error=message)
    if isinstance(refusal, WouldMiss):
        return _editor(request, visit, name, form, 400, result=refusal.result, tried_to_save=True)
    error = _("Nothing was saved.") + " " + refusal.describe(i18n.gettext)
    return _editor(request, visit, name, form, 400, error=error)


def _conflict(
    request: Request, visit: Visit, name: str, form: EditForm, conflict: SaveConflict, text: str
) -> Response:
    """Someone saved first: their change against the version this admin started from, and
    this admin's text kept in the editor, now based on theirs (saving again is a choice)."""
    seed = _seed(visit, name)
    started = _number(form.base_version.data)
    theirs = documents.current_text(visit.db, name, seed)[1]
    before = documents.old_text(visit.db, name, started, seed) or ""
    form.text.data = text
    form.base_version.data = str(conflict.version)
    return _editor(
        request,
        visit,
        name,
        form,
        409,
        error=_conflict_sentence(conflict),
        their_changes=documents.diff(before, theirs),
    )


def _conflict_sentence(conflict: SaveConflict) -> str:
    theirs = conflict.theirs
    who = theirs.author.username if theirs is not None and theirs.author else _("someone")
    return _(
        "Your change was not saved: %(who)s saved version %(version)d after you opened this "
        "page. Read their change below, add yours to the text and save again."
    ) % {"who": who, "version": conflict.version}


def _editor(
    request: Request,
    visit: Visit,
    name: str,
    form: EditForm,
    status_code: int = 200,
    *,
    done: str | None = None,
    error: str | None = None,
    result: CheckResult | None = None,
    tried_to_save: bool = False,
    their_changes: list[documents.DiffLine] | None = None,
    compare: tuple[int | None, int | None] = (None, None),
) -> Response:
    seed = _seed(visit, name)
    row = visit.db.get(SafetyDocument, name)
    versions = documents.history(visit.db, name)
    in_use = row.version if row is not None else 0
    comparison = None
    older, newer = compare
    if older is not None and newer is not None:
        a_text = documents.old_text(visit.db, name, older, seed)
        b_text = documents.old_text(visit.db, name, newer, seed)
        if a_text is not None and b_text is not None:
            comparison = (older, newer, documents.diff(a_text, b_text))
    return _render(
        request,
        visit,
        "safety_edit.html",
        status_code=status_code,
        name=name,
        form=form,
        row=row,
        in_use=in_use,
        versions=versions,
        restore_form=blank_form(request, RestoreForm),
        done=done,
        error=error,
        result=result,
        tried_to_save=tried_to_save,
        their_changes=their_changes,
        comparison=comparison,
        country_names=_country_names(visit, seed) if name == GAZETTEER_DOCUMENT else {},
    )


def _country_names(visit: Visit, seed: Path) -> dict[str, str]:
    """code -> the country's name in the workspace's language, for the gazetteer figures."""
    language = getattr(visit.request.state, "ui_language", i18n.DEFAULT_UI_LANGUAGE)
    text = documents.current_text(visit.db, GAZETTEER_DOCUMENT, seed)[1]
    try:
        built = documents.validate(
            GAZETTEER_DOCUMENT, text, documents.known_languages(visit.workspace.languages)
        )
    except RuleFileError:
        return {}
    if not isinstance(built, documents.Places):
        return {}
    gazetteer = built.gazetteer
    return {code: gazetteer.name(code, language, "en") for code in gazetteer.names}


def _render(
    request: Request, visit: Visit, template: str, status_code: int = 200, **context: Any
) -> Response:
    language = getattr(request.state, "ui_language", i18n.DEFAULT_UI_LANGUAGE)

    def when(value: dt.datetime | None) -> str:
        if value is None:
            return ""
        return format_datetime(as_utc(value), "d MMM y, HH:mm", tzinfo=dt.UTC, locale=language)

    def author(version: SafetyDocumentVersion | SafetyDocument | None) -> str:
        account = getattr(version, "author", None) or getattr(version, "updated_by", None)
        return account.username if account is not None else _("someone")

    return render_page(
        request,
        template,
        visit,
        status_code=status_code,
        titles=TITLES,
        purposes=PURPOSES,
        measures=MEASURES,
        when=when,
        author=author,
        gazetteer_name=GAZETTEER_DOCUMENT,
        language_name=i18n.language_name,
        **context,
    )


def _seed(visit: Visit, name: str) -> Path:
    """The seed file of a document; an unknown name is a page that does not exist."""
    seeds = documents.seed_paths(visit.workspace.settings)
    if name not in seeds:
        raise Refused(_("There is no such page."), status_code=404)
    return seeds[name]


def _number(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise Refused(_("This form is incomplete. Reload the page and try again."), 400) from None
