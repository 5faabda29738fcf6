"""The caseworker inbox (/admin/cases): open cases, one case's conversation, answering on
the person's own channel, internal notes, closing, and the saved replies (issue 15).

Why the page looks the way it does:
- A worker never sees who the person is: no phone number, no Telegram id, not even the
  pseudonym (it is the key to the person's other data). A case is "Case 12".
- Every rule about cases (who may claim, only the claimer answers, WhatsApp's 24-hour
  window, the address deleted on closing) lives in bot/handoff/cases.py; this module calls it
  and turns its refusals into plain sentences, keeping what the worker wrote in the box.
- Every POST checks the CSRF token first, then the role (Action.ANSWER_CASES), then the
  organisation: another organisation's case is 404, as if it did not exist.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from bot.channels.telegram import CHANNEL as TELEGRAM
from bot.channels.webchat import CHANNEL as WEB
from bot.channels.whatsapp import CHANNEL as WHATSAPP
from bot.channels.whatsapp.render import TEMPLATE_BODY_LIMIT
from bot.config import REPO_ROOT
from bot.handoff import addresses, cases
from bot.handoff.language_help import Unavailable
from bot.handoff.models import Case, CaseReason, Outcome, SavedReply
from bot.pipeline.handoff import goodbye
from bot.store import conversations
from bot.store.db import as_utc
from bot.store.models import Account
from bot.workspace import i18n, numbers
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

DEV_KEY_FILE = REPO_ROOT / "var" / "handoff-address.key"
TEXT_LIMIT = 4000  # longer answers are split by the core; this only stops pasted novels

REASONS = {
    CaseReason.EMERGENCY.value: N_("Emergency"),
    CaseReason.CHILD_ALONE.value: N_("Child alone"),
    CaseReason.TRAFFICKING.value: N_("Trafficking"),
    CaseReason.OTHER.value: N_("Other"),
}
CHANNELS = {WHATSAPP: N_("WhatsApp"), TELEGRAM: N_("Telegram"), WEB: N_("Web chat")}
OUTCOMES = {
    Outcome.ANSWERED.value: N_("Answered"),
    Outcome.REFERRED.value: N_("Referred to a service"),
    Outcome.NO_REPLY.value: N_("The person did not reply"),
    Outcome.DUPLICATE.value: N_("Duplicate of another case"),
    Outcome.OTHER.value: N_("Other"),
}
# What a page says after a change (?done=...): known words only, a link cannot add others.
_DONE = {
    "claimed": N_("You have claimed this case: you are the one who answers now."),
    "sent": N_("Your answer is on its way to the person."),
    "sent_template": N_(
        "Your answer is on its way as the approved template that invites the person to write back."
    ),
    "web": N_("Your answer is ready: the person sees it when their chat page asks for it."),
    "noted": N_("Your note is saved. Only your team sees it."),
    "closed": N_("The case is closed. The assistant answers the person again."),
    "saved": N_("The saved reply is stored."),
}
_REQUIRED = N_("Write something first.")


class ClaimForm(CsrfForm):
    take_over = BooleanField(N_("Yes, I take over this case from my colleague"))


class ReplyForm(CsrfForm):
    text = TextAreaField(
        N_("Your answer to the person"),
        validators=[DataRequired(_REQUIRED), Length(max=TEXT_LIMIT)],
    )
    # Set when the box holds a machine translation of the worker's text: their own words,
    # kept with the message that is sent (bot/handoff/language_help.py).
    original = HiddenField(validators=[Length(max=TEXT_LIMIT)])


class NoteForm(CsrfForm):
    text = TextAreaField(
        N_("Note for your team"), validators=[DataRequired(_REQUIRED), Length(max=TEXT_LIMIT)]
    )


class CloseForm(CsrfForm):
    outcome = SelectField(
        N_("How did it end?"),
        choices=[SelectChoice(value, label) for value, label in OUTCOMES.items()],
        validators=[DataRequired(N_("Choose how the case ended."))],
    )


class SavedReplyForm(CsrfForm):
    language = SelectField(N_("Language"), validate_choice=False)
    title = StringField(
        N_("Short name (the button shows it)"),
        validators=[DataRequired(N_("Give it a short name.")), Length(max=80)],
    )
    text = TextAreaField(
        N_("The answer"), validators=[DataRequired(_REQUIRED), Length(max=TEXT_LIMIT)]
    )


@dataclass(frozen=True)
class Row:
    """One case as the list shows it: labels only, nothing that names the person."""

    case: Case
    reason: str
    language: str
    country: str
    channel: str
    since: str
    waited: str
    claimed_by: str | None
    overdue: bool


# Helpers ------------------------------------------------------------------------------


def _keys(visit: Visit) -> list[bytes]:
    """The address keys, read at the moment of sending (a rotation needs no restart)."""
    settings = visit.workspace.settings
    return addresses.keys_from_env(os.environ, DEV_KEY_FILE, settings.environment == "production")


def _case_of(visit: Visit, case_id: int) -> Case:
    """The organisation's case, or 404 for any other id: another organisation's case is
    not confirmed to exist."""
    case = visit.db.scalars(
        select(Case).where(
            Case.id == case_id, Case.organisation_id == visit.account.organisation_id
        )
    ).first()
    if case is None:
        raise Refused(i18n.gettext("There is no such case, or it is not your organisation's."), 404)
    return case


def _ui_language(request: Request) -> str:
    return getattr(request.state, "ui_language", i18n.DEFAULT_UI_LANGUAGE)


def _waited(delta: dt.timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return i18n.ngettext("%(num)d minute", "%(num)d minutes", minutes) % {"num": minutes}
    if minutes < 48 * 60:
        hours = minutes // 60
        return i18n.ngettext("%(num)d hour", "%(num)d hours", hours) % {"num": hours}
    days = minutes // (24 * 60)
    return i18n.ngettext("%(num)d day", "%(num)d days", days) % {"num": days}


def _local(case: Case, moment: dt.datetime) -> str:
    """A time in the organisation's own zone, as its workers read their clocks."""
    try:
        zone = ZoneInfo(case.organisation.time_zone or "UTC")
    except (ValueError, ZoneInfoNotFoundError):
        zone = ZoneInfo("UTC")
    return as_utc(moment).astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _rows(request: Request, visit: Visit, only: list[Case] | None = None) -> list[Row]:
    """The inbox (or just the cases in `only`) as labels for the page."""
    now = visit.workspace.now()
    organisation_id = visit.account.organisation_id
    late = {
        c.id for c in cases.overdue(visit.db, organisation_id, visit.workspace.answer_within, now)
    }
    countries = numbers.country_names(
        visit.workspace.settings.gazetteer_path, _ui_language(request)
    )
    languages = visit.workspace.languages.names
    return [
        Row(
            case=case,
            reason=REASONS.get(case.reason, REASONS[CaseReason.OTHER.value]),
            language=languages.get(case.language or "", case.language or "—"),
            country=countries.get(case.country or "", case.country or "—"),
            channel=CHANNELS.get(case.channel, case.channel),
            since=_local(case, case.opened_at),
            waited=_waited(now - as_utc(case.opened_at)),
            claimed_by=case.claimed_by.username if case.claimed_by else None,
            overdue=case.id in late,
        )
        for case in (cases.inbox(visit.db, organisation_id) if only is None else only)
    ]


def _names(visit: Visit, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = visit.db.execute(select(Account.id, Account.username).where(Account.id.in_(wanted)))
    return dict(rows.all())  # type: ignore[arg-type]  # rows of (id, username)


def _transcript_context(
    request: Request, visit: Visit, case: Case, *, audited: bool
) -> dict[str, object]:
    """The messages, with the person's machine-translated into the worker's language where
    an installed pair allows (kept with the case: the poll does not translate again)."""
    now = visit.workspace.now()
    messages = cases.transcript(
        visit.db, case, reader=visit.account if audited else None, now=now if audited else None
    )
    help_ = visit.workspace.language_help
    if help_.translate_incoming(messages, case.language, _ui_language(request)):
        visit.db.commit()
    return {
        "case": case,
        "messages": messages,
        "authors": _names(visit, {m.account_id for m in messages}),
        "times": {m.id: _local(case, m.created_at) for m in messages},
    }


def _case_page(
    request: Request,
    visit: Visit,
    case: Case,
    *,
    status_code: int = 200,
    reply_form: ReplyForm | None = None,
    note_form: NoteForm | None = None,
    error: str | None = None,
    done: str | None = None,
    machine_note: str | None = None,
) -> Response:
    """The whole case page; reading it is audited (who read which case)."""
    now = visit.workspace.now()
    template = visit.workspace.settings.whatsapp_window_template
    context = _transcript_context(request, visit, case, audited=True)
    visit.db.commit()  # the audit line of this reading
    window_closed = case.channel == WHATSAPP and not cases.whatsapp_window_open(case, now)
    (row,) = _rows(request, visit, [case])
    return render(
        request,
        "case.html",
        visit,
        status_code=status_code,
        row=row,
        claimer=case.claimed_by.username if case.claimed_by else None,
        mine=case.claimed_by_id == visit.account.id,
        claim_form=blank_form(request, ClaimForm),
        reply_form=reply_form or blank_form(request, ReplyForm),
        note_form=note_form or blank_form(request, NoteForm),
        close_form=blank_form(request, CloseForm),
        saved=cases.saved_replies(visit.db, visit.account.organisation_id, case.language)
        if case.language
        else [],
        window_closed=window_closed,
        template_ready=bool(template),
        template_limit=TEMPLATE_BODY_LIMIT,
        closed_outcome=OUTCOMES.get(case.outcome or ""),
        error=error,
        done=_DONE.get(done or ""),
        can_translate_draft=visit.workspace.language_help.can_help(
            _ui_language(request), case.language
        ),
        machine_note=machine_note,
        **context,
    )


def _why_refused(visit: Visit, case: Case, text: str) -> str:
    """A plain sentence for cases.DeliveryRefused, from the case itself (not the message)."""
    conversation = conversations.get(visit.db, case.pseudonym)
    if conversation is not None and conversation.opted_out:
        return i18n.gettext(
            "Not sent: the person wrote STOP and gets no messages until they write START."
        )
    now = visit.workspace.now()
    if case.channel == WHATSAPP and not cases.whatsapp_window_open(case, now):
        if not visit.workspace.settings.whatsapp_window_template:
            return i18n.gettext(
                "Not sent: more than 24 hours since the person wrote, and no approved "
                "template is set up to invite them back. Ask your administrator."
            )
        if len(text) > TEMPLATE_BODY_LIMIT:
            return i18n.gettext(
                "Not sent: after 24 hours the answer goes as the template, which holds at "
                "most %(num)d characters. Please shorten it."
            ) % {"num": TEMPLATE_BODY_LIMIT}
    return i18n.gettext("Not sent: this person cannot be reached on their channel any more.")


def _back(case: Case, done: str, anchor: str = "") -> Response:
    return RedirectResponse(f"{PREFIX}/cases/{case.id}?done={done}{anchor}", status_code=303)


# The list -----------------------------------------------------------------------------


@router.get("/cases")
def cases_page(request: Request, visit: VisitDep, done: str | None = None) -> Response:
    visit.require(Action.ANSWER_CASES)
    return render(
        request,
        "cases.html",
        visit,
        rows=_rows(request, visit),
        done=_DONE.get(done or ""),
        counts=cases.counts(visit.db, visit.account.organisation_id),
    )


@router.get("/cases/fragment")
def cases_fragment(request: Request, visit: VisitDep) -> Response:
    """Only the list, for cases.js to replace it every few seconds."""
    visit.require(Action.ANSWER_CASES)
    return render(request, "case_list.html", visit, rows=_rows(request, visit))


# Saved replies ------------------------------------------------------------------------


def _replies_page(
    request: Request,
    visit: Visit,
    form: SavedReplyForm,
    *,
    status_code: int = 200,
    done: str | None = None,
) -> Response:
    languages = visit.workspace.languages
    form.language.choices = [
        SelectChoice(code, languages.names.get(code, code)) for code in languages.codes
    ]
    replies = cases.saved_replies(visit.db, visit.account.organisation_id)
    return render(
        request,
        "case_replies.html",
        visit,
        status_code=status_code,
        form=form,
        groups=[(code, [r for r in replies if r.language == code]) for code in languages.codes],
        language_names=languages.names,
        done=_DONE.get(done or ""),
    )


@router.get("/cases/replies")
def replies_page(
    request: Request, visit: VisitDep, edit: int | None = None, done: str | None = None
) -> Response:
    """The saved replies per language; `edit` pre-fills the form with one of them."""
    visit.require(Action.ANSWER_CASES)
    data: dict[str, str] = {"language": visit.workspace.languages.default}
    if edit is not None:
        row = visit.db.get(SavedReply, edit)
        if row is None or row.organisation_id != visit.account.organisation_id:
            raise Refused(i18n.gettext("There is no such saved reply."), 404)
        data = {"language": row.language, "title": row.title, "text": row.text}
    return _replies_page(request, visit, blank_form(request, SavedReplyForm, **data), done=done)


@router.post("/cases/replies")
async def save_reply(request: Request, visit: VisitDep) -> Response:
    form = await form_from(request, SavedReplyForm)
    visit.require(Action.ANSWER_CASES)
    if form.language.data not in visit.workspace.languages.codes:
        form.language.errors = [*form.language.errors, N_("Choose a language from the list.")]
    if form.errors:
        return _replies_page(request, visit, form, status_code=400)
    cases.save_reply(
        visit.db,
        visit.account,
        language=form.language.data or "",
        title=form.title.data or "",
        text=form.text.data or "",
        now=visit.workspace.now(),
    )
    visit.db.commit()
    return RedirectResponse(f"{PREFIX}/cases/replies?done=saved", status_code=303)


# One case -----------------------------------------------------------------------------


@router.get("/cases/{case_id}")
def case_page(
    request: Request,
    visit: VisitDep,
    case_id: int,
    reply: int | None = None,
    done: str | None = None,
) -> Response:
    """The case; `reply` pre-fills the answer box with a saved reply (works without JS)."""
    visit.require(Action.ANSWER_CASES)
    case = _case_of(visit, case_id)
    form = None
    if reply is not None:
        saved = visit.db.get(SavedReply, reply)
        if saved is not None and saved.organisation_id == case.organisation_id:
            form = blank_form(request, ReplyForm, text=saved.text)
    return _case_page(request, visit, case, reply_form=form, done=done)


@router.get("/cases/{case_id}/fragment")
def case_fragment(request: Request, visit: VisitDep, case_id: int) -> Response:
    """Only the transcript, for the poll. Not audited each time: opening the page was."""
    visit.require(Action.ANSWER_CASES)
    case = _case_of(visit, case_id)
    return render(
        request,
        "case_transcript.html",
        visit,
        **_transcript_context(request, visit, case, audited=False),
    )


@router.post("/cases/{case_id}/claim")
async def claim_case(request: Request, visit: VisitDep, case_id: int) -> Response:
    form = await form_from(request, ClaimForm)
    visit.require(Action.ANSWER_CASES)
    case = _case_of(visit, case_id)
    try:
        cases.claim(
            visit.db, case, visit.account, visit.workspace.now(), take_over=form.take_over.data
        )
    except cases.AlreadyClaimed:
        visit.db.rollback()
        message = i18n.gettext(
            "Someone else has claimed this case. To answer, tick the box and take it over."
        )
        return _case_page(request, visit, case, status_code=409, error=message)
    except cases.CaseNotOpen:
        visit.db.rollback()
        return _case_page(request, visit, case, status_code=409, error=_closed_message())
    visit.db.commit()
    return _back(case, "claimed", "#answer")


def _closed_message() -> str:
    return i18n.gettext("This case is closed: nothing more can be sent in it.")


@router.post("/cases/{case_id}/reply")
async def reply_case(request: Request, visit: VisitDep, case_id: int) -> Response:
    form = await form_from(request, ReplyForm)
    visit.require(Action.ANSWER_CASES)
    case = _case_of(visit, case_id)
    if form.errors:
        return _case_page(request, visit, case, status_code=400, reply_form=form)
    text = form.text.data or ""
    try:
        sent_as = cases.reply(
            visit.db,
            case,
            visit.account,
            text,
            visit.workspace.now(),
            keys=_keys(visit),
            window_template=visit.workspace.settings.whatsapp_window_template,
            written_as=(form.original.data, _ui_language(request)) if form.original.data else None,
        )
    except cases.DeliveryRefused:
        visit.db.rollback()
        error = _why_refused(visit, case, text)
        return _case_page(request, visit, case, status_code=409, reply_form=form, error=error)
    except cases.CaseNotOpen:
        visit.db.rollback()
        return _case_page(
            request, visit, case, status_code=409, reply_form=form, error=_closed_message()
        )
    except cases.NotAllowed:
        visit.db.rollback()
        error = i18n.gettext(
            "Not sent: you are not the one who claimed this case. Claim it (or take it "
            "over) first; your text is kept below."
        )
        return _case_page(request, visit, case, status_code=409, reply_form=form, error=error)
    visit.db.commit()
    done = {"template": "sent_template", "web_pickup": "web"}.get(sent_as.value, "sent")
    return _back(case, done, "#answer")


@router.post("/cases/{case_id}/translate")
async def translate_draft(request: Request, visit: VisitDep, case_id: int) -> Response:
    """The worker's draft machine-translated into the person's language, put back in the box
    to check and correct before sending; nothing is sent here."""
    form = await form_from(request, ReplyForm)
    visit.require(Action.ANSWER_CASES)
    case = _case_of(visit, case_id)
    if form.errors:
        return _case_page(request, visit, case, status_code=400, reply_form=form)
    written = form.text.data or ""
    help_ = visit.workspace.language_help
    try:
        draft = await run_in_threadpool(
            help_.translate_draft, written, _ui_language(request), case.language
        )
    except Unavailable as why:
        return _case_page(
            request,
            visit,
            case,
            status_code=409,
            reply_form=form,
            error=i18n.gettext(_UNTRANSLATED[why.reason]),
        )
    translated = blank_form(request, ReplyForm, text=draft.text, original=written)
    note = i18n.gettext(
        "Machine translation into %(language)s (%(engine)s, %(model)s): read it and correct "
        "it before you send it. Your own text stays with the message."
    ) % {
        "language": visit.workspace.languages.names.get(case.language or "", case.language),
        "engine": draft.engine,
        "model": draft.model,
    }
    return _case_page(request, visit, case, reply_form=translated, machine_note=note)


_UNTRANSLATED = {
    "no_pair": N_(
        "No machine translation is installed for this pair of languages. Write in the "
        "person's language, or ask a colleague who speaks it."
    ),
    "span_lost": N_(
        "The machine translation lost a number, a link or a name, so it is not shown. "
        "Write in the person's language, or shorten your text and try again."
    ),
}


@router.post("/cases/{case_id}/note")
async def note_case(request: Request, visit: VisitDep, case_id: int) -> Response:
    form = await form_from(request, NoteForm)
    visit.require(Action.ANSWER_CASES)
    case = _case_of(visit, case_id)
    if form.errors:
        return _case_page(request, visit, case, status_code=400, note_form=form)
    cases.add_note(visit.db, case, visit.account, form.text.data or "", visit.workspace.now())
    visit.db.commit()
    return _back(case, "noted", "#note")


@router.post("/cases/{case_id}/close")
async def close_case(request: Request, visit: VisitDep, case_id: int) -> Response:
    form = await form_from(request, CloseForm)
    visit.require(Action.ANSWER_CASES)
    case = _case_of(visit, case_id)
    if form.errors:
        error = i18n.gettext("Choose how the case ended.")
        return _case_page(request, visit, case, status_code=400, error=error)
    try:
        cases.close(
            visit.db,
            case,
            visit.account,
            form.outcome.data or Outcome.OTHER.value,
            visit.workspace.now(),
            goodbye=goodbye(visit.workspace.phrases, case),
            keys=_keys(visit),
            window_template=visit.workspace.settings.whatsapp_window_template,
        )
    except cases.CaseNotOpen:
        visit.db.rollback()
        return _case_page(request, visit, case, status_code=409, error=_closed_message())
    visit.db.commit()
    return RedirectResponse(f"{PREFIX}/cases?done=closed", status_code=303)
