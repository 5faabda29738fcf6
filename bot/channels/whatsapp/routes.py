"""POST /webhooks/whatsapp and /webhooks/whatsapp/status: Twilio's calls to us.

Order matters: the signature is checked before anything is read into the conversation, and the
MessageSid is recorded before anything is answered, so a forged request changes nothing and a
redelivered one is answered once. Bad input gets a 4xx with a plain reason, never a 500. A
campaign's prefilled text is read before anything keeps the message (bot/sharing/arrivals.py):
its code goes no further, and its arrival is counted with the MessageSid, once.
https://www.twilio.com/docs/usage/webhooks/webhooks-security (X-Twilio-Signature).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool
from twilio.request_validator import RequestValidator

from bot.channels.base import Inbound
from bot.channels.whatsapp import CHANNEL
from bot.channels.whatsapp.payloads import MalformedWebhook, parse_message, parse_status
from bot.channels.whatsapp.render import AnswerRenderer, Renderer, twiml
from bot.channels.whatsapp.send import TwilioSender
from bot.config import Settings
from bot.outbox import queue
from bot.sharing.arrivals import Arrivals
from bot.store import deliveries
from bot.web.dependencies import ServicesDep
from bot.web.services import Services

log = logging.getLogger(__name__)
MAX_FORM_BYTES = 64 * 1024  # a Twilio message webhook is a few hundred bytes
TWIML_TYPE = "application/xml"
Parsed = TypeVar("Parsed")


def signature_url(public_base_url: str | None, request_url: str, path_and_query: str) -> str:
    """The URL Twilio signed: the public one behind a proxy, else the one we were called at."""
    if public_base_url:
        return public_base_url.rstrip("/") + path_and_query
    return request_url


def is_signed(auth_token: str | None, url: str, form: Mapping[str, str], signature: str) -> bool:
    if not auth_token or not signature:
        return False
    return bool(RequestValidator(auth_token).validate(url, dict(form), signature))


def _twiml(payloads: list[dict] | None = None) -> Response:
    return Response(twiml(payloads or []), media_type=TWIML_TYPE)


def _refuse(status: int, reason: str) -> Response:
    return PlainTextResponse(reason, status_code=status)


async def _read_form(request: Request) -> dict[str, str] | Response:
    """The form as plain strings, or the 4xx that explains why not."""
    if int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES:
        return _refuse(413, "payload too large")
    try:
        form = await request.form()
    except Exception:  # noqa: BLE001 - any parser failure is the sender's malformed body
        return _refuse(400, "malformed form body")
    values = {key: value for key, value in form.multi_items() if isinstance(value, str)}
    if len(values) != len(form.multi_items()):
        return _refuse(400, "file uploads are not accepted")
    return values


def _signed(request: Request, settings: Settings, form: dict[str, str]) -> bool:
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    url = signature_url(settings.public_base_url, str(request.url), path)
    signature = request.headers.get("x-twilio-signature", "")
    return is_signed(settings.twilio_auth_token, url, form, signature)


async def _verified(
    request: Request, settings: Settings, parse: Callable[[dict[str, str]], Parsed]
) -> Parsed | Response:
    """Twilio's form parsed, or the 4xx for a body that is not a form, a wrong signature, or
    a signed form that lacks what this webhook carries."""
    form = await _read_form(request)
    if isinstance(form, Response):
        return form
    if not _signed(request, settings, form):
        return _refuse(403, "invalid or missing X-Twilio-Signature")
    try:
        return parse(form)
    except MalformedWebhook as error:
        return _refuse(400, str(error))


class WhatsApp:
    """The channel's running parts: how answers are rendered and whether they are sent later
    (WHATSAPP_REPLY=rest: acknowledged at once, answered through the outbox)."""

    def __init__(self, services: Services) -> None:
        settings = services.settings
        self.services = services
        words = services.words
        self.arrivals = Arrivals(
            services.sessions, words.phrases, words.languages.codes, services.clock
        )
        self.twiml_renderer = AnswerRenderer(Renderer({}), services.words.phrases)
        self.answers_later = False
        if not (
            settings.twilio_account_sid and settings.twilio_auth_token and settings.whatsapp_from
        ):
            if settings.whatsapp_reply == "rest":
                log.error(
                    "WHATSAPP_REPLY=rest needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, WHATSAPP_FROM"
                )
            return
        # With credentials the Messages API is the outbox's WhatsApp sender in either mode
        # (later messages: `python -m bot whatsapp send`).
        status_callback = (
            settings.public_base_url.rstrip("/") + "/webhooks/whatsapp/status"
            if settings.public_base_url
            else None
        )
        services.outbox.register(
            TwilioSender(
                settings.twilio_account_sid,
                settings.twilio_auth_token,
                settings.whatsapp_from,
                settings.twilio_api_base,
                status_callback,
            )
        )
        rest_renderer = Renderer(settings.whatsapp_content_templates)
        services.replier.register(CHANNEL, AnswerRenderer(rest_renderer, services.words.phrases))
        if settings.whatsapp_reply == "rest":
            self.answers_later = True
            services.replier.resume(CHANNEL)

    def arrival(self, inbound: Inbound) -> tuple[Inbound, int | None]:
        """The message as the pipeline may see it (a campaign's code taken out, its language
        and first topic put in) and the campaign to count, if a partner made the code."""
        found = self.arrivals.whatsapp(inbound.text) if inbound.readable else None
        if found is None:
            return inbound, None
        return replace(inbound, text=found.text, language=found.language), found.campaign_id

    def accept(self, sid: str, inbound: Inbound, campaign_id: int | None = None) -> int | None:
        """Record the MessageSid (and, answering later, the message) in one transaction, with
        the campaign's arrival if any. None for a redelivery; else the inbox row's id (0 when
        not kept)."""
        now = self.services.clock()
        with self.services.sessions() as session, session.begin():
            if not deliveries.first_delivery(session, CHANNEL, sid, now):
                return None
            if campaign_id is not None:
                self.arrivals.count_in(session, campaign_id)
            if not self.answers_later:
                return 0
            return queue.receive(
                session, CHANNEL, inbound.address, inbound.text, inbound.readable, now
            )

    def count_status(self, status: str) -> None:
        with self.services.sessions() as session, session.begin():
            deliveries.count_event(session, CHANNEL, f"status:{status}")


def start(services: Services) -> WhatsApp:
    return WhatsApp(services)


def _whatsapp(request: Request) -> WhatsApp:
    return request.app.state.whatsapp


WhatsAppDep = Annotated[WhatsApp, Depends(_whatsapp)]
router = APIRouter()


@router.post("/webhooks/whatsapp")
async def message(request: Request, whatsapp: WhatsAppDep, services: ServicesDep) -> Response:
    parsed = await _verified(request, services.settings, parse_message)
    if isinstance(parsed, Response):
        return parsed
    sid, inbound = parsed
    inbound, campaign_id = await run_in_threadpool(whatsapp.arrival, inbound)
    inbox_id = await run_in_threadpool(whatsapp.accept, sid, inbound, campaign_id)
    if inbox_id is None:
        return _twiml()  # a redelivery: answered the first time
    if whatsapp.answers_later:
        services.replier.schedule(inbox_id)
        return _twiml()
    # In the response; held while Rasa is away if the Messages API can answer later.
    answer = await services.replier.answer_inline(inbound)
    return _twiml(whatsapp.twiml_renderer(answer) if answer.replies else [])


@router.post("/webhooks/whatsapp/status")
async def status(request: Request, whatsapp: WhatsAppDep, services: ServicesDep) -> Response:
    delivery_status = await _verified(request, services.settings, parse_status)
    if isinstance(delivery_status, Response):
        return delivery_status
    await run_in_threadpool(whatsapp.count_status, delivery_status)
    return Response(status_code=204)
