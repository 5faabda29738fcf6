"""The accounts page (/admin/accounts): the people of the admin's organisation, its settings,
and the list of organisations with a form to start a new one.

Admins only (Action.MANAGE_ACCOUNTS), and only inside their own organisation: another
organisation's account is "not found" (404), so its ids tell nothing. An admin cannot switch
themselves off or take away their own admin role, so an organisation always keeps the admin
who is acting. Passwords are typed twice, hashed at once (bot/workspace/passwords.py) and never
shown back. Every change writes an audit line.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from starlette.responses import RedirectResponse, Response
from wtforms import (
    Field,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from bot.store.models import Account, Organisation, Role
from bot.workspace import audit, i18n, numbers
from bot.workspace.accounts import (
    USERNAME_PATTERN,
    AccountError,
    create_account,
    create_organisation,
    organisation_named,
)
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
from bot.workspace.passwords import MIN_PASSWORD_LENGTH, WeakPassword
from bot.workspace.permissions import Action

router = APIRouter()

_REQUIRED = N_("Fill in this field.")
_SAME_PASSWORD = N_("The two passwords are not the same.")
# Monday first, as the week is printed in the countries of the route.
WEEKDAYS: tuple[tuple[str, str], ...] = (
    ("mon", N_("Monday")),
    ("tue", N_("Tuesday")),
    ("wed", N_("Wednesday")),
    ("thu", N_("Thursday")),
    ("fri", N_("Friday")),
    ("sat", N_("Saturday")),
    ("sun", N_("Sunday")),
)
ROLE_NAMES: dict[str, str] = {
    Role.ADMIN: N_("Admin"),
    Role.EDITOR: N_("Editor"),
    Role.TRANSLATOR: N_("Translator"),
    Role.REVIEWER: N_("Reviewer"),
    Role.CASEWORKER: N_("Caseworker"),
}
ROLE_WORDS: dict[str, str] = {
    Role.ADMIN: N_("Admin: everything, including accounts and verified numbers"),
    Role.EDITOR: N_("Editor: writes and changes the source texts"),
    Role.TRANSLATOR: N_("Translator: writes the translations"),
    Role.REVIEWER: N_("Reviewer: approves changes or sends them back"),
    Role.CASEWORKER: N_("Caseworker: reads the texts"),
}
# What creating an account can still meet after the checks of this module: a name taken by
# another admin in between (the store's unique constraint), or the hashing rule itself.
_RACED = (AccountError, WeakPassword, IntegrityError)
_ROLE_CHOICES = [SelectChoice(role.value, role.value) for role in Role]
_DONE = {
    "created": N_("The account is ready. Give the person their user name and password."),
    "role": N_("The role was changed."),
    "off": N_("The account is switched off. Its sessions end at their next click."),
    "on": N_("The account is switched on again."),
    "settings": N_("The organisation's settings were saved."),
    "organisation": N_("The new organisation and its first admin are ready."),
}


class _PasswordTwice(CsrfForm):
    """A first password, typed twice; its length is checked with the hashing rule."""

    password = PasswordField(
        N_("First password (at least 12 characters)"),
        validators=[DataRequired(_REQUIRED), Length(max=200)],
    )
    password_again = PasswordField(
        N_("The same password again"),
        validators=[DataRequired(_REQUIRED), EqualTo("password", message=_SAME_PASSWORD)],
    )


class NewAccountForm(_PasswordTwice):
    username = StringField(N_("User name"), validators=[DataRequired(_REQUIRED), Length(max=64)])
    role = SelectField(
        N_("Role"), choices=_ROLE_CHOICES, invalid_choice_message=N_("Choose a role.")
    )


class RoleForm(CsrfForm):
    role = SelectField(
        N_("Role"), choices=_ROLE_CHOICES, invalid_choice_message=N_("Choose a role.")
    )


class ActiveForm(CsrfForm):
    active = HiddenField()  # "yes" switches on, anything else off


class SettingsForm(CsrfForm):
    # The choices depend on the page's language (country names): checked by _check_places.
    countries = SelectMultipleField(N_("Countries you serve"), validate_choice=False)
    languages = SelectMultipleField(N_("Languages you answer in"), validate_choice=False)
    time_zone = StringField(
        N_("Time zone (for example America/Panama)"),
        validators=[DataRequired(_REQUIRED), Length(max=64)],
    )


_TIME = N_("Write a time such as 08:00, or leave it empty.")
for _day, _name in WEEKDAYS:
    # Optional: a day left empty is a day the organisation is closed, not an error.
    setattr(
        SettingsForm,
        f"{_day}_opens",
        TimeField(N_("Opens"), [Optional()], invalid_value_message=_TIME),
    )
    setattr(
        SettingsForm,
        f"{_day}_closes",
        TimeField(N_("Closes"), [Optional()], invalid_value_message=_TIME),
    )


class NewOrganisationForm(_PasswordTwice):
    """A new organisation with its first admin: field names differ from the other forms of
    the page, so that no two fields share an id."""

    name = StringField(
        N_("Name of the organisation"), validators=[DataRequired(_REQUIRED), Length(max=120)]
    )
    org_countries = SelectMultipleField(N_("Countries it serves"), validate_choice=False)
    org_languages = SelectMultipleField(N_("Languages it answers in"), validate_choice=False)
    admin_username = StringField(
        N_("User name of its first admin"), validators=[DataRequired(_REQUIRED), Length(max=64)]
    )


# --- pages -----------------------------------------------------------------------------------


@router.get("/accounts")
def accounts_page(request: Request, visit: VisitDep, done: str | None = None) -> Response:
    visit.require(Action.MANAGE_ACCOUNTS)
    return _page(request, visit, done=done)


@router.post("/accounts/create")
async def create_account_route(request: Request, visit: VisitDep) -> Response:
    form = await form_from(request, NewAccountForm)
    visit.require(Action.MANAGE_ACCOUNTS)
    username = (form.username.data or "").strip().lower()
    made: Account | None = None
    if _check_new_login(visit, form, form.username, username):
        try:
            made = create_account(
                visit.db,
                visit.account.organisation,
                username,
                form.role.data or "",
                form.password.data or "",
            )
        except _RACED:
            visit.db.rollback()
            form.username.errors.append(N_("This user name is taken. Choose another one."))
    if made is None:
        return _page(request, visit, status_code=400, new_account=form)
    _record(visit, "create_account", f"account {made.username}", made.role)
    return _done("created")


@router.post("/accounts/{account_id}/role")
async def change_role(request: Request, visit: VisitDep, account_id: int) -> Response:
    form = await form_from(request, RoleForm)
    visit.require(Action.MANAGE_ACCOUNTS)
    account = _own_account(visit, account_id)
    if form.errors:
        return _page(request, visit, status_code=400, error=i18n.gettext("Choose a role."))
    if account.id == visit.account.id and form.role.data != Role.ADMIN:
        message = i18n.gettext(
            "You cannot take away your own admin role: ask another admin of your organisation."
        )
        return _page(request, visit, status_code=400, error=message)
    previous, account.role = account.role, form.role.data or account.role
    _record(visit, "change_role", f"account {account.username}", f"{previous} -> {account.role}")
    return _done("role")


@router.post("/accounts/{account_id}/active")
async def switch_account(request: Request, visit: VisitDep, account_id: int) -> Response:
    form = await form_from(request, ActiveForm)
    visit.require(Action.MANAGE_ACCOUNTS)
    account = _own_account(visit, account_id)
    active = form.active.data == "yes"
    if account.id == visit.account.id and not active:
        message = i18n.gettext(
            "You cannot switch off your own account: ask another admin of your organisation."
        )
        return _page(request, visit, status_code=400, error=message)
    account.active = active
    action = "reactivate_account" if active else "deactivate_account"
    _record(visit, action, f"account {account.username}")
    return _done("on" if active else "off")


@router.post("/accounts/settings")
async def save_settings(request: Request, visit: VisitDep) -> Response:
    form = await form_from(request, SettingsForm)
    visit.require(Action.MANAGE_ACCOUNTS)
    ok = _check_places(visit, request, form.countries, form.languages)
    ok = _check_time_zone(form.time_zone) and ok
    hours = _opening_hours(form)
    if not ok or hours is None:
        return _page(request, visit, status_code=400, settings=form)
    organisation = visit.account.organisation
    organisation.countries = list(form.countries.data or [])
    organisation.languages = list(form.languages.data or [])
    organisation.time_zone = (form.time_zone.data or "").strip()
    organisation.opening_hours = hours
    detail = (
        f"countries {','.join(organisation.countries) or '-'}; "
        f"languages {','.join(organisation.languages) or '-'}; {organisation.time_zone}; "
        f"open {', '.join(f'{d} {o}-{c}' for d, (o, c) in hours.items()) or 'never'}"
    )
    _record(visit, "edit_organisation", f"organisation {organisation.name}", detail)
    return _done("settings")


@router.post("/accounts/organisations")
async def new_organisation(request: Request, visit: VisitDep) -> Response:
    form = await form_from(request, NewOrganisationForm)
    visit.require(Action.MANAGE_ACCOUNTS)
    ok = _check_places(visit, request, form.org_countries, form.org_languages)
    name = (form.name.data or "").strip()
    if name and organisation_named(visit.db, name) is not None:
        form.name.errors.append(N_("An organisation with this name exists already."))
        ok = False
    username = (form.admin_username.data or "").strip().lower()
    ok = _check_new_login(visit, form, form.admin_username, username) and ok
    made: Organisation | None = None
    if ok:
        try:
            made = create_organisation(
                visit.db,
                name,
                countries=list(form.org_countries.data or []),
                languages=list(form.org_languages.data or []),
            )
            create_account(visit.db, made, username, Role.ADMIN.value, form.password.data or "")
        except _RACED:
            visit.db.rollback()
            form.name.errors.append(N_("This name or user name was just taken. Try again."))
            made = None
    if made is None:
        return _page(request, visit, status_code=400, new_organisation=form)
    _record(visit, "create_organisation", f"organisation {name}", f"first admin {username}")
    return _done("organisation")


# --- the rules the forms cannot say ----------------------------------------------------------


def _own_account(visit: Visit, account_id: int) -> Account:
    """An account of the admin's own organisation; any other id is "not found"."""
    account = visit.db.get(Account, account_id)
    if account is None or account.organisation_id != visit.account.organisation_id:
        raise Refused(i18n.gettext("This account does not exist."), status_code=404)
    return account


def _check_new_login(visit: Visit, form: _PasswordTwice, field: Field, username: str) -> bool:
    """A user name nobody has, in the allowed letters, and a long enough password; the errors
    go on the fields. The form's own validators ran already (their errors count too)."""
    ok = not any(f.errors for f in form)
    if username and not USERNAME_PATTERN.match(username):
        field.errors.append(
            N_(
                "A user name is 2 to 63 small letters, digits, dots, dashes or underscores, "
                "for example maria.lopez"
            )
        )
        ok = False
    elif username and visit.db.scalar(select(Account.id).where(Account.username == username)):
        field.errors.append(N_("This user name is taken. Choose another one."))
        ok = False
    if form.password.data and len(form.password.data) < MIN_PASSWORD_LENGTH:
        form.password.errors.append(N_("The password is too short: use at least 12 characters."))
        ok = False
    return ok


def _check_places(
    visit: Visit, request: Request, countries: SelectMultipleField, languages: SelectMultipleField
) -> bool:
    known_countries = _country_choices(visit, request)
    ok = not (countries.errors or languages.errors)
    if not set(countries.data or []) <= {choice.value for choice in known_countries}:
        countries.errors.append(N_("Choose countries from the list."))
        ok = False
    if not set(languages.data or []) <= {choice.value for choice in _language_choices(visit)}:
        languages.errors.append(N_("Choose languages from the list."))
        ok = False
    return ok


def _check_time_zone(field: StringField) -> bool:
    if field.errors:
        return False
    if (field.data or "").strip() not in zoneinfo.available_timezones():
        field.errors.append(N_("Choose a time zone from the list, for example America/Panama."))
        return False
    return True


def _opening_hours(form: SettingsForm) -> dict[str, list[str]] | None:
    """{"mon": ["08:00", "17:00"], ...} from the form (a day left empty is closed), or None
    when a day has only one of its two times or closes before it opens."""
    hours: dict[str, list[str]] = {}
    ok = True
    for day, _name in WEEKDAYS:
        opens: Field = getattr(form, f"{day}_opens")
        closes: Field = getattr(form, f"{day}_closes")
        if opens.errors or closes.errors:
            ok = False
        elif (opens.data is None) != (closes.data is None):
            closes.errors.append(N_("Give both times, or leave both empty when closed."))
            ok = False
        elif opens.data is not None and closes.data is not None:
            if closes.data <= opens.data:
                closes.errors.append(N_("It must close after it opens."))
                ok = False
            else:
                hours[day] = [opens.data.strftime("%H:%M"), closes.data.strftime("%H:%M")]
    return hours if ok else None


# --- the page --------------------------------------------------------------------------------


def _country_choices(visit: Visit, request: Request) -> list[SelectChoice]:
    language = getattr(request.state, "ui_language", i18n.DEFAULT_UI_LANGUAGE)
    names = numbers.country_names(visit.workspace.settings.gazetteer_path, language)
    return [SelectChoice(code, f"{name} ({code})") for code, name in names.items()]


def _language_choices(visit: Visit) -> list[SelectChoice]:
    table = visit.workspace.languages
    codes = [*table.codes, *(c for c in table.detect_only if c not in table.codes)]
    return [SelectChoice(code, i18n.language_name(code)) for code in codes]


def _settings_form(request: Request, organisation: Organisation) -> SettingsForm:
    data: dict[str, object] = {
        "countries": list(organisation.countries or []),
        "languages": list(organisation.languages or []),
        "time_zone": organisation.time_zone,
    }
    for day, (opens, closes) in (organisation.opening_hours or {}).items():
        data[f"{day}_opens"] = _time(opens)
        data[f"{day}_closes"] = _time(closes)
    return blank_form(request, SettingsForm, **data)


def _time(text: str) -> dt.time | None:
    try:
        return dt.time.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def _with_choices(fields: Iterable[SelectMultipleField], choices: list[SelectChoice]) -> None:
    for field in fields:
        field.choices = choices


def _page(
    request: Request,
    visit: Visit,
    *,
    status_code: int = 200,
    done: str | None = None,
    error: str | None = None,
    new_account: NewAccountForm | None = None,
    settings: SettingsForm | None = None,
    new_organisation: NewOrganisationForm | None = None,
) -> Response:
    """The whole page; a form given is shown as posted (with its errors), the others blank."""
    organisation = visit.account.organisation
    new_account = new_account or blank_form(request, NewAccountForm, role=Role.EDITOR.value)
    settings = settings or _settings_form(request, organisation)
    open_organisation = new_organisation is not None
    new_organisation = new_organisation or blank_form(request, NewOrganisationForm)
    countries, languages = _country_choices(visit, request), _language_choices(visit)
    _with_choices([settings.countries, new_organisation.org_countries], countries)
    _with_choices([settings.languages, new_organisation.org_languages], languages)
    people = list(
        visit.db.scalars(
            select(Account)
            .where(Account.organisation_id == organisation.id)
            .order_by(Account.active.desc(), Account.username)
        )
    )
    return render(
        request,
        "accounts.html",
        visit,
        status_code=status_code,
        people=[(person, blank_form(request, RoleForm, role=person.role)) for person in people],
        active_form=blank_form(request, ActiveForm),
        new_account=new_account,
        settings=settings,
        new_organisation=new_organisation,
        organisations=list(visit.db.scalars(select(Organisation.name).order_by(Organisation.name))),
        weekdays=WEEKDAYS,
        role_words=ROLE_WORDS,
        role_names=ROLE_NAMES,
        time_zones=sorted(zoneinfo.available_timezones()),
        done=_DONE.get(done or ""),
        error=error,
        open_organisation=open_organisation,
    )


def _record(visit: Visit, action: str, target: str, detail: str | None = None) -> None:
    """The audit line, then the commit: the change and its line land together."""
    audit.record(visit.db, visit.account, action, target, detail, now=visit.workspace.now())
    visit.db.commit()


def _done(what: str) -> Response:
    return RedirectResponse(f"{PREFIX}/accounts?done={what}#top", status_code=303)
