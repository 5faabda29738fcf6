"""POST /nlg: Rasa's NLG endpoint. A response name and the tracker in, words out.

The language and country come from the metadata the pipeline sent with the message (the
tracker's latest user event), so the words are in the language the pipeline decided for this
message; the endpoint reads the store only for words, and writes nothing.
https://rasa.com/docs/rasa/nlg/ (request and response format)

Only Rasa may call it: it answers any response for any sender id, with what the store
remembers of that person. Rasa sends the `token:` of its endpoints.yml `nlg:` entry as the
query parameter `?token=` (rasa/utils/endpoints.py EndpointConfig.combine_parameters);
bot/stack.py writes the same NLG_TOKEN there and gives it to the gateway. Without a token
configured the route answers nobody.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from bot import observability
from bot.languages import LanguageTable
from bot.nlg import Audience
from bot.store import conversations
from bot.web.bodies import NotJson, json_body
from bot.web.dependencies import SettingsDep, WordsDep
from bot.web.services import Words


def from_rasa(settings: SettingsDep, token: Annotated[str, Query()] = "") -> None:
    """The caller holds NLG_TOKEN (compared in constant time), or is refused."""
    expected = settings.nlg_token
    if not expected:
        raise HTTPException(503, "NLG_TOKEN is not set: the NLG endpoint answers nobody")
    if not secrets.compare_digest(token.encode(), expected.encode()):
        raise HTTPException(403, "wrong or missing token")


# Rasa posts the whole tracker (every event of the person's last RETAIN_TEXT_DAYS days).
MAX_TRACKER_BYTES = 16 * 1024 * 1024
router = APIRouter(dependencies=[Depends(from_rasa)], include_in_schema=False)


def latest_user_metadata(tracker: dict[str, Any]) -> dict[str, Any]:
    """The metadata of the message being answered (Rasa keeps it on the user event)."""
    for event in reversed(tracker.get("events") or []):
        if isinstance(event, dict) and event.get("event") == "user":
            metadata = event.get("metadata")
            return metadata if isinstance(metadata, dict) else {}
    return {}


def audience_of(
    tracker: dict[str, Any], sessions: sessionmaker[Session], languages: LanguageTable
) -> Audience:
    """From the pipeline's metadata; for a message that did not come through the gateway
    (`rasa shell`, say), what the store remembers of the sender."""
    metadata = latest_user_metadata(tracker)
    language = metadata.get("language")
    country = metadata.get("country")
    if not isinstance(language, str):
        with sessions() as session:
            memory = conversations.read(session, str(tracker.get("sender_id") or ""))
        language, country = memory.language, memory.country
    resolved = languages.resolve(language)
    return Audience(resolved, country if isinstance(country, str) else None)


@observability.timed(observability.NLG, failure="error")
def _generate(words: Words, payload: dict[str, Any]) -> dict[str, Any]:
    tracker = payload.get("tracker") or {}
    arguments = payload.get("arguments") or {}
    name = str(payload.get("response") or payload.get("template") or "")
    audience = audience_of(tracker, words.readers, words.languages)
    reply = words.generator.generate(name, audience, arguments)
    return reply.to_rasa()


def _shape_problem(payload: Any) -> str | None:
    """What makes a body something other than Rasa's NLG request, quoting none of it."""
    if not isinstance(payload, dict):
        return "the body must be a JSON object"
    for key in ("tracker", "arguments"):
        if not isinstance(payload.get(key) or {}, dict):
            return f"{key} must be an object"
    if not isinstance(payload.get("response") or payload.get("template") or "", str):
        return "response must be a string"
    return None


@router.post("/nlg")
async def nlg(request: Request, words: WordsDep) -> dict[str, Any]:
    """Rasa's NLG endpoint: response name + tracker in, words out."""
    try:
        payload = await json_body(request)
    except NotJson as error:
        raise HTTPException(400, str(error)) from error
    problem = _shape_problem(payload)
    if problem is not None:
        raise HTTPException(400, problem)
    return await run_in_threadpool(_generate, words, payload)
