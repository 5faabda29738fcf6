"""The organisation's glossary page (/admin/glossary): terms a machine draft keeps as written
or translates a fixed way, for this organisation's items (issue 17, item 4).

Everyone signed in reads it; admins, editors and translators, who ask for machine drafts and
correct them, change it (Action.EDIT_GLOSSARY). The shared terms every organisation gets
(bot/translation/glossary.yml: "Cruz Roja", "ACNUR", "COMAR") are listed beside it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response
from wtforms import TextAreaField
from wtforms.validators import Length

from bot.translation import glossary_text
from bot.translation.glossary_text import GlossaryLineError
from bot.translation.protect import default_glossary
from bot.workspace import audit, i18n
from bot.workspace.i18n import N_
from bot.workspace.pages import PREFIX, CsrfForm, Visit, VisitDep, blank_form, form_from, render
from bot.workspace.permissions import Action

router = APIRouter()

MAX_TEXT_CHARS = 40_000
# The reasons of GlossaryLineError, as the page says them (translated there).
_REASONS = {
    "no_term": N_("Line %(line)d: write the term before the = sign."),
    "no_language": N_(
        "Line %(line)d: after the = sign, write language: translation, separated by ; "
        "(for example fr: Croix-Rouge; ht: Kwa Wouj)."
    ),
    "unknown_language": N_("Line %(line)d: %(language)s is not a language of the assistant."),
    "too_long": N_("Line %(line)d is too long for a term."),
    "twice": N_("Line %(line)d: this term is already on an earlier line."),
    "too_many": N_("Line %(line)d: a glossary holds at most 200 terms."),
}


class GlossaryForm(CsrfForm):
    text = TextAreaField(N_("Your organisation's terms"), validators=[Length(max=MAX_TEXT_CHARS)])


@router.get("/glossary")
def glossary_page(request: Request, visit: VisitDep, done: str | None = None) -> Response:
    visit.require(Action.VIEW)
    text = glossary_text.render(visit.account.organisation.glossary or {})
    form = blank_form(request, GlossaryForm, text=text)
    return _page(request, visit, form, saved=done == "saved")


@router.post("/glossary")
async def glossary_save(request: Request, visit: VisitDep) -> Response:
    form = await form_from(request, GlossaryForm)
    visit.require(Action.EDIT_GLOSSARY)
    if form.errors:
        return _page(request, visit, form, status_code=400)
    try:
        terms = glossary_text.parse(form.text.data or "", visit.workspace.languages.codes)
    except GlossaryLineError as error:
        message = i18n.gettext(_REASONS[error.reason])
        form.text.errors = [message % {"line": error.line, "language": error.language}]
        return _page(request, visit, form, status_code=400)
    organisation = visit.db.merge(visit.account.organisation)
    organisation.glossary = terms
    audit.record(
        visit.db,
        visit.account,
        "edit_glossary",
        f"glossary of {organisation.name}",
        f"{len(terms)} terms",
        now=visit.workspace.now(),
    )
    visit.db.commit()
    return RedirectResponse(f"{PREFIX}/glossary?done=saved", status_code=303)


def _page(
    request: Request,
    visit: Visit,
    form: GlossaryForm,
    *,
    saved: bool = False,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "glossary.html",
        visit,
        status_code=status_code,
        form=form,
        saved=saved,
        shared=default_glossary().terms,
        language_names=visit.workspace.languages.names,
    )
