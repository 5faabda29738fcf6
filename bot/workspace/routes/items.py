"""Workspace pages: the items list, one item's languages side by side, the editor with its
channel preview, adopting sample content, and sending a draft for review (issue 14).

Every page reads items through bot/workspace/items.py (an organisation's own, plus the sample
content read-only; anything else is 404) and changes texts only through
bot/workspace/revisions.py, whose refusals become pages here: NotAllowed 403, InvalidContent
400, EditConflict and WrongState 409. Every POST checks its CSRF token first, then the item,
then the role, acts, writes its audit line, commits and redirects (post/redirect/get).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from babel.dates import format_date, format_datetime
from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from bot.content.schema import (
    MAX_OPTIONS,
    OPTION_TITLE_MAX_CHARS,
    SHARE_MAX_CHARS,
    SHARE_MAX_LINES,
    TITLE_MAX_CHARS,
)
from bot.store.models import ContentItem, ContentRevision, ContentVariant, RevisionStatus
from bot.translation import PairUnavailable, SpanLost
from bot.workspace import audit, dashboard, items, machine_drafts, revisions, truth
from bot.workspace.i18n import N_
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
from bot.workspace.preview import Draft, Preview, previewer_for
from bot.workspace.revisions import EditConflict, InvalidContent, NotAllowed, WrongState

router = APIRouter()

SOURCE_ROWS = 3  # empty rows offered for sources; a text that already has more keeps them all
MOST_SOURCE_ROWS = 20
DONE = frozenset(
    {
        "adopted",
        "created",
        "saved",
        "submitted",
        "settings",
        "published",
        "archived",
        "restored",
        "machine_draft",
        "confirmed",
    }
)


# --- forms -----------------------------------------------------------------------------------


class OptionRow(Form):
    """A button: its title is the partner's words; its payload is technical and kept as is."""

    title = StringField(N_("Button title"), validators=[Length(max=200)])
    payload = HiddenField()


class SourceRow(Form):
    # The widths of content_sources (bot/store/models.py), where a published source goes.
    title = StringField(N_("Source title"), validators=[Length(max=200)])
    url = StringField(N_("Web address"), validators=[Length(max=500)])


def _unix_lines(text: str | None) -> str | None:
    """Browsers post a textarea's line breaks as CRLF; texts are stored with "\n"."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if text is not None else None


class EditForm(CsrfForm):
    title = StringField(N_("Title"))
    body = TextAreaField(N_("Text"), filters=[_unix_lines])
    # "Share this" (issue 18, item 3): the short forwardable version, reviewed with the body.
    share_text = TextAreaField(N_("Share text"), filters=[_unix_lines])
    options = FieldList(FormField(OptionRow), max_entries=MAX_OPTIONS)
    sources = FieldList(FormField(SourceRow), min_entries=SOURCE_ROWS, max_entries=MOST_SOURCE_ROWS)
    note = TextAreaField(
        N_("Note for the reviewer"), validators=[Length(max=2000)], filters=[_unix_lines]
    )
    base_number = HiddenField()
    action = StringField()  # the button pressed: "save", "submit" or "preview"


class SubmitForm(CsrfForm):
    number = HiddenField()  # the version the page showed: a newer one is not sent unseen


class AdoptForm(CsrfForm):
    """Adopting is a POST with a token, like every change."""


class MachineDraftForm(CsrfForm):
    """ "Draft a machine translation" of one language (issue 17, item 3)."""


class ConfirmForm(CsrfForm):
    """ "Still correct": the source version the translator read it against, so that a source
    published again while the page was open is not confirmed unseen."""

    source_version = HiddenField()


class NewItemForm(CsrfForm):
    # Choices are the store's topics and the gazetteer's countries, checked by items.create_item.
    topic = SelectField(N_("Topic"), validate_choice=False)
    country = SelectField(N_("Country"), validate_choice=False)


class SettingsForm(CsrfForm):
    review_by = DateField(N_("Read it again by"), validators=[Optional()])
    sample = BooleanField(N_("Sample text (not checked by a partner yet)"))
    needs_review = BooleanField(N_("Needs review"))
    review_note = TextAreaField(N_("Review note"), validators=[Length(max=2000)])


# --- what the pages show ---------------------------------------------------------------------


@dataclass
class LanguageView:
    """One language of an item on its page: what people get now, and the newest version."""

    code: str
    name: str
    variant: ContentVariant | None
    head: ContentRevision | None
    status: str
    live: bool
    differs: bool  # the newest version is not the text people get
    can_edit: bool
    can_submit: bool
    can_review: bool
    gap: dashboard.LanguageGap | None = None  # missing or outdated, by the dashboard's rule
    can_machine_draft: bool = False
    can_confirm: bool = False


def _languages_of(visit: Visit, row: items.ItemRow) -> list[LanguageView]:
    table = visit.workspace.languages
    own = row.item.organisation_id == visit.account.organisation_id
    gaps = {gap.language: gap for gap in dashboard.item_gaps(visit.db, row.item, table)}
    views = []
    for code in table.codes:
        variant, head = row.variant(code), row.heads.get(code)
        live = items.is_live(variant)
        differs = head is not None and (
            not live
            or variant is None
            or head.number != variant.version
            or head.status != RevisionStatus.PUBLISHED
        )
        status = row.status(code)
        can_edit = items.may_edit(visit.account, row.item, code, table)
        gap = gaps.get(code)
        views.append(
            LanguageView(
                code=code,
                name=table.names[code],
                variant=variant,
                head=head,
                status=status,
                live=live,
                differs=differs,
                can_edit=can_edit,
                can_submit=own
                and status == RevisionStatus.DRAFT
                and visit.can(Action.SUBMIT)
                and not (head is not None and revisions.is_unedited_machine_draft(head)),
                can_review=own and status == RevisionStatus.IN_REVIEW and visit.can(Action.PUBLISH),
                gap=gap,
                can_machine_draft=can_edit and gap is not None and code != table.default,
                can_confirm=can_edit and gap is not None and gap.kind == "outdated",
            )
        )
    return views


def _helpers(request: Request, visit: Visit) -> dict[str, Any]:
    """Functions the templates call: dates, country names and the highlighting of facts."""
    language = getattr(request.state, "ui_language", "en")
    places = items.gazetteer(visit.workspace.settings.gazetteer_path)

    def when(value: dt.datetime | None) -> str:
        if value is None:
            return ""
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return format_datetime(value, "d MMM y, HH:mm", tzinfo=dt.UTC, locale=language) + " UTC"

    def day(value: dt.date | None) -> str:
        return format_date(value, "medium", locale=language) if value else ""

    def country(code: str | None) -> str:
        return items.country_name(places, code, language, _("Everywhere"))

    def author(revision: ContentRevision) -> str:
        if revision.author is not None:
            return revision.author.username
        if revision.note == revisions.IMPORTED_NOTE:
            return _("the content import")
        return _("somebody")

    return {
        "when": when,
        "day": day,
        "country_name": country,
        "author_of": author,
        "highlight": truth.highlight,
        "language_names": visit.workspace.languages.names,
        "table": visit.workspace.languages,
    }


def _page(
    request: Request, visit: Visit, template: str, status_code: int = 200, **context: Any
) -> Response:
    done = request.query_params.get("done")
    return render(
        request,
        template,
        visit,
        status_code=status_code,
        done=done if done in DONE else None,
        **_helpers(request, visit),
        **context,
    )


def _not_found() -> Refused:
    return Refused(_("There is no such item, or it is not your organisation's."), 404)


def _readable(visit: Visit, item_id: int) -> ContentItem:
    item = items.readable_item(visit.db, visit.account, item_id)
    if item is None:
        raise _not_found()
    return item


def _own(visit: Visit, item_id: int) -> ContentItem:
    """An item this account's organisation may change: a sample item is refused until it is
    adopted (403: everyone may read it), any other organisation's item is 404."""
    item = _readable(visit, item_id)
    if item.organisation_id != visit.account.organisation_id:
        raise Refused(
            _(
                "This is sample content: everyone can read it, nobody can change it. "
                "An admin of your organisation can adopt it; then you can edit it."
            )
        )
    return item


def _language(visit: Visit, language: str) -> str:
    if language not in visit.workspace.languages.codes:
        raise _not_found()
    return language


def _with_baseline(visit: Visit, item: ContentItem) -> None:
    """Seed content opened for the first time: its history starts from what people get."""
    if item.organisation_id != visit.account.organisation_id:
        return
    if not items.has_revisions(visit.db, item) and revisions.ensure_baseline(visit.db, item):
        visit.db.commit()


def _to(path: str, done: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}{path}?done={done}{anchor}", status_code=303)


# --- the list --------------------------------------------------------------------------------


@router.get("/items")
def item_list(request: Request, visit: VisitDep) -> Response:
    visit.require(Action.VIEW)
    table = visit.workspace.languages
    filters = items.Filters.from_query(dict(request.query_params))
    own = items.rows_for(visit.db, visit.account.organisation_id, table, filters)
    sample_id = items.sample_organisation_id(visit.db)
    sample = []
    if sample_id is not None and sample_id != visit.account.organisation_id:
        sample = items.rows_for(visit.db, sample_id, table, filters)
    countries = sorted(
        {row.item.country for row in own + sample if row.item.country}
        | {c for c in visit.account.organisation.countries if c},
    )
    return _page(
        request,
        visit,
        "items.html",
        own=own,
        sample=sample,
        filters=filters,
        topics=items.topics(visit.db),
        countries=countries,
        statuses=items.STATUSES,
        adopt_form=blank_form(request, AdoptForm),
        languages=table.codes,
    )


@router.post("/items/{item_id:int}/adopt")
async def adopt(request: Request, visit: VisitDep, item_id: int) -> Response:
    await form_from(request, AdoptForm)
    item = _readable(visit, item_id)
    visit.require(Action.ADOPT)
    try:
        items.adopt(visit.db, visit.account, item, now=visit.workspace.now())
    except WrongState as refusal:
        visit.db.rollback()
        return _message(request, visit, item, str(refusal), 409)
    except NotAllowed as refusal:
        visit.db.rollback()
        raise Refused(str(refusal)) from None
    visit.db.commit()
    return _to(f"/items/{item.id}", "adopted")


# --- a new item ------------------------------------------------------------------------------


def _new_item_choices(request: Request, visit: Visit, form: NewItemForm) -> NewItemForm:
    helpers = _helpers(request, visit)
    places = items.gazetteer(visit.workspace.settings.gazetteer_path)
    form.topic.choices = [(name, name) for name in items.topics(visit.db)]
    countries = sorted(places.names, key=helpers["country_name"])
    form.country.choices = [(items.EVERYWHERE, _("Everywhere"))] + [
        (code, helpers["country_name"](code)) for code in countries
    ]
    return form


@router.get("/items/new")
def new_item_page(request: Request, visit: VisitDep) -> Response:
    visit.require(Action.CREATE_ITEM)
    form = _new_item_choices(request, visit, blank_form(request, NewItemForm))
    return _page(request, visit, "item_new.html", form=form)


@router.post("/items/new")
async def new_item(request: Request, visit: VisitDep) -> Response:
    form = await form_from(request, NewItemForm)
    visit.require(Action.CREATE_ITEM)
    _new_item_choices(request, visit, form)
    countries = {code for code, _name in form.country.choices or []}
    if (form.country.data or "") not in countries:
        error = _("Choose one of the countries in the list, or Everywhere.")
        return _page(request, visit, "item_new.html", 409, form=form, error=error)
    error = None
    try:
        item = items.create_item(
            visit.db,
            visit.account,
            form.topic.data or "",
            form.country.data or None,
            now=visit.workspace.now(),
        )
    except items.ItemExists as exists:
        visit.db.rollback()
        error = _exists_message(request, visit, exists)
    except WrongState:
        visit.db.rollback()
        error = _("Choose one of the topics in the list.")
    if error is not None:
        return _page(request, visit, "item_new.html", 409, form=form, error=error)
    visit.db.commit()
    return _to(f"/items/{item.id}", "created")


def _exists_message(request: Request, visit: Visit, exists: items.ItemExists) -> str:
    country = _helpers(request, visit)["country_name"](exists.item.country)
    values = {"topic": exists.item.topic_name, "country": country, "owner": exists.owner or "?"}
    if exists.item.organisation_id == visit.account.organisation_id:
        return _("Your organisation already has an item for %(topic)s in %(country)s.") % values
    if exists.owner == items.SAMPLE_ORGANISATION:
        return (
            _(
                "There is already a sample item for %(topic)s in %(country)s. "
                "Adopt it from the list of sample content instead of making a new one."
            )
            % values
        )
    return (
        _(
            "The organisation %(owner)s already keeps an item for %(topic)s in %(country)s. "
            "There can be only one: talk to them, or choose another country."
        )
        % values
    )


# --- one item --------------------------------------------------------------------------------


def _item_page(
    request: Request,
    visit: Visit,
    item: ContentItem,
    status_code: int = 200,
    settings_form: SettingsForm | None = None,
    **context: Any,
) -> Response:
    row = items.row_for(visit.db, item, visit.workspace.languages)
    own = item.organisation_id == visit.account.organisation_id
    if settings_form is None and own and visit.can(Action.EDIT_SETTINGS):
        settings_form = blank_form(
            request,
            SettingsForm,
            review_by=item.review_by,
            sample=item.sample,
            needs_review=item.needs_review,
            review_note=item.review_note,
        )
    return _page(
        request,
        visit,
        "item.html",
        status_code,
        item=item,
        row=row,
        own=own,
        title=row.title(visit.workspace.languages),
        columns=_languages_of(visit, row),
        settings_form=settings_form,
        submit_form=blank_form(request, SubmitForm),
        adopt_form=blank_form(request, AdoptForm),
        machine_form=blank_form(request, MachineDraftForm),
        confirm_form=blank_form(request, ConfirmForm),
        **context,
    )


@router.get("/items/{item_id:int}")
def item_page(request: Request, visit: VisitDep, item_id: int) -> Response:
    visit.require(Action.VIEW)
    item = _readable(visit, item_id)
    _with_baseline(visit, item)
    return _item_page(request, visit, item)


@router.post("/items/{item_id:int}/settings")
async def item_settings(request: Request, visit: VisitDep, item_id: int) -> Response:
    form = await form_from(request, SettingsForm)
    item = _own(visit, item_id)
    visit.require(Action.EDIT_SETTINGS, item)
    if form.errors:
        return _item_page(request, visit, item, 400, settings_form=form)
    wanted = items.Settings(
        review_by=form.review_by.data,
        sample=bool(form.sample.data),
        needs_review=bool(form.needs_review.data),
        review_note=form.review_note.data,
    )
    items.update_settings(visit.db, visit.account, item, wanted, now=visit.workspace.now())
    visit.db.commit()
    return _to(f"/items/{item.id}", "settings", "#settings")


@router.post("/items/{item_id:int}/{language}/submit")
async def submit(request: Request, visit: VisitDep, item_id: int, language: str) -> Response:
    form = await form_from(request, SubmitForm)
    item = _own(visit, item_id)
    language = _language(visit, language)
    visit.require(Action.SUBMIT, item)
    head = revisions.head(visit.db, item.id, language)
    if head is None or str(head.number) != (form.number.data or ""):
        message = _(
            "Somebody saved a newer version of this text since you opened the page. "
            "Read it first, then send it for review."
        )
        return _message(request, visit, item, message, 409)
    try:
        revisions.submit(visit.db, visit.account, head, visit.workspace.now())
    except NotAllowed as refusal:
        visit.db.rollback()
        raise Refused(str(refusal)) from None
    except (InvalidContent, WrongState) as refusal:
        visit.db.rollback()
        status = 400 if isinstance(refusal, InvalidContent) else 409
        return _message(request, visit, item, str(refusal), status)
    visit.db.commit()
    return _to(f"/items/{item.id}", "submitted", f"#lang-{language}")


@router.post("/items/{item_id:int}/{language}/machine-draft")
async def machine_draft(request: Request, visit: VisitDep, item_id: int, language: str) -> Response:
    """Fill a missing or outdated language with a machine draft, or say plainly why not: no
    package for the pair (the language stays on the dashboard's list for a translator) or a
    number, link or name the model would have lost."""
    await form_from(request, MachineDraftForm)
    item = _editable(visit, item_id, language)
    table = visit.workspace.languages
    now = visit.workspace.now()
    try:
        machine_drafts.draft(
            visit.db,
            visit.account,
            item,
            language,
            translator=visit.workspace.translator,
            languages=table,
            now=now,
        )
    except PairUnavailable as missing:
        visit.db.rollback()
        names = {"source": table.names[missing.source], "target": table.names[missing.target]}
        audit.record(
            visit.db,
            visit.account,
            "machine_draft_unavailable",
            f"item {item.id} {language}",
            f"no pair {missing.source}->{missing.target}",
            now=now,
        )
        visit.db.commit()
        message = (
            _(
                "No machine translation from %(source)s to %(target)s is installed; a translator "
                "writes it."
            )
            % names
        )
        return _item_page(request, visit, item, machine_notice=message, notice_language=language)
    except SpanLost as lost:
        visit.db.rollback()
        message = _(
            "There is no machine draft: the translation would have lost %(what)s. "
            "A translator writes this text."
        ) % {"what": "; ".join(lost.problems)}
        return _item_page(request, visit, item, 422, machine_error=message)
    except NotAllowed as refusal:
        visit.db.rollback()
        raise Refused(str(refusal)) from None
    except (InvalidContent, WrongState) as refusal:
        visit.db.rollback()
        status = 400 if isinstance(refusal, InvalidContent) else 409
        return _message(request, visit, item, str(refusal), status)
    visit.db.commit()
    return _to(f"/items/{item.id}", "machine_draft", f"#lang-{language}")


@router.post("/items/{item_id:int}/{language}/still-correct")
async def still_correct(request: Request, visit: VisitDep, item_id: int, language: str) -> Response:
    """A translator read an outdated translation against the new source: it is still right."""
    form = await form_from(request, ConfirmForm)
    item = _editable(visit, item_id, language)
    table = visit.workspace.languages
    gap = next(
        (g for g in dashboard.item_gaps(visit.db, item, table) if g.language == language), None
    )
    if gap is None or gap.kind != "outdated":
        return _message(request, visit, item, _("This translation is not outdated."), 409)
    if str(gap.source_version) != (form.source_version.data or ""):
        message = _(
            "The source text was published again since you opened the page. "
            "Read the new version first, then confirm."
        )
        return _message(request, visit, item, message, 409)
    try:
        revisions.confirm_still_correct(
            visit.db, visit.account, item, language, languages=table, now=visit.workspace.now()
        )
    except NotAllowed as refusal:
        visit.db.rollback()
        raise Refused(str(refusal)) from None
    except WrongState as refusal:
        visit.db.rollback()
        return _message(request, visit, item, str(refusal), 409)
    visit.db.commit()
    return _to(f"/items/{item.id}", "confirmed", f"#lang-{language}")


def _message(
    request: Request, visit: Visit, item: ContentItem, message: str, status_code: int
) -> Response:
    return _page(request, visit, "item_message.html", status_code, item=item, message=message)


# --- the editor ------------------------------------------------------------------------------


def _texts_of(text: ContentRevision | ContentVariant) -> dict[str, Any]:
    """The fields of the form from a version or from the live text."""
    sources = (
        [dict(source) for source in text.sources]
        if isinstance(text, ContentRevision)
        else [{"title": source.title, "url": source.url} for source in text.sources]
    )
    return {
        "title": text.title,
        "body": text.body,
        "share_text": text.share_text or "",
        "options": [dict(option) for option in text.options],
        "sources": sources,
    }


def _starting_text(visit: Visit, row: items.ItemRow, language: str) -> dict[str, Any]:
    """What the editor opens with: the newest version, else the live text; a language with
    no text yet starts empty, with the source language's buttons (their titles to translate)."""
    text = row.heads.get(language) or row.variant(language)
    if text is not None:
        return _texts_of(text)
    source = _source_text(visit, row)
    options = [dict(option) for option in source.options] if source is not None else []
    return {"title": "", "body": "", "share_text": "", "options": options, "sources": []}


def _source_text(visit: Visit, row: items.ItemRow) -> ContentRevision | ContentVariant | None:
    default = visit.workspace.languages.default
    return row.heads.get(default) or row.variant(default)


def _known_payloads(row: items.ItemRow) -> set[str]:
    """The payloads the item's texts use: a form can keep or drop a button, never invent one."""
    texts = [*row.item.variants, *(head for head in row.heads.values() if head is not None)]
    return {option["payload"] for text in texts for option in text.options}


def _draft_of(form: EditForm, row: items.ItemRow) -> Draft:
    """The posted text as the workflow takes it: line breaks as "\\n", buttons with an empty
    title removed, empty source rows ignored (a half-filled row is kept, and refused)."""
    known = _known_payloads(row)
    options = [
        {"title": entry.form.title.data.strip(), "payload": entry.form.payload.data}
        for entry in form.options
        if (entry.form.title.data or "").strip() and entry.form.payload.data in known
    ]
    sources = [
        {"title": (entry.form.title.data or "").strip(), "url": (entry.form.url.data or "").strip()}
        for entry in form.sources
        if (entry.form.title.data or "").strip() or (entry.form.url.data or "").strip()
    ]
    return Draft(
        title=(form.title.data or "").strip(),
        body=form.body.data or "",
        options=options,
        sources=sources,
        share_text=(form.share_text.data or "").strip() or None,
    )


def _base_number(form: EditForm) -> int | None:
    value = (form.base_number.data or "").strip()
    return int(value) if value.isdigit() else None


def _editor(
    request: Request,
    visit: Visit,
    item: ContentItem,
    language: str,
    form: EditForm,
    status_code: int = 200,
    **context: Any,
) -> Response:
    table = visit.workspace.languages
    row = items.row_for(visit.db, item, table)
    preview: Preview = previewer_for(request).preview(
        visit.db, item, language, _draft_of(form, row)
    )
    source = None if language == table.default else _source_text(visit, row)
    return _page(
        request,
        visit,
        "edit.html",
        status_code,
        item=item,
        row=row,
        language=language,
        language_name=table.names[language],
        source=source,
        source_status=row.status(table.default),
        source_name=table.names[table.default],
        head=row.heads.get(language),
        live=row.variant(language) if items.is_live(row.variant(language)) else None,
        title=row.title(table),
        form=form,
        preview=preview,
        title_max=TITLE_MAX_CHARS,
        option_max=OPTION_TITLE_MAX_CHARS,
        share_max=SHARE_MAX_CHARS,
        share_lines=SHARE_MAX_LINES,
        **context,
    )


def _editable(visit: Visit, item_id: int, language: str) -> ContentItem:
    item = _own(visit, item_id)
    language = _language(visit, language)
    visit.require(items.edit_action(language, visit.workspace.languages), item)
    return item


@router.get("/items/{item_id:int}/{language}/edit")
def edit_page(request: Request, visit: VisitDep, item_id: int, language: str) -> Response:
    item = _editable(visit, item_id, language)
    _with_baseline(visit, item)
    row = items.row_for(visit.db, item, visit.workspace.languages)
    head = row.heads.get(language)
    text = _starting_text(visit, row, language)
    form = blank_form(
        request, EditForm, **text, base_number=str(head.number) if head is not None else ""
    )
    return _editor(request, visit, item, language, form)


@router.post("/items/{item_id:int}/{language}/edit")
async def save(request: Request, visit: VisitDep, item_id: int, language: str) -> Response:
    form = await form_from(request, EditForm)
    item = _editable(visit, item_id, language)
    action = form.action.data
    if action == "preview":
        return _editor(request, visit, item, language, form, shown_preview=True)
    if any(name != "csrf_token" for name in form.errors):
        return _editor(request, visit, item, language, form, 400, error=_form_errors(form))
    draft = _draft_of(form, items.row_for(visit.db, item, visit.workspace.languages))
    now = visit.workspace.now()
    try:
        revision = revisions.save_draft(
            visit.db,
            visit.account,
            item,
            language,
            languages=visit.workspace.languages,
            base_number=_base_number(form),
            title=draft.title,
            body=draft.body,
            options=draft.options,
            sources=draft.sources,
            note=form.note.data,
            now=now,
            share_text=draft.share_text,
        )
        if action == "submit":
            revisions.submit(visit.db, visit.account, revision, now)
    except EditConflict as conflict:
        # Nothing was saved; the form keeps this person's text, now based on the newer version,
        # so that saving again is a choice made after reading it.
        visit.db.rollback()
        theirs = conflict.theirs
        form.base_number.data = str(theirs.number)
        differences = _differences(theirs, draft)
        return _editor(
            request,
            visit,
            item,
            language,
            form,
            409,
            theirs=theirs,
            yours=draft,
            differences=differences,
        )
    except NotAllowed as refusal:
        visit.db.rollback()
        raise Refused(str(refusal)) from None
    except (InvalidContent, WrongState) as refusal:
        # "Save and send" is all or nothing: a text that cannot go to review is not saved
        # either, so the partner fixes it here with nothing lost.
        visit.db.rollback()
        status = 400 if isinstance(refusal, InvalidContent) else 409
        return _editor(request, visit, item, language, form, status, error=str(refusal))
    visit.db.commit()
    done = "submitted" if action == "submit" else "saved"
    return _to(f"/items/{item.id}", done, f"#lang-{language}")


def _differences(theirs: ContentRevision, draft: Draft) -> list[revisions.DiffLine]:
    """The lines that differ between their saved version and this person's text, so that the
    conflict page says what each of them wrote without making anyone compare by eye."""
    yours = ContentRevision(  # transient: compared, never added to the session
        title=draft.title,
        body=draft.body,
        share_text=draft.share_text,
        sources=[dict(source) for source in draft.sources],
    )
    return [line for line in revisions.diff(theirs, yours) if line.kind != "equal"]


def _form_errors(form: EditForm) -> str:
    """Field errors of the form (lengths the store cannot hold), as one sentence."""
    messages = []
    for name, errors in form.errors.items():
        if name != "csrf_token":
            messages.append(f"{name}: {'; '.join(map(str, _flatten(errors)))}")
    return "; ".join(messages)


def _flatten(errors: Any) -> list[str]:
    if isinstance(errors, dict):
        return [message for value in errors.values() for message in _flatten(value)]
    if isinstance(errors, list):
        return [message for value in errors for message in _flatten(value)]
    return [str(errors)]


@router.post("/preview")
async def preview_fragment(request: Request, visit: VisitDep) -> Response:
    """The preview alone, as HTML, for editor.js: ?item=ID&language=ht, the form's fields."""
    form = await form_from(request, EditForm)
    item_id = request.query_params.get("item", "")
    if not item_id.isdigit():
        raise _not_found()
    language = request.query_params.get("language", "")
    item = _editable(visit, int(item_id), language)
    row = items.row_for(visit.db, item, visit.workspace.languages)
    preview = previewer_for(request).preview(visit.db, item, language, _draft_of(form, row))
    return render(request, "item_preview.html", visit, preview=preview)
