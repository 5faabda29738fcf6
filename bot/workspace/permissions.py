"""What each role may do in the workspace: one table, read by every route and by the tests.

Why a table and not checks spread over the routes: a partner asks "can a translator publish?"
and the answer is one line here; the tests walk the whole table over HTTP (every role x every
action), so a route that forgets its check fails a test instead of leaking a draft.

Two rules are not about the role and live in bot/workspace/revisions.py: an account acts only on
its own organisation's items, and nobody approves their own change.
"""

from __future__ import annotations

from enum import StrEnum

from bot.store.models import Role
from bot.workspace.i18n import N_


class Action(StrEnum):
    VIEW = "view"  # read items, drafts, history and the dashboard of the organisation
    CREATE_ITEM = "create_item"  # a new item (a topic for a country)
    EDIT_SOURCE = "edit_source"  # write the source language (the default language)
    TRANSLATE = "translate"  # write any other language
    EDIT_SETTINGS = "edit_settings"  # review_by date, sample/needs_review flags and note
    SUBMIT = "submit"  # send a draft for review
    PUBLISH = "publish"  # approve a change in review: people get it from the next reply
    RETURN = "return"  # send a change in review back to its author, with a note
    ARCHIVE = "archive"  # take a language of an item out of use
    RESTORE = "restore"  # an old version as a new draft
    IMPORT = "import"  # YAML, PO or XLIFF into the store
    EXPORT = "export"  # YAML, PO or XLIFF out of the store
    MANAGE_NUMBERS = "manage_numbers"  # the verified numbers per country
    MANAGE_ACCOUNTS = "manage_accounts"  # organisations and accounts
    EDIT_SAFETY = "edit_safety"  # the emergency patterns and the gazetteer
    VIEW_AUDIT = "view_audit"  # who did what and when
    # The insights: counts without people, and the texts the assistant could not answer while
    # they are kept (issue 18). Those who decide what to write and publish: admins, editors,
    # reviewers; translators work on given texts, caseworkers on their cases.
    VIEW_INSIGHTS = "view_insights"
    # Take over an item of the sample organisation (the seed): from then on the adopting
    # organisation keeps it right, and only it can edit it.
    ADOPT = "adopt"
    # Claim, answer, note and close the organisation's handoff cases, and keep its saved
    # replies (issue 15); the same roles as bot.handoff.cases.ANSWERING_ROLES.
    ANSWER_CASES = "answer_cases"
    # Make a campaign: its links, QR codes and printable card open the assistant in a
    # language (issue 18). Admins and editors, who speak for the organisation in public;
    # everyone who may VIEW sees the campaigns and their arrivals.
    MANAGE_CAMPAIGNS = "manage_campaigns"
    # The assistant's fixed phrases (translations/*.po: greetings, buttons, errors), the same
    # for every organisation; the English ones only with EDIT_SOURCE too (admins).
    EDIT_PHRASES = "edit_phrases"
    # The organisation's glossary for machine drafts (/admin/glossary): those who ask for
    # machine drafts and correct them.
    EDIT_GLOSSARY = "edit_glossary"
    # The messages the assistant could not deliver (/admin/deliveries): counts by channel and
    # error class, no person in them, for the whole deployment, not one organisation. Admins,
    # who run the deployment and can act on it (credentials, a blocked number, the platform).
    VIEW_DELIVERIES = "view_deliveries"


_WRITERS = {Action.VIEW, Action.SUBMIT, Action.RESTORE, Action.EXPORT}

ALLOWED: dict[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action),
    Role.EDITOR: frozenset(
        _WRITERS
        | {
            Action.CREATE_ITEM,
            Action.EDIT_SOURCE,
            Action.TRANSLATE,
            Action.EDIT_SETTINGS,
            Action.VIEW_INSIGHTS,
            Action.MANAGE_CAMPAIGNS,
            Action.EDIT_GLOSSARY,
        }
    ),
    Role.TRANSLATOR: frozenset(
        _WRITERS | {Action.TRANSLATE, Action.IMPORT, Action.EDIT_PHRASES, Action.EDIT_GLOSSARY}
    ),
    Role.REVIEWER: frozenset(
        {
            Action.VIEW,
            Action.PUBLISH,
            Action.RETURN,
            Action.ARCHIVE,
            Action.EXPORT,
            Action.EDIT_SETTINGS,
            Action.VIEW_AUDIT,
            Action.VIEW_INSIGHTS,
        }
    ),
    # Caseworkers answer people (issue 15); in the content workspace they only read.
    Role.CASEWORKER: frozenset({Action.VIEW, Action.ANSWER_CASES}),
}


# The layout shows `_(account.role)`: the role codes are marked here for the catalogs.
ROLE_WORDS = (N_("admin"), N_("editor"), N_("translator"), N_("reviewer"), N_("caseworker"))


def allowed(role: str, action: Action) -> bool:
    """Whether an account of this role may do this; an unknown role may do nothing."""
    try:
        return action in ALLOWED[Role(role)]
    except ValueError:
        return False
