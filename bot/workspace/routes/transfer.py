"""Workspace pages: import and export (issue 14, point 9).

GET  /transfer                      the page: downloads, and the two upload forms
GET  /transfer/export?what=...      a download: yaml (a zip of content files), po or xliff
POST /transfer/translation          a translated PO/XLIFF file -> its preview, or its problems
POST /transfer/translation/apply    store the previewed translation (new versions in review)
POST /transfer/yaml                 content files (.yml or .zip) -> preview, or problems
POST /transfer/yaml/apply           store the previewed content files

Between the preview and the apply the workspace keeps nothing: the preview's form carries the
file back, compressed and sealed with an HMAC of the workspace's secret bound to the account,
the kind of import and the file name, so the browser cannot swap it. The apply then plans the
file again against the store as it is at that moment and compares the plan's fingerprint with
the one that was shown: if somebody changed a text in between, the person sees the new preview
instead of storing something they did not see. Why not keep the upload on the server: a table
or a file under var/ needs cleaning up and breaks when the gateway runs several processes or
machines; the session cookie is too small. Re-checking everything is cheap and the plan is
all-or-nothing anyway.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal

from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response
from wtforms import FileField, HiddenField

from bot.languages import fold
from bot.store.models import Organisation, RevisionStatus
from bot.workspace import audit, exchange, truth
from bot.workspace.i18n import N_, ngettext
from bot.workspace.i18n import gettext as _
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
from bot.workspace.revisions import WorkflowError
from bot.workspace.transfer import TransferError

router = APIRouter()

Kind = Literal["translation", "yaml"]

# What importing content files does: create items, write the source language and the others,
# change item settings, send for review. Only a role with all of these may (admins).
YAML_IMPORT_NEEDS = (
    Action.IMPORT,
    Action.CREATE_ITEM,
    Action.EDIT_SOURCE,
    Action.TRANSLATE,
    Action.EDIT_SETTINGS,
    Action.SUBMIT,
)
# A body larger than this is refused before it is read: the file, plus the form around it.
_FORM_OVERHEAD_BYTES = 64 * 1024
# The apply form carries the file compressed and in base64 (a zip does not compress: 4/3 of
# 2 MB); Starlette's default limit for one form field is 1 MB.
APPLY_MAX_BYTES = 3 * 1024 * 1024
# The largest body these routes take (the gateway caps every body: bot/web/limits.py); the
# routes' own checks answer first, with a page a partner can read.
MAX_BODY_BYTES = APPLY_MAX_BYTES + _FORM_OVERHEAD_BYTES
_FILENAME_MAX_CHARS = 120

_FIELD_WORDS = {
    "title": N_("Title"),
    "body": N_("Text"),
    "options": N_("Buttons"),
    "sources": N_("Sources"),
}
_FACT_WORDS = {"phone": N_("phone number"), "url": N_("web address"), "amount": N_("amount")}
_SETTING_WORDS = {
    "sample": N_("Sample text"),
    "needs_review": N_("Needs a partner's review"),
    "review_note": N_("Review note"),
    "checked_on": N_("Sources checked on"),
}


class UploadForm(CsrfForm):
    upload = FileField(N_("File"))


class ApplyForm(CsrfForm):
    """The previewed file, sealed; the fingerprint of the plan that was shown."""

    filename = HiddenField()
    payload = HiddenField()
    seal = HiddenField()
    fingerprint = HiddenField()


class _Problem(Exception):
    """An upload refused before it is read as a file (none chosen, too large)."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


# --- the page and the downloads --------------------------------------------------------------


def _may_import_yaml(visit: Visit) -> bool:
    return all(visit.can(action) for action in YAML_IMPORT_NEEDS)


def _require(visit: Visit, kind: Kind) -> None:
    for action in YAML_IMPORT_NEEDS if kind == "yaml" else (Action.IMPORT,):
        visit.require(action)


def _target_languages(visit: Visit) -> list[tuple[str, str]]:
    languages = visit.workspace.languages
    return [(code, languages.names[code]) for code in languages.codes if code != languages.default]


def _done_message(done: str | None, count: int) -> str | None:
    if done in ("translation", "yaml"):
        return ngettext(
            "%(num)d change was sent for review. A reviewer of your organisation publishes "
            "it; until then people get the text as before.",
            "%(num)d changes were sent for review. A reviewer of your organisation publishes "
            "them; until then people get the texts as before.",
            count,
        ) % {"num": count}
    if done == "nothing":
        return _("The file changed nothing: every text in it is already the same.")
    return None


def _page(
    request: Request,
    visit: Visit,
    *,
    status_code: int = 200,
    problem: str | None = None,
    done: str | None = None,
    count: int = 0,
) -> Response:
    items = exchange.organisation_items(visit.db, visit.account.organisation_id)
    return render(
        request,
        "transfer.html",
        visit,
        status_code=status_code,
        item_count=len(items),
        source_language=visit.workspace.languages.names[visit.workspace.languages.default],
        target_languages=_target_languages(visit),
        translation_form=blank_form(request, UploadForm),
        yaml_form=blank_form(request, UploadForm),
        may_import_yaml=_may_import_yaml(visit),
        max_mb=exchange.UPLOAD_MAX_BYTES // (1024 * 1024),
        problem=problem,
        done_message=_done_message(done, count),
    )


@router.get("/transfer")
def transfer_page(
    request: Request, visit: VisitDep, done: str | None = None, count: int = 0
) -> Response:
    visit.require(Action.EXPORT)
    return _page(request, visit, done=done, count=count)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-") or "organisation"


@router.get("/transfer/export")
def export(
    request: Request, visit: VisitDep, what: str = "yaml", language: str | None = None
) -> Response:
    """A download of the organisation's items; the file name says whose, which language and
    which day, so that a translator's folder of files stays readable."""
    visit.require(Action.EXPORT)
    workspace = visit.workspace
    now = workspace.now()
    items = exchange.organisation_items(visit.db, visit.account.organisation_id)
    stem = f"{_slug(visit.account.organisation.name)}"
    content: str | bytes
    if what == "yaml":
        content, count = exchange.yaml_zip(items, now)
        name, media_type = f"{stem}-content-{now.date()}.zip", "application/zip"
        detail = f"{count} topic files"
    elif what in ("po", "xliff"):
        if language not in dict(_target_languages(visit)):
            raise Refused(_("Choose the language of the translation."), status_code=400)
        names = exchange.country_names(
            workspace.settings.gazetteer_path, workspace.languages.default, "en"
        )
        content, count = exchange.translation_file(
            items, language, workspace.languages, names, "po" if what == "po" else "xliff"
        )
        if what == "po":
            name, media_type = f"{stem}-{language}-{now.date()}.po", "text/x-gettext-translation"
        else:
            name, media_type = f"{stem}-{language}-{now.date()}.xlf", "application/xliff+xml"
        detail = f"{count} texts"
    else:
        raise Refused(_("There is no such download."), status_code=400)
    audit.record(visit.db, visit.account, "export", f"{what} {language or 'all'}", detail, now=now)
    visit.db.commit()
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- uploads ---------------------------------------------------------------------------------


def _refuse_large_body(request: Request, limit: int) -> None:
    """Refuse by the announced length, before a large body is read and spooled to disk."""
    try:
        length = int(request.headers.get("content-length", "0"))
    except ValueError:
        length = 0
    if length > limit:
        raise _Problem(_too_large(), 413)


def _too_large() -> str:
    return _(
        "This file is larger than %(mb)d MB, so it was not read. Export fewer texts at a "
        "time (one language per file), or split the zip into smaller ones."
    ) % {"mb": exchange.UPLOAD_MAX_BYTES // (1024 * 1024)}


async def _read_upload(form: UploadForm) -> tuple[str, bytes]:
    upload = form.upload.data
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise _Problem(_("Choose a file first."), 400)
    data = await upload.read(exchange.UPLOAD_MAX_BYTES + 1)
    if len(data) > exchange.UPLOAD_MAX_BYTES:
        raise _Problem(_too_large(), 413)
    if not data:
        raise _Problem(_("This file is empty."), 400)
    name = PurePosixPath(upload.filename.replace("\\", "/")).name
    return name[-_FILENAME_MAX_CHARS:] or "upload", data


def _seal(visit: Visit, kind: Kind, filename: str, payload: str) -> str:
    message = "\n".join((kind, str(visit.account.id), filename, payload)).encode()
    return hmac.new(visit.workspace.key_for("transfer-file"), message, hashlib.sha256).hexdigest()


def _sealed_fields(visit: Visit, kind: Kind, filename: str, data: bytes) -> dict[str, str]:
    payload = base64.b64encode(zlib.compress(data, 9)).decode("ascii")
    return {"filename": filename, "payload": payload, "seal": _seal(visit, kind, filename, payload)}


def _unsealed(visit: Visit, kind: Kind, form: ApplyForm) -> tuple[str, bytes]:
    filename, payload = form.filename.data or "", form.payload.data or ""
    expected = _seal(visit, kind, filename, payload)
    if not hmac.compare_digest(expected, form.seal.data or ""):
        raise Refused(_("This preview was not made by the workspace. Upload the file again."), 400)
    try:
        unpacker = zlib.decompressobj()
        data = unpacker.decompress(base64.b64decode(payload), exchange.UPLOAD_MAX_BYTES + 1)
    except (binascii.Error, zlib.error):
        raise Refused(_("Upload the file again."), 400) from None
    return filename, data


def _plan(visit: Visit, kind: Kind, filename: str, data: bytes) -> exchange.Plan:
    """The import planned against the store now; TransferError lists what is wrong."""
    organisation_id = visit.account.organisation_id
    languages = visit.workspace.languages
    if kind == "translation":
        return exchange.plan_translation(visit.db, organisation_id, languages, data, filename)

    def owner(organisation: int | None) -> str:
        found = visit.db.get(Organisation, organisation) if organisation is not None else None
        return found.name if found is not None else _("no organisation")

    return exchange.plan_yaml(visit.db, organisation_id, languages, data, filename, owner)


def _problems(
    request: Request,
    visit: Visit,
    filename: str,
    problems: tuple[str, ...] | list[str],
    status_code: int = 400,
) -> Response:
    return render(
        request,
        "transfer_problems.html",
        visit,
        status_code=status_code,
        filename=filename,
        problems=problems,
    )


async def _upload(request: Request, visit: Visit, kind: Kind) -> Response:
    try:
        _refuse_large_body(request, exchange.UPLOAD_MAX_BYTES + _FORM_OVERHEAD_BYTES)
        form = await form_from(request, UploadForm)
        _require(visit, kind)
        filename, data = await _read_upload(form)
    except _Problem as problem:
        return _page(request, visit, status_code=problem.status_code, problem=str(problem))
    return _preview(request, visit, kind, filename, data)


@router.post("/transfer/translation")
async def translation_preview(request: Request, visit: VisitDep) -> Response:
    return await _upload(request, visit, "translation")


@router.post("/transfer/yaml")
async def yaml_preview(request: Request, visit: VisitDep) -> Response:
    return await _upload(request, visit, "yaml")


@router.post("/transfer/translation/apply")
async def translation_apply(request: Request, visit: VisitDep) -> Response:
    return await _apply(request, visit, "translation")


@router.post("/transfer/yaml/apply")
async def yaml_apply(request: Request, visit: VisitDep) -> Response:
    return await _apply(request, visit, "yaml")


async def _apply(request: Request, visit: Visit, kind: Kind) -> Response:
    """Plan the sealed file again; store it only if it is still what the person saw."""
    try:
        _refuse_large_body(request, APPLY_MAX_BYTES + _FORM_OVERHEAD_BYTES)
    except _Problem as problem:
        return _page(request, visit, status_code=problem.status_code, problem=str(problem))
    await request.form(max_part_size=APPLY_MAX_BYTES)  # parsed once; form_from reuses it
    form = await form_from(request, ApplyForm)
    _require(visit, kind)
    filename, data = _unsealed(visit, kind, form)
    try:
        planned = _plan(visit, kind, filename, data)
    except TransferError as error:
        return _problems(request, visit, filename, error.problems)
    if planned.fingerprint != form.fingerprint.data:
        return _show(request, visit, kind, filename, data, planned, changed_since=True)
    if not planned.count:
        return RedirectResponse(f"{PREFIX}/transfer?done=nothing", status_code=303)
    workspace = visit.workspace
    try:
        applied = exchange.apply(
            visit.db,
            visit.account,
            planned,
            languages=workspace.languages,
            now=workspace.now(),
            filename=filename,
        )
    except WorkflowError as error:
        visit.db.rollback()
        return _problems(request, visit, filename, [str(error)], status_code=409)
    visit.db.commit()
    return RedirectResponse(
        f"{PREFIX}/transfer?done={kind}&count={applied.versions + applied.settings}",
        status_code=303,
    )


# --- the preview -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldView:
    """One part of one text, today and after the import, with its facts highlighted."""

    label: str
    before: Markup | None  # None: nothing there today
    after: Markup
    facts: list[str]  # "Removed phone number: 192"


@dataclass(frozen=True)
class ChangeView:
    heading: str  # "trafficking · Panama"
    language: str  # "Kreyòl (ht)"
    new_item: bool
    new_language: bool
    waiting: str | None
    fields: list[FieldView]


def _field_text(texts: exchange.Texts | None, name: str) -> str | None:
    if texts is None:
        return None
    if name == "options":
        return "\n".join(f"{o['title']} ({o['payload']})" for o in texts.options)
    if name == "sources":
        return "\n".join(f"{s['title']} {s['url']}" for s in texts.sources)
    return getattr(texts, name)


def _field_view(change: exchange.Change, name: str) -> FieldView:
    before = _field_text(change.before, name)
    after = _field_text(change.after, name) or ""
    facts = truth.changes(before or "", after)
    removed = {fact.value for fact in facts if fact.change == "removed"}
    added = {fact.value for fact in facts if fact.change == "added"}
    words = [
        (
            _("Removed %(kind)s: %(value)s")
            if fact.change == "removed"
            else _("Added %(kind)s: %(value)s")
        )
        % {"kind": _(_FACT_WORDS[fact.kind]), "value": fact.value}
        for fact in facts
    ]
    return FieldView(
        label=_(_FIELD_WORDS[name]),
        before=truth.highlight(before, removed) if before else None,
        after=truth.highlight(after, added),
        facts=words,
    )


def _waiting_sentence(kind: Kind, waiting: exchange.Waiting | None) -> str | None:
    if waiting is None:
        return None
    status = _("waiting for review") if waiting.status == RevisionStatus.IN_REVIEW else _("a draft")
    values = {"number": waiting.number, "status": status, "author": waiting.author or _("somebody")}
    if kind == "translation":
        return (
            _(
                "Version %(number)s of this text is not published yet (%(status)s, by %(author)s). "
                "The import replaces it by a new version with the file's translation; its other "
                "changes are kept."
            )
            % values
        )
    return (
        _(
            "Version %(number)s of this text is not published yet (%(status)s, by %(author)s). "
            "The import replaces it by the text of the file."
        )
        % values
    )


def _views(visit: Visit, kind: Kind, planned: exchange.Plan) -> list[ChangeView]:
    workspace = visit.workspace
    ui_language = getattr(visit.request.state, "ui_language", "en")
    country = exchange.country_names(workspace.settings.gazetteer_path, ui_language, "en")
    names = workspace.languages.names
    return [
        ChangeView(
            heading=f"{change.topic} · {country(change.country)}",
            language=f"{names.get(change.language, change.language)} ({change.language})",
            new_item=change.item_id is None,
            new_language=change.before is None,
            waiting=_waiting_sentence(kind, change.waiting),
            fields=[_field_view(change, name) for name in change.fields],
        )
        for change in planned.changes
    ]


def _settings_views(visit: Visit, planned: exchange.Plan) -> list[tuple[str, str, str, str]]:
    ui_language = getattr(visit.request.state, "ui_language", "en")
    country = exchange.country_names(visit.workspace.settings.gazetteer_path, ui_language, "en")

    def shown(value: object) -> str:
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        return "—" if value in (None, "") else str(value)

    return [
        (
            f"{setting.topic} · {country(setting.country)}",
            _(_SETTING_WORDS[name]),
            shown(today),
            shown(wanted),
        )
        for setting in planned.settings
        for name, (today, wanted) in setting.changes.items()
    ]


def _preview(request: Request, visit: Visit, kind: Kind, filename: str, data: bytes) -> Response:
    try:
        planned = _plan(visit, kind, filename, data)
    except TransferError as error:
        return _problems(request, visit, filename, error.problems)
    return _show(request, visit, kind, filename, data, planned)


def _show(
    request: Request,
    visit: Visit,
    kind: Kind,
    filename: str,
    data: bytes,
    planned: exchange.Plan,
    *,
    changed_since: bool = False,
) -> Response:
    apply_form = blank_form(
        request,
        ApplyForm,
        fingerprint=planned.fingerprint,
        **_sealed_fields(visit, kind, filename, data),
    )
    language = visit.workspace.languages.names.get(planned.language or "", "")
    return render(
        request,
        "transfer_preview.html",
        visit,
        status_code=409 if changed_since else 200,
        kind=kind,
        filename=filename,
        plan=planned,
        language=language,
        views=_views(visit, kind, planned),
        settings_views=_settings_views(visit, planned),
        apply_form=apply_form,
        apply_path=f"{PREFIX}/transfer/{kind}/apply",
        changed_since=changed_since,
    )
