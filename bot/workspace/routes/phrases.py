"""The assistant's phrases page (/admin/phrases): greetings, questions, buttons and error
messages, the same for every organisation, translated one by one (issue 17, item 6).

Why here and in a PO editor both: the phrases live in translations/<lang>.po, the files any
translator's tool opens (the page offers them for download); a volunteer without such a tool
fixes a phrase on this page. Either way the assistant reads the file again on its next
message. A phrase whose English changed is "outdated" (bot/phrase_catalogs.py) and listed
first; "Still correct" confirms it as it is.

Everyone signed in may read; translators and admins save (Action.EDIT_PHRASES), and the
English, from which every other language is translated, only admins (Action.EDIT_SOURCE too).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from bot import phrase_catalogs
from bot.phrase_catalogs import PhraseRefused, PhraseRow, PhraseState
from bot.workspace import audit, i18n
from bot.workspace.i18n import N_
from bot.workspace.pages import PREFIX, CsrfForm, Refused, Visit, VisitDep, blank_form, form_from
from bot.workspace.pages import render as render_page
from bot.workspace.permissions import Action

router = APIRouter()

MAX_PHRASE_CHARS = 1_000  # the longest phrase (the privacy notice) is about 600
SHOW_TODO = "todo"
_DONE = {
    "saved": N_("Saved. The assistant uses it from the next message."),
}
# The service's refusals, as the words the page shows (translated there).
_REFUSALS = {
    "empty": N_("Write the phrase; an empty phrase cannot be sent to anyone."),
    "placeholders": N_(
        "Keep the words in braces, such as {organisation}, exactly as they are: "
        "the assistant fills them in."
    ),
    "unknown": N_("There is no such phrase."),
}
STATE_WORDS = {
    PhraseState.MISSING: N_("Not translated: the English is sent"),
    PhraseState.OUTDATED: N_("Outdated: the English changed"),
    PhraseState.CURRENT: N_("Up to date"),
}


class PhraseForm(CsrfForm):
    key = HiddenField(validators=[DataRequired()])
    text = TextAreaField(N_("Phrase"), validators=[Length(max=MAX_PHRASE_CHARS)])


@router.get("/phrases")
def phrases_page(
    request: Request,
    visit: VisitDep,
    language: str | None = None,
    show: str | None = None,
    done: str | None = None,
) -> Response:
    visit.require(Action.VIEW)
    return _page(request, visit, _language(visit, language), show=show, done=done)


@router.get("/phrases/{language}.po")
def download(visit: VisitDep, language: str) -> Response:
    """The catalog itself, for Poedit or Weblate; put back by whoever runs the server."""
    visit.require(Action.VIEW)
    if language not in visit.workspace.languages.codes:
        raise Refused(i18n.gettext("There is no such language."), status_code=404)
    path = phrase_catalogs.catalog_path(visit.workspace.settings.translations_dir, language)
    return Response(
        path.read_bytes(),
        media_type="text/x-gettext-translation",
        headers={"Content-Disposition": f'attachment; filename="phrases-{language}.po"'},
    )


@router.post("/phrases/{language}")
async def save(request: Request, visit: VisitDep, language: str) -> Response:
    form = await form_from(request, PhraseForm)
    language = _language(visit, language, strict=True)
    visit.require(Action.EDIT_PHRASES)
    if language == visit.workspace.languages.default:
        visit.require(Action.EDIT_SOURCE)
    key = form.key.data or ""
    if form.errors:
        return _page(request, visit, language, failed=(key, form), status_code=400)
    try:
        phrase_catalogs.save_phrase(
            visit.workspace.settings.translations_dir,
            language,
            key,
            form.text.data or "",
            languages=visit.workspace.languages.codes,
            source_language=visit.workspace.languages.default,
        )
    except PhraseRefused as refusal:
        form.text.errors = [i18n.gettext(_REFUSALS[refusal.reason])]
        return _page(request, visit, language, failed=(key, form), status_code=400)
    audit.record(
        visit.db,
        visit.account,
        "save_phrase",
        f"phrase {key} {language}",
        now=visit.workspace.now(),
    )
    visit.db.commit()
    return RedirectResponse(
        f"{PREFIX}/phrases?language={language}&done=saved#phrase-{key}", status_code=303
    )


def _language(visit: Visit, language: str | None, *, strict: bool = False) -> str:
    """The language the page translates into: asked for, else the organisation's first one
    that is not the source, else the first such language of the assistant."""
    table = visit.workspace.languages
    if language in table.codes:
        return language  # type: ignore[return-value]
    if strict:
        raise Refused(i18n.gettext("There is no such language."), status_code=404)
    others = [code for code in table.codes if code != table.default]
    organisation = [code for code in visit.account.organisation.languages or [] if code in others]
    return (organisation or others or [table.default])[0]


def _page(
    request: Request,
    visit: Visit,
    language: str,
    *,
    show: str | None = None,
    done: str | None = None,
    failed: tuple[str, PhraseForm] | None = None,
    status_code: int = 200,
) -> Response:
    workspace = visit.workspace
    table = workspace.languages
    rows = phrase_catalogs.rows(workspace.settings.translations_dir, table.codes, table.default)
    todo = [row for row in rows if row.states[language] is not PhraseState.CURRENT]
    shown = todo if show == SHOW_TODO else rows
    # What needs a translator first, then the rest in the catalog's order.
    shown = sorted(shown, key=lambda row: row.states[language] is PhraseState.CURRENT)
    editable = visit.can(Action.EDIT_PHRASES) and (
        language != table.default or visit.can(Action.EDIT_SOURCE)
    )
    forms = {row.key: _form_for(request, row, language) for row in shown} if editable else {}
    if failed is not None and failed[0] in forms:
        forms[failed[0]] = failed[1]
    return render_page(
        request,
        "phrases.html",
        visit,
        status_code=status_code,
        rows=shown,
        all_count=len(rows),
        todo_count=len(todo),
        show_todo=show == SHOW_TODO,
        language=language,
        source_language=table.default,
        language_names=table.names,
        languages=table.codes,
        forms=forms,
        state_words=STATE_WORDS,
        States=PhraseState,
        done=_DONE.get(done or ""),
        failed_key=failed[0] if failed else None,
    )


def _form_for(request: Request, row: PhraseRow, language: str) -> PhraseForm:
    return blank_form(request, PhraseForm, key=row.key, text=row.texts[language])
