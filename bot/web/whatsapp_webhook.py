"""POST /webhooks/whatsapp and /webhooks/whatsapp/status: Twilio's calls to us.

Order matters: the signature is checked before anything is read into the conversation, and the
MessageSid is recorded before anything is answered, so a forged request changes nothing and a
redelivered one is answered once. Bad input gets a 4xx with a plain reason, never a 500.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import State

from bot.channels import whatsapp
from bot.channels.base import Inbound
from bot.channels.outbox_worker import OutboxWorker
from bot.channels.service import ChannelService
from bot.config import Settings
from bot.store import deliveries, outbox
from bot.store.models import InboxMessage

log = logging.getLogger(__name__)
MAX_FORM_BYTES = 64 * 1024  # a Twilio message webhook is a few hundred bytes
TWIML_TYPE = "application/xml"
Parsed = TypeVar("Parsed")


def _twiml(payloads: list[dict[str, Any]] | None = None) -> Response:
    return Response(whatsapp.twiml(payloads or []), media_type=TWIML_TYPE)


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
    url = whatsapp.signature_url(settings.public_base_url, str(request.url), path)
    signature = request.headers.get("x-twilio-signature", "")
    return whatsapp.is_signed(settings.twilio_auth_token, url, form, signature)


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
    except whatsapp.MalformedWebhook as error:
        return _refuse(400, str(error))


class RestReplies:
    """WHATSAPP_REPLY=rest: the webhook is acknowledged at once; the message waits in the
    inbox, is answered in the background and its answer queued in the outbox. Messages of one
    person are answered one after another, so their answers keep their order."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        service: ChannelService,
        worker: OutboxWorker,
        renderer: whatsapp.Renderer,
    ) -> None:
        self._sessions = sessions
        self._service = service
        self._worker = worker
        self._renderer = renderer
        self._tasks: set[asyncio.Task[None]] = set()
        self._locks: dict[str, asyncio.Lock] = {}

    def schedule(self, inbox_id: int) -> None:
        task = asyncio.create_task(self._answer(inbox_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def resume(self) -> None:
        """After a restart: answer what was acknowledged but not yet answered."""
        with self._sessions() as session:
            pending = outbox.inbox_ids(session, whatsapp.CHANNEL)
        for inbox_id in pending:
            self.schedule(inbox_id)

    async def _answer(self, inbox_id: int) -> None:
        with self._sessions() as session:
            row = session.get(InboxMessage, inbox_id)
            if row is None:
                return
            inbound = Inbound(whatsapp.CHANNEL, row.address, row.text, row.readable)
        lock = self._locks.setdefault(inbound.address, asyncio.Lock())
        try:
            async with lock:
                await self._answer_in_turn(inbox_id, inbound)
        except Exception:  # noqa: BLE001 - stays in the inbox; answered after a restart
            log.exception("answering an inbox message failed")
        finally:
            if not lock.locked():
                self._locks.pop(inbound.address, None)

    async def _answer_in_turn(self, inbox_id: int, inbound: Inbound) -> None:
        replies = await self._service.answer(inbound)
        hint = self._service.phrases.get("options_hint", self._service.language_of(inbound))
        payloads = self._renderer.render(replies, hint)
        with self._sessions() as session, session.begin():
            outbox.enqueue(session, whatsapp.CHANNEL, inbound.address, payloads)
            row = session.get(InboxMessage, inbox_id)
            if row is not None:
                session.delete(row)
        self._worker.wake()


def start(state: State, settings: Settings) -> None:
    """At start-up: with Twilio credentials, register the Messages API as the outbox's
    WhatsApp sender (later messages go through it in either mode); in rest mode, also answer
    what a previous run acknowledged but did not answer."""
    state.whatsapp_rest = None
    can_send = settings.twilio_account_sid and settings.twilio_auth_token and settings.whatsapp_from
    if not can_send:
        if settings.whatsapp_reply == "rest":
            log.error(
                "WHATSAPP_REPLY=rest needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, WHATSAPP_FROM"
            )
        return
    status_callback = (
        settings.public_base_url.rstrip("/") + "/webhooks/whatsapp/status"
        if settings.public_base_url
        else None
    )
    service: ChannelService = state.channel_service
    state.outbox.register(
        whatsapp.TwilioSender(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            settings.whatsapp_from,
            settings.twilio_api_base,
            status_callback,
        )
    )
    if settings.whatsapp_reply != "rest":
        return
    renderer = whatsapp.Renderer(settings.whatsapp_content_templates)
    state.whatsapp_rest = RestReplies(service.sessions, service, state.outbox, renderer)
    state.whatsapp_rest.resume()


def _accept(
    sessions: sessionmaker[Session], sid: str, inbound: Inbound, keep_in_inbox: bool
) -> int | None:
    """Record the MessageSid (and, in rest mode, the message) in one transaction.
    None for a redelivery; else the inbox row's id (0 when not kept)."""
    with sessions() as session, session.begin():
        if not deliveries.first_delivery(session, whatsapp.CHANNEL, sid):
            return None
        if not keep_in_inbox:
            return 0
        return outbox.receive(
            session, whatsapp.CHANNEL, inbound.address, inbound.text, inbound.readable
        )


def router(settings: Settings) -> APIRouter:
    api = APIRouter()

    @api.post("/webhooks/whatsapp")
    async def message(request: Request) -> Response:
        parsed = await _verified(request, settings, whatsapp.parse_message)
        if isinstance(parsed, Response):
            return parsed
        sid, inbound = parsed
        service: ChannelService = request.app.state.channel_service
        rest: RestReplies | None = request.app.state.whatsapp_rest
        inbox_id = await run_in_threadpool(_accept, service.sessions, sid, inbound, bool(rest))
        if inbox_id is None:
            return _twiml()  # a redelivery: answered the first time
        if rest is not None:
            rest.schedule(inbox_id)
            return _twiml()
        replies = await service.answer(inbound)
        hint = service.phrases.get("options_hint", service.language_of(inbound))
        return _twiml(whatsapp.Renderer({}).render(replies, hint))

    @api.post("/webhooks/whatsapp/status")
    async def status(request: Request) -> Response:
        delivery_status = await _verified(request, settings, whatsapp.parse_status)
        if isinstance(delivery_status, Response):
            return delivery_status
        service: ChannelService = request.app.state.channel_service

        def count() -> None:
            with service.sessions() as session, session.begin():
                deliveries.count_event(session, whatsapp.CHANNEL, f"status:{delivery_status}")

        await run_in_threadpool(count)
        return Response(status_code=204)

    return api
