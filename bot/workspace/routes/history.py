"""The history of one language of an item (/admin/items/{id}/{lang}/history): every saved
version, a comparison of any two, and restoring an old version as a new draft.

Why: nothing a partner writes is ever lost, and "what did this say last month?" has an answer
a non-programmer can read. Restoring makes a new draft that is reviewed like any change; it
never puts an old text back in front of people by itself (bot/workspace/revisions.py).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from bot.store.models import ContentItem, ContentRevision
from bot.workspace import i18n, review, revisions
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
from bot.workspace.routes.review import content_language, names_for, not_found, own_item

router = APIRouter()


class RestoreForm(CsrfForm):
    """Restoring is a POST with a token: a link elsewhere cannot make a draft."""


def edit_action(visit: Visit, language: str) -> Action:
    """Writing the source language is an editor's job; any other language a translator's
    (the rule revisions.restore applies)."""
    return Action.EDIT_SOURCE if language == visit.workspace.languages.default else Action.TRANSLATE


@router.get("/items/{item_id}/{language}/history")
def history(
    request: Request,
    visit: VisitDep,
    item_id: int,
    language: str,
    a: str | None = None,
    b: str | None = None,
) -> Response:
    item = own_item(visit, item_id)
    content_language(visit, language)
    visit.require(Action.VIEW, item)
    # Seed content has no saved version yet: its first one is the live text (idempotent,
    # changes nothing people get, and lets the history and comparisons start from it).
    if revisions.ensure_baseline(visit.db, item):
        visit.db.commit()
    versions = revisions.history(visit.db, item.id, language)
    by_number = {version.number: version for version in versions}
    older, newer, compare_error = _chosen(by_number, a, b)
    variant = next((v for v in item.variants if v.language == language), None)
    return render(
        request,
        "history.html",
        visit,
        item=item,
        language=language,
        versions=versions,
        older=older,
        newer=newer,
        diff=revisions.diff(older, newer) if older and newer else None,
        compare_error=compare_error,
        live_number=variant.version if review.is_live(variant) else None,
        head_number=versions[0].number if versions else None,
        can_restore=visit.can(Action.RESTORE) and visit.can(edit_action(visit, language)),
        restore_form=blank_form(request, RestoreForm),
        names=names_for(request, visit),
    )


@router.post("/items/{item_id}/{language}/restore/{number}")
async def restore(
    request: Request, visit: VisitDep, item_id: int, language: str, number: int
) -> Response:
    await form_from(request, RestoreForm)
    item = own_item(visit, item_id)
    content_language(visit, language)
    visit.require(Action.RESTORE, item)
    visit.require(edit_action(visit, language), item)
    old = _version(visit, item, language, number)
    try:
        revisions.restore(
            visit.db,
            visit.account,
            old,
            visit.workspace.now(),
            languages=visit.workspace.languages,
        )
    except revisions.NotAllowed:
        visit.db.rollback()
        raise Refused(i18n.gettext("Your role does not allow this.")) from None
    except revisions.WorkflowError:
        visit.db.rollback()
        raise Refused(
            i18n.gettext(
                "This version cannot be restored as it is: open it in the editor and copy what "
                "you need into a new version."
            ),
            409,
        ) from None
    visit.db.commit()
    return RedirectResponse(
        f"{PREFIX}/items/{item.id}/{language}/edit?done=restored", status_code=303
    )


def _version(visit: Visit, item: ContentItem, language: str, number: int) -> ContentRevision:
    found = next(
        (v for v in revisions.history(visit.db, item.id, language) if v.number == number), None
    )
    if found is None:
        raise not_found()
    return found


def _chosen(
    by_number: dict[int, ContentRevision], a: str | None, b: str | None
) -> tuple[ContentRevision | None, ContentRevision | None, str | None]:
    """The two versions to compare, the older first, from ?a=3&b=5 (either order).

    Nothing chosen: nothing compared. A number that is not a version: a plain message."""
    if not a and not b:
        return None, None, None
    try:
        first, second = by_number[int(a or "")], by_number[int(b or "")]
    except (KeyError, ValueError):
        return None, None, i18n.gettext("Choose two versions from the lists to compare them.")
    if first.number > second.number:
        first, second = second, first
    return first, second, None
