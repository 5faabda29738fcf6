"""The audit log (/admin/audit): who of the organisation did what, to what, and when.

Why plain words: the log answers "who changed the Kreyòl number last Tuesday?" for an admin
who is not a programmer, so each action has a translated label ("published", "sent back") and
a target naming a revision becomes "Trafficking · Panama, Kreyòl, version 3" with a link.
Only the organisation's own lines are read (bot/workspace/audit.py `recent`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from bot.store.models import AuditEntry, ContentItem
from bot.workspace import audit, review
from bot.workspace.i18n import N_
from bot.workspace.i18n import gettext as _
from bot.workspace.pages import PREFIX, VisitDep, render
from bot.workspace.permissions import Action
from bot.workspace.routes.review import names_for

router = APIRouter()

PER_PAGE = 50

# What each action written by the workspace is called on the page; an action missing here is
# shown by its name, with spaces, rather than hidden.
ACTION_WORDS: dict[str, str] = {
    "save": N_("saved a draft"),
    "submit": N_("sent for review"),
    "publish": N_("published"),
    "send_back": N_("sent back to its author"),
    "archive": N_("archived"),
    "restore": N_("restored an old version"),
    "create_item": N_("created an item"),
    "item_settings": N_("changed the settings of an item"),
    "settings": N_("changed the settings of an item"),
    "adopt": N_("took over a sample item"),
    "import": N_("imported a file"),
    "export": N_("exported texts"),
    "add_number": N_("added a verified number"),
    "remove_number": N_("removed a verified number"),
    "save_phrase": N_("changed a phrase of the assistant"),
    "edit_glossary": N_("changed the glossary for machine drafts"),
    "create_account": N_("created an account"),
    "change_role": N_("changed a role"),
    "deactivate_account": N_("switched an account off"),
    "reactivate_account": N_("switched an account back on"),
    "edit_organisation": N_("changed the organisation's settings"),
    "create_organisation": N_("created an organisation"),
}

_FROM_VERSION = re.compile(r"^from r(\d+)$")
_ITEM_TARGET = re.compile(r"^item (\d+)$")
_DETAIL_WORDS = {
    "new language": N_("a new language"),
    "confirmed differences": N_("confirmed that the languages give different numbers"),
}


@dataclass(frozen=True)
class Line:
    """One audit entry as the page shows it."""

    entry: AuditEntry
    who: str
    what: str
    target: str
    link: str | None
    detail: str | None


@router.get("/audit")
def audit_log(request: Request, visit: VisitDep, page: str | None = None) -> Response:
    visit.require(Action.VIEW_AUDIT)
    number = int(page) if page and page.isdigit() and int(page) > 0 else 1
    start = (number - 1) * PER_PAGE
    # One more than the page holds tells whether an older page exists.
    found = audit.recent(visit.db, visit.account.organisation_id, limit=start + PER_PAGE + 1)
    entries = found[start : start + PER_PAGE]
    names = names_for(request, visit)
    items = _items(visit.db, visit.account.organisation_id, entries)
    return render(
        request,
        "audit.html",
        visit,
        lines=[_line(entry, items, names) for entry in entries],
        page=number,
        older=len(found) > start + PER_PAGE,
        names=names,
    )


def _items(db: Session, organisation_id: int, entries: list[AuditEntry]) -> dict[int, ContentItem]:
    """The organisation's items the entries name, in one query."""
    ids = {target[0] for target in map(_item_of, entries) if target is not None}
    if not ids:
        return {}
    return {
        item.id: item
        for item in db.scalars(
            select(ContentItem).where(
                ContentItem.id.in_(ids), ContentItem.organisation_id == organisation_id
            )
        )
    }


def _item_of(entry: AuditEntry) -> tuple[int, str | None, int | None] | None:
    """(item id, language, version) of a target naming an item or one of its versions."""
    revision = review.revision_target(entry.target)
    if revision is not None:
        return revision
    found = _ITEM_TARGET.match(entry.target)
    return (int(found[1]), None, None) if found else None


def _line(entry: AuditEntry, items: dict[int, ContentItem], names: review.Names) -> Line:
    words = ACTION_WORDS.get(entry.action)
    what = _(words) if words else entry.action.replace("_", " ")
    target, link = entry.target, None
    named = _item_of(entry)
    if named is not None and named[0] in items:
        item_id, language, number = named
        target = names.item(items[item_id])
        link = f"{PREFIX}/items/{item_id}"
        if language is not None:
            target = _("%(item)s, %(language)s, version %(number)s") % {
                "item": target,
                "language": names.language(language),
                "number": number,
            }
            link = f"{PREFIX}/items/{item_id}/{language}/history#version-{number}"
    return Line(entry, names.account(entry.account), what, target, link, _detail(entry.detail))


def _detail(detail: str | None) -> str | None:
    if not detail:
        return None
    if found := _FROM_VERSION.match(detail):
        return _("from version %(number)s") % {"number": found[1]}
    words = _DETAIL_WORDS.get(detail)
    return _(words) if words else detail
