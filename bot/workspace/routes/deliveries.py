"""Messages not delivered (/admin/deliveries): the outbox's dead letters and its depth now.

Counts only, by channel and error class ("rate limited", "server error"...), with the first
and last time and the platform's status codes; a given-up message has no number, chat id or
text left to show (bot/outbox/deadletters.py). Admins only (Action.VIEW_DELIVERIES): it is
the whole deployment's, not one organisation's, and admins are who can act on it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from bot.outbox import deadletters
from bot.outbox.deadletters import ErrorClass
from bot.workspace.i18n import N_
from bot.workspace.pages import VisitDep, render
from bot.workspace.permissions import Action
from bot.workspace.routes.insights import CHANNEL_NAMES
from bot.workspace.routes.review import names_for

router = APIRouter()

# Each error class as the page says it, and what it usually means for the operator.
CLASS_WORDS: dict[ErrorClass, tuple[str, str]] = {
    ErrorClass.RATE_LIMITED: (
        N_("Rate limited"),
        N_("The platform asked the assistant to send more slowly, every time it tried."),
    ),
    ErrorClass.SERVER_ERROR: (
        N_("Server error"),
        N_("The platform had a problem of its own and kept answering with an error."),
    ),
    ErrorClass.NETWORK: (
        N_("Network"),
        N_("The platform could not be reached: check the server's connection."),
    ),
    ErrorClass.NO_ANSWER: (
        N_("No answer"),
        N_("The platform did not answer in time; the person may have received it."),
    ),
    ErrorClass.REFUSED: (
        N_("Refused by the platform"),
        N_(
            "The platform refused the message: the person blocked the assistant (WhatsApp or "
            "Telegram), the number is not on WhatsApp, or a WhatsApp template or the "
            "credentials need checking."
        ),
    ),
    ErrorClass.OTHER: (N_("Other"), N_("An error the assistant does not know.")),
}


@router.get("/deliveries")
def deliveries_page(request: Request, visit: VisitDep) -> Response:
    visit.require(Action.VIEW_DELIVERIES)
    return render(
        request,
        "deliveries.html",
        visit,
        dead=deadletters.dead_letters(visit.db),
        waiting=deadletters.waiting(visit.db),
        class_words=CLASS_WORDS,
        channel_names=CHANNEL_NAMES,
        names=names_for(request, visit),
    )
