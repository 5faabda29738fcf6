"""The campaigns pages (/admin/campaigns): make a campaign, then take its link, its QR codes
(PNG, SVG) and its printable A5 card; see how many arrived through it.

Who: everyone who may VIEW sees the organisation's campaigns and downloads their material;
making one takes Action.MANAGE_CAMPAIGNS (admins and editors). The rules live in
bot/sharing/; this module shows them. A link needs TELEGRAM_BOT_USERNAME or WHATSAPP_NUMBER:
without it the page names the setting instead of showing a link that cannot work.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from starlette.responses import RedirectResponse, Response
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from bot.content.lookup import menu_entries
from bot.content.shelf import Shelf
from bot.sharing import campaigns
from bot.sharing.card import SAFETY_TOPICS, build_card
from bot.sharing.links import link_for, telegram_start_parameter
from bot.sharing.models import Campaign
from bot.sharing.qr import MEDIA_TYPES, Format, qr_code
from bot.workspace import i18n, numbers
from bot.workspace.i18n import N_
from bot.workspace.pages import PREFIX, CsrfForm, Visit, VisitDep, blank_form, form_from, render
from bot.workspace.permissions import Action

router = APIRouter()

NONE = ""  # the value of "no country" and "no first topic"
CHANNEL_CHOICES = (("telegram", "Telegram"), ("whatsapp", "WhatsApp"))
_DONE = {"created": N_("The campaign is ready: share its link, its QR code or its card.")}


class CampaignForm(CsrfForm):
    name = StringField(
        N_("Name (for your team: where or with whom you share it)"),
        validators=[DataRequired(N_("Give the campaign a name.")), Length(max=120)],
    )
    language = SelectField(N_("Language the assistant answers in"), validate_choice=False)
    channel = SelectField(N_("Channel"), validate_choice=False)
    country = SelectField(N_("Country (optional)"), validate_choice=False)
    topic = SelectField(N_("First answer (optional)"), validate_choice=False)


@router.get("/campaigns")
def campaigns_page(request: Request, visit: VisitDep, done: str | None = None) -> Response:
    visit.require(Action.VIEW)
    return _list(request, visit, blank_form(request, CampaignForm), done=_DONE.get(done or ""))


@router.post("/campaigns")
async def create_campaign(request: Request, visit: VisitDep) -> Response:
    form = await form_from(request, CampaignForm)
    visit.require(Action.MANAGE_CAMPAIGNS)
    if form.errors:
        return _list(request, visit, form, status_code=400)
    try:
        campaign = campaigns.create(
            visit.db,
            visit.account,
            name=form.name.data or "",
            language=form.language.data or "",
            channel=form.channel.data or "",
            country=form.country.data or None,
            topic=form.topic.data or None,
            languages=visit.workspace.languages.codes,
            now=visit.workspace.now(),
        )
    except campaigns.CampaignError as error:
        visit.db.rollback()
        field = getattr(form, error.field)
        field.errors = [*field.errors, str(error)]  # translated where it is shown
        return _list(request, visit, form, status_code=400)
    visit.db.commit()
    return RedirectResponse(f"{PREFIX}/campaigns/{campaign.id}?done=created", status_code=303)


@router.get("/campaigns/{campaign_id}")
def campaign_page(
    request: Request, visit: VisitDep, campaign_id: int, done: str | None = None
) -> Response:
    visit.require(Action.VIEW)
    campaign = _campaign(visit, campaign_id)
    workspace = visit.workspace
    link = link_for(campaign, workspace.settings, workspace.phrases)
    card = build_card(visit.db, campaign, link, workspace.phrases)
    language = _ui_language(request)
    return render(
        request,
        "campaign.html",
        visit,
        campaign=campaign,
        link=link,
        start_parameter=telegram_start_parameter(campaign),
        missing_texts=[_topic_title(visit, t, language) for t in (card.missing if card else [])],
        safety_topics=[_topic_title(visit, t, language) for t in SAFETY_TOPICS],
        arrivals=campaigns.arrivals(visit.db, [campaign.id])[campaign.id],
        country_name=_country_names(visit, language).get(campaign.country or "", campaign.country),
        topic_title=_topic_title(visit, campaign.topic, language) if campaign.topic else None,
        language_name=workspace.languages.names.get(campaign.language, campaign.language),
        done=_DONE.get(done or ""),
    )


@router.get("/campaigns/{campaign_id}/qr.{kind}")
def campaign_qr(visit: VisitDep, campaign_id: int, kind: str) -> Response:
    """The QR code to download: PNG to send or print, SVG for a poster of any size."""
    visit.require(Action.VIEW)
    campaign = _campaign(visit, campaign_id)
    try:
        fmt = Format(kind)
    except ValueError:
        raise HTTPException(status_code=404) from None
    link = link_for(campaign, visit.workspace.settings, visit.workspace.phrases)
    if link.url is None:
        raise HTTPException(status_code=404, detail=f"set {link.missing_setting} first")
    filename = f"campaign-{campaign.id}-{campaign.channel}-{campaign.language}.{fmt.value}"
    return Response(
        qr_code(link.url, fmt),
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/campaigns/{campaign_id}/card")
def campaign_card(request: Request, visit: VisitDep, campaign_id: int) -> Response:
    """The printable A5 card, a page of its own (no workspace layout), ready to print."""
    visit.require(Action.VIEW)
    campaign = _campaign(visit, campaign_id)
    workspace = visit.workspace
    link = link_for(campaign, workspace.settings, workspace.phrases)
    card = build_card(visit.db, campaign, link, workspace.phrases)
    if card is None:
        return RedirectResponse(f"{PREFIX}/campaigns/{campaign.id}", status_code=303)
    language_name = workspace.languages.names.get(campaign.language, campaign.language)
    return render(
        request,
        "campaign_card.html",
        visit,
        campaign=campaign,
        card=card,
        card_language_name=language_name,
    )


# --- helpers ----------------------------------------------------------------------------------


def _campaign(visit: Visit, campaign_id: int) -> Campaign:
    """The organisation's campaign, or 404 (another organisation's campaign is not found)."""
    found = campaigns.of_organisation_by_id(visit.db, visit.account.organisation_id, campaign_id)
    if found is None:
        raise HTTPException(status_code=404)
    return found


def _ui_language(request: Request) -> str:
    return getattr(request.state, "ui_language", i18n.DEFAULT_UI_LANGUAGE)


def _country_names(visit: Visit, language: str) -> dict[str, str]:
    return numbers.country_names(visit.workspace.settings.gazetteer_path, language)


def _topics(visit: Visit, language: str) -> dict[str, str]:
    """The main menu's topics, titled in the workspace's language where the content has it."""
    order = visit.workspace.languages.fallback_order(language)
    return dict(menu_entries(Shelf.load(visit.db), order))


def _topic_title(visit: Visit, topic: str, language: str) -> str:
    return _topics(visit, language).get(topic, topic)


def _list(
    request: Request,
    visit: Visit,
    form: CampaignForm,
    *,
    status_code: int = 200,
    done: str | None = None,
) -> Response:
    language = _ui_language(request)
    workspace = visit.workspace
    names = _country_names(visit, language)
    form.language.choices = [
        SelectChoice(code, name) for code, name in workspace.languages.names.items()
    ]
    form.channel.choices = [SelectChoice(code, name) for code, name in CHANNEL_CHOICES]
    form.country.choices = [
        SelectChoice(NONE, i18n.gettext("No country: for people anywhere")),
        *(SelectChoice(code, f"{name} ({code})") for code, name in names.items()),
    ]
    topics = _topics(visit, language)
    form.topic.choices = [
        SelectChoice(NONE, i18n.gettext("The greeting and the menu")),
        *(SelectChoice(topic, title) for topic, title in topics.items()),
    ]
    listing = campaigns.of_organisation(visit.db, visit.account.organisation_id)
    return render(
        request,
        "campaigns.html",
        visit,
        status_code=status_code,
        form=form,
        campaigns=listing,
        arrivals=campaigns.arrivals(visit.db, [c.id for c in listing]),
        language_names=workspace.languages.names,
        channel_names=dict(CHANNEL_CHOICES),
        done=done,
    )
