"""The verified numbers page (/admin/numbers): the list per country, adding and removing a
number with its source, and the numbers in the organisation's texts that are not on it yet.

Admins only (Action.MANAGE_NUMBERS): the list decides which numbers reviewers see flagged, for
every organisation. The rules live in bot/workspace/numbers.py; this module shows them.
"""

from __future__ import annotations

import itertools

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response
from wtforms import DateField, SelectField, StringField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from bot.workspace import i18n, numbers
from bot.workspace.i18n import N_
from bot.workspace.pages import PREFIX, CsrfForm, Visit, VisitDep, blank_form, form_from, render
from bot.workspace.permissions import Action

router = APIRouter()

EVERYWHERE = "everywhere"  # the country field's value for a number valid in every country
_REQUIRED = N_("Fill in this field.")
# What the page says after a change (?done=...), kept to known words: a link cannot make the
# page say something else.
_DONE = {
    "added": N_("The number is on the verified list now."),
    "removed": N_("The number was taken off the list. Texts that give it are flagged again."),
}


class NumberForm(CsrfForm):
    country = SelectField(
        N_("Country"),
        validators=[DataRequired(message=N_("Choose a country, or everywhere."))],
        validate_choice=False,  # the service checks the code: the choices depend on the page
    )
    number = StringField(N_("Number"), validators=[DataRequired(_REQUIRED), Length(max=40)])
    label = StringField(
        N_("What it is (for example: National police)"),
        validators=[DataRequired(_REQUIRED), Length(max=200)],
    )
    source_title = StringField(
        N_("Where you checked it: title of the page"),
        validators=[DataRequired(_REQUIRED), Length(max=200)],
    )
    source_url = URLField(
        N_("Web address of that page"), validators=[DataRequired(_REQUIRED), Length(max=500)]
    )
    verified_on = DateField(
        N_("Day you checked it"),
        validators=[DataRequired(N_("Give the day you checked it."))],
        invalid_value_message=N_("Give the day you checked it."),
    )


class RemoveNumberForm(CsrfForm):
    """Taking a number off the list is a POST with a token, like every change."""


@router.get("/numbers")
def numbers_page(
    request: Request,
    visit: VisitDep,
    country: str | None = None,
    number: str | None = None,
    done: str | None = None,
) -> Response:
    """The page; `country` and `number` pre-fill the form (the "Add it" links)."""
    visit.require(Action.MANAGE_NUMBERS)
    prefill = {"country": country or "", "number": number or ""}
    prefill["verified_on"] = visit.workspace.now().date()  # type: ignore[assignment]
    form = blank_form(request, NumberForm, **prefill)
    return _page(request, visit, form, done=done)


@router.post("/numbers/add")
async def add_number(request: Request, visit: VisitDep) -> Response:
    form = await form_from(request, NumberForm)
    visit.require(Action.MANAGE_NUMBERS)
    if form.errors:
        return _page(request, visit, form, status_code=400)
    country = form.country.data if form.country.data != EVERYWHERE else None
    try:
        numbers.add(
            visit.db,
            visit.account,
            country=country,
            number=form.number.data or "",
            label=form.label.data or "",
            source_title=form.source_title.data or "",
            source_url=form.source_url.data or "",
            verified_on=form.verified_on.data,  # type: ignore[arg-type]
            now=visit.workspace.now(),
        )
    except numbers.NumberError as error:
        visit.db.rollback()
        field = getattr(form, error.field or "number")
        field.errors = [*field.errors, str(error)]  # translated where it is shown
        return _page(request, visit, form, status_code=400)
    visit.db.commit()
    # "#top": the form was posted to "#add", and a redirect without a fragment keeps it.
    return RedirectResponse(f"{PREFIX}/numbers?done=added#top", status_code=303)


@router.post("/numbers/{number_id}/remove")
async def remove_number(request: Request, visit: VisitDep, number_id: int) -> Response:
    await form_from(request, RemoveNumberForm)
    visit.require(Action.MANAGE_NUMBERS)
    try:
        numbers.remove(visit.db, visit.account, number_id, visit.workspace.now())
    except numbers.NumberError as error:
        visit.db.rollback()
        form = blank_form(request, NumberForm, verified_on=visit.workspace.now().date())
        return _page(request, visit, form, status_code=404, error=i18n.gettext(str(error)))
    visit.db.commit()
    return RedirectResponse(f"{PREFIX}/numbers?done=removed#top", status_code=303)


def _page(
    request: Request,
    visit: Visit,
    form: NumberForm,
    *,
    status_code: int = 200,
    done: str | None = None,
    error: str | None = None,
) -> Response:
    """The whole page around `form` (blank, pre-filled, or with the errors of a post)."""
    language = getattr(request.state, "ui_language", i18n.DEFAULT_UI_LANGUAGE)
    names = numbers.country_names(visit.workspace.settings.gazetteer_path, language)
    listing = numbers.listing(visit.db)
    unverified = numbers.unverified_in_texts(visit.db, visit.account.organisation_id)
    # A code on the list or in a text but not in the gazetteer is still offered, by its code.
    for code in [c.country for c in listing] + [u.country for u in unverified]:
        if code and code not in names:
            names[code] = code
    form.country.choices = [
        SelectChoice("", i18n.gettext("Choose…")),
        SelectChoice(EVERYWHERE, i18n.gettext("Everywhere (every country)")),
        *(SelectChoice(code, f"{name} ({code})") for code, name in names.items()),
    ]
    if form.country.data is None:
        form.country.data = ""
    return render(
        request,
        "numbers.html",
        visit,
        status_code=status_code,
        form=form,
        remove_form=blank_form(request, RemoveNumberForm),
        listing=listing,
        unverified=unverified,
        unverified_groups=[
            (code, list(group))
            for code, group in itertools.groupby(unverified, lambda u: u.country)
        ],
        verified_count=sum(len(group.numbers) for group in listing),
        language_names=visit.workspace.languages.names,
        names=names,
        everywhere=EVERYWHERE,
        done=_DONE.get(done or ""),
        error=error,
        content_language=visit.workspace.languages.default,
        today=visit.workspace.now().date(),
    )
