"""Machine drafts of an item's language, asked for on the item's page (issue 17, item 3).

Why a module apart from the workflow: translating is slow, can fail in two ways a partner
must understand (no package for the pair, a number the model would have lost) and reads the
installed packages; bot/workspace/revisions.py stays the only code that stores texts, and it
stores a machine draft as a draft like any other, marked with what made it.

- The source is the text people get in the source language (`languages.default`, English),
  else, for an item with no published English, its first published language in the order of
  translations/languages.yml. Drafts, in review or archived texts are never translated: a
  machine draft starts from what a reviewer approved.
- Title and body are translated through the service (protected spans kept, or `SpanLost`);
  each button's title too, kept in the source language when the model cannot give a title
  that fits (a translator sees it and writes it). The sources are the source text's.
- Only a language that is missing or outdated (bot/workspace/dashboard.py) is drafted: a
  current translation is a translator's work and is not replaced by a machine's.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from bot.content.lookup import NEVER_SENT
from bot.content.schema import OPTION_TITLE_MAX_CHARS
from bot.languages import LanguageTable
from bot.store.models import Account, ContentItem, ContentRevision, ContentVariant
from bot.translation import SpanLost, Translator
from bot.translation.protect import Glossary
from bot.workspace import dashboard, revisions
from bot.workspace.revisions import Machine, WrongState


class NothingToTranslate(WrongState):
    """The item has no published text in any other language to start from."""


def source_variant(
    item: ContentItem, target: str, languages: LanguageTable
) -> ContentVariant | None:
    """The published text a machine draft of `target` starts from (see the module's rule)."""
    live = {v.language: v for v in item.variants if v.review_status not in NEVER_SENT}
    for language in [languages.default, *languages.codes]:
        if language != target and language in live:
            return live[language]
    return None


def draftable(session: Session, item: ContentItem, languages: LanguageTable) -> set[str]:
    """The languages of the item a machine draft may fill: missing or outdated ones."""
    return {
        gap.language
        for gap in dashboard.item_gaps(session, item, languages)
        if gap.language != languages.default
    }


def draft(
    session: Session,
    account: Account,
    item: ContentItem,
    target: str,
    *,
    translator: Translator,
    languages: LanguageTable,
    now: dt.datetime,
) -> ContentRevision:
    """Translate the source text into `target` and save it as a machine draft.

    Raises PairUnavailable (no package, even through English), SpanLost (the model would
    have changed a number, a link or a name), NothingToTranslate, or the workflow's own
    refusals; in every case nothing is saved."""
    if target not in draftable(session, item, languages):
        raise WrongState(
            f"the {target} text is up to date: a machine draft only fills a missing or "
            "outdated language"
        )
    source = source_variant(item, target, languages)
    if source is None:
        raise NothingToTranslate("there is no published text in another language to start from")
    terms = organisation_glossary(account)
    title = translator.translate(source.title, source.language, target, terms)
    body = translator.translate(source.body, source.language, target, terms)
    share = None  # the forwardable text ("Share this") is drafted with the rest, if there is one
    if source.share_text:
        share = translator.translate(source.share_text, source.language, target, terms).text
    return revisions.save_machine_draft(
        session,
        account,
        item,
        target,
        languages=languages,
        title=title.text.strip(),
        body=body.text,
        options=[
            {
                "title": _option_title(translator, o["title"], source.language, target, terms),
                **_rest(o),
            }
            for o in source.options
        ],
        sources=[{"title": s.title, "url": s.url} for s in source.sources],
        share_text=share,
        machine=Machine(body.engine, body.model, body.version),
        source_language=source.language,
        now=now,
    )


def organisation_glossary(account: Account) -> Glossary:
    """The terms of the account's organisation (/admin/glossary), used on top of the shared
    ones: an organisation's items are only ever drafted by its own accounts."""
    return Glossary.from_mapping(account.organisation.glossary or {})


def _option_title(
    translator: Translator, title: str, source: str, target: str, terms: Glossary
) -> str:
    """A button's title translated if the model keeps it whole and short enough."""
    try:
        translated = translator.translate(title, source, target, terms).text.strip()
    except SpanLost:
        return title
    return translated if 0 < len(translated) <= OPTION_TITLE_MAX_CHARS else title


def _rest(option: dict[str, str]) -> dict[str, str]:
    return {key: value for key, value in option.items() if key != "title"}
