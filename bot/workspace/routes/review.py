"""The review queue and the review screen (/admin/review): publishing and sending back.

Why the screen shows so much: a reviewer approves what people in danger will read, often on a
phone. Everything that decides it is on one page: the text people get now next to the proposed
one, the lines that change (+ and −, not colour only), every number, link and amount the change
adds, removes or alters, the other languages, the numbers the languages do not share (publishing
is blocked until the reviewer confirms the difference) and the numbers nobody verified yet.
What the screen says is computed in bot/workspace/review.py; the rules are revisions.py's.

Everybody of the organisation sees the queue and the screen (editors want to know what waits);
only accounts with PUBLISH and RETURN get the buttons, and nobody approves their own change.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response
from wtforms import BooleanField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from bot.store.models import ContentItem, ContentRevision, RevisionStatus
from bot.workspace import i18n, numbers, review, revisions
from bot.workspace.i18n import N_
from bot.workspace.pages import (
    PREFIX,
    CsrfForm,
    Refused,
    Visit,
    VisitDep,
    blank_form,
    form_from,
    render,
)
from bot.workspace.permissions import Action

router = APIRouter()

NOTE_MAX_CHARS = 1000
_ON_ITS_WAY = (RevisionStatus.DRAFT.value, RevisionStatus.IN_REVIEW.value)
_DONE = {
    "sent_back": N_("The change went back to its author with your note."),
}


class PublishForm(CsrfForm):
    note = TextAreaField(
        N_("Note for the history (optional)"),
        validators=[Optional(), Length(max=NOTE_MAX_CHARS)],
    )
    confirm_differences = BooleanField(N_("I checked: this difference is right"))


class SendBackForm(CsrfForm):
    note = TextAreaField(
        N_("What should change? The author reads this."),
        validators=[
            DataRequired(N_("Say what should change, so that the author knows what to do.")),
            Length(max=NOTE_MAX_CHARS),
        ],
    )


class ArchiveForm(CsrfForm):
    """Archiving is a POST with a token, after the confirmation page."""


# --- shared by the review, history and audit pages -------------------------------------------


def not_found() -> Refused:
    """Another organisation's item or a wrong id: the same answer, which confirms nothing."""
    return Refused(i18n.gettext("This page does not exist in your organisation's workspace."), 404)


def names_for(request: Request, visit: Visit) -> review.Names:
    """How this reader's pages name items, languages and dates."""
    language = getattr(request.state, "ui_language", i18n.DEFAULT_UI_LANGUAGE)
    return review.Names(
        ui_language=language,
        time_zone=visit.account.organisation.time_zone or "UTC",
        countries=numbers.country_names(visit.workspace.settings.gazetteer_path, language),
        own_names=visit.workspace.languages.names,
    )


def own_item(visit: Visit, item_id: int) -> ContentItem:
    """One of the organisation's items, else 404."""
    item = review.item_for(visit.db, visit.account.organisation_id, item_id)
    if item is None:
        raise not_found()
    return item


def content_language(visit: Visit, language: str) -> str:
    """A language the assistant speaks, else 404 (a typed URL, not a choice on a page)."""
    if language not in visit.workspace.languages.codes:
        raise not_found()
    return language


def wrong_state() -> Refused:
    return Refused(
        i18n.gettext(
            "This change is no longer waiting for review: somebody published it or sent it "
            "back, or a newer version was saved. Open the review list again."
        ),
        409,
    )


# --- the pages --------------------------------------------------------------------------------


@router.get("/review")
def review_queue(request: Request, visit: VisitDep, done: str | None = None) -> Response:
    if not visit.can(Action.PUBLISH):
        visit.require(Action.VIEW)
    return render(
        request,
        "review_queue.html",
        visit,
        entries=review.queue(visit.db, visit.account.organisation_id),
        names=names_for(request, visit),
        done=_DONE.get(done or ""),
    )


@router.get("/review/{revision_id}")
def review_screen(request: Request, visit: VisitDep, revision_id: int) -> Response:
    if not visit.can(Action.PUBLISH):
        visit.require(Action.VIEW)
    revision = _own_revision(visit, revision_id)
    return _screen(request, visit, revision)


@router.post("/review/{revision_id}/publish")
async def publish(request: Request, visit: VisitDep, revision_id: int) -> Response:
    form = await form_from(request, PublishForm)
    revision = _own_revision(visit, revision_id)
    visit.require(Action.PUBLISH, revision.item)
    if revision.author_id == visit.account.id:
        raise Refused(i18n.gettext("You cannot approve your own change: ask another reviewer."))
    if form.errors:
        return _screen(request, visit, revision, publish_form=form, status_code=400)
    try:
        revisions.publish(
            visit.db,
            visit.account,
            revision,
            visit.workspace.now(),
            confirm_differences=bool(form.confirm_differences.data),
            note=(form.note.data or "").strip() or None,
        )
    except revisions.NumbersDiffer:
        visit.db.rollback()
        error = i18n.gettext(
            "Not published: the languages do not give the same numbers. Correct a text, or "
            "tick “I checked: this difference is right” if the difference is intended."
        )
        return _screen(request, visit, revision, publish_form=form, error=error, status_code=400)
    except revisions.WrongState:
        visit.db.rollback()
        raise wrong_state() from None
    except revisions.NotAllowed:
        visit.db.rollback()
        raise Refused(i18n.gettext("Your role does not allow this.")) from None
    visit.db.commit()
    return RedirectResponse(f"{PREFIX}/items/{revision.item_id}?done=published", status_code=303)


@router.post("/review/{revision_id}/send-back")
async def send_back(request: Request, visit: VisitDep, revision_id: int) -> Response:
    form = await form_from(request, SendBackForm)
    revision = _own_revision(visit, revision_id)
    visit.require(Action.RETURN, revision.item)
    if form.errors:
        return _screen(request, visit, revision, send_back_form=form, status_code=400)
    try:
        revisions.send_back(
            visit.db, visit.account, revision, form.note.data or "", visit.workspace.now()
        )
    except revisions.WrongState:
        visit.db.rollback()
        raise wrong_state() from None
    except revisions.NotAllowed:
        visit.db.rollback()
        raise Refused(i18n.gettext("Your role does not allow this.")) from None
    visit.db.commit()
    return RedirectResponse(f"{PREFIX}/review?done=sent_back", status_code=303)


@router.get("/items/{item_id}/{language}/archive")
def archive_page(request: Request, visit: VisitDep, item_id: int, language: str) -> Response:
    """The confirmation step: archiving takes effect at once, for everybody."""
    item = own_item(visit, item_id)
    content_language(visit, language)
    visit.require(Action.ARCHIVE, item)
    return _archive_page(request, visit, item, language)


@router.post("/items/{item_id}/{language}/archive")
async def archive(request: Request, visit: VisitDep, item_id: int, language: str) -> Response:
    await form_from(request, ArchiveForm)
    item = own_item(visit, item_id)
    content_language(visit, language)
    visit.require(Action.ARCHIVE, item)
    try:
        revisions.archive(visit.db, visit.account, item, language, visit.workspace.now())
    except revisions.WrongState:
        visit.db.rollback()
        return _archive_page(request, visit, item, language, status_code=409)
    except revisions.NotAllowed:
        visit.db.rollback()
        raise Refused(i18n.gettext("Your role does not allow this.")) from None
    visit.db.commit()
    return RedirectResponse(f"{PREFIX}/items/{item.id}?done=archived", status_code=303)


def _archive_page(
    request: Request, visit: Visit, item: ContentItem, language: str, status_code: int = 200
) -> Response:
    variant = next((v for v in item.variants if v.language == language), None)
    current = revisions.head(visit.db, item.id, language)
    return render(
        request,
        "review_archive.html",
        visit,
        status_code=status_code,
        item=item,
        language=language,
        variant=variant,
        live=review.is_live(variant),
        # Archiving takes the newest version out of use too, even a change waiting for review.
        pending=current.status if current is not None and current.status in _ON_ITS_WAY else None,
        form=blank_form(request, ArchiveForm),
        names=names_for(request, visit),
    )


def _own_revision(visit: Visit, revision_id: int) -> ContentRevision:
    revision = review.revision_for(visit.db, visit.account.organisation_id, revision_id)
    if revision is None:
        raise not_found()
    return revision


def _screen(
    request: Request,
    visit: Visit,
    revision: ContentRevision,
    *,
    publish_form: PublishForm | None = None,
    send_back_form: SendBackForm | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    """The review screen, blank or with the errors of a refused post."""
    return render(
        request,
        "review.html",
        visit,
        status_code=status_code,
        screen=review.screen(visit.db, revision),
        names=names_for(request, visit),
        own=revision.author_id == visit.account.id,
        publish_form=publish_form or blank_form(request, PublishForm),
        send_back_form=send_back_form or blank_form(request, SendBackForm),
        error=error,
    )
