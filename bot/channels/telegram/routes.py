"""POST /webhooks/telegram: verify the secret, parse, process, then 200.

Every refusal says why in JSON; nothing is processed before the secret matches.
https://core.telegram.org/bots/api#setwebhook (secret_token, X-Telegram-Bot-Api-Secret-Token)
"""

from __future__ import annotations

import logging
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from bot.channels.telegram.payloads import shape_problem
from bot.channels.telegram.runtime import PATH, TelegramRuntime
from bot.web.bodies import NotJson, json_body
from bot.web.dependencies import SettingsDep

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
# One Update: a message of at most 4,096 characters, its entities, the message it replies to.
MAX_UPDATE_BYTES = 256 * 1024


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error": message}, status_code=status)


def _runtime(request: Request) -> TelegramRuntime | None:
    return getattr(request.app.state, "telegram", None)


RuntimeDep = Annotated[TelegramRuntime | None, Depends(_runtime)]
router = APIRouter()


@router.post(PATH, include_in_schema=False)
async def telegram_webhook(
    request: Request, settings: SettingsDep, runtime: RuntimeDep
) -> JSONResponse:
    """Verify, parse, process, then 200; every refusal says why in JSON."""
    expected = settings.telegram_webhook_secret
    if not settings.telegram_bot_token or not expected:
        return _error(
            503,
            "Telegram webhook not configured: set TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET",
        )
    given = request.headers.get(SECRET_HEADER, "")
    if not secrets.compare_digest(given.encode(), expected.encode()):
        return _error(403, f"wrong or missing {SECRET_HEADER}")
    if runtime is None:
        return _error(503, "Telegram is not running: the Bot API did not answer at start-up")
    try:
        data = await json_body(request)
    except NotJson as error:
        return _error(400, str(error))
    problem = shape_problem(data)
    if problem is not None:
        return _error(400, problem)
    try:
        update = runtime.parse(data)
    except Exception as error:  # noqa: BLE001 - a nested shape our check let through
        log.warning("Telegram update refused: %s", type(error).__name__)
        return _error(400, "not a Telegram Update python-telegram-bot can read")
    try:
        handled = await runtime.process(update)
    except Exception as error:  # noqa: BLE001 - answered 500 so that Telegram retries
        log.error("Telegram update failed: %s", type(error).__name__)
        return _error(500, "the update could not be processed; Telegram will deliver it again")
    return JSONResponse({"ok": True, "duplicate": not handled})
