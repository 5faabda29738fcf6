"""The workflow rules of bot/workspace/revisions.py, over the store, without the web.

What matters to a partner: people keep getting the published text until a reviewer of the same
organisation approves a change; nobody approves their own change; two editors cannot overwrite
each other; the languages cannot silently give different numbers; nothing is ever lost.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.content.lookup import find_variant
from bot.content.shelf import Shelf, ShelfVariant
from bot.languages import LanguageTable
from bot.store.models import (
    Account,
    AuditEntry,
    ContentItem,
    ContentRevision,
    ContentSource,
    ContentVariant,
    Organisation,
    ReviewStatus,
    RevisionStatus,
    Role,
    Topic,
)
from bot.workspace import audit, revisions
from bot.workspace.permissions import Action, allowed
from bot.workspace.revisions import (
    EditConflict,
    InvalidContent,
    NotAllowed,
    NumbersDiffer,
    WrongState,
)

NOW = dt.datetime(2026, 12, 2, 9, 30, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(hours=2)
TOPIC = "trafficking"
SOURCE = {"title": "IOM", "url": "https://www.iom.int/counter-trafficking"}
OTHER_SOURCE = {"title": "UNHCR", "url": "https://help.unhcr.org/panama/"}
SEED = {
    "en": "If someone takes your passport, call 911.",
    "fr": "Si quelqu'un prend votre passeport, appelez le 911.",
    "ht": "Si yon moun pran paspò ou, rele 911.",
}
NEW_HT = "Si yon moun pran paspò ou, rele 911.\nPa bay dokiman ou."
_names = itertools.count()


@dataclass
class Scene:
    """One organisation's item with the seed's three languages, and whoever acts on it."""

    session: Session
    languages: LanguageTable
    organisation: Organisation
    item: ContentItem

    def account(self, role: Role, organisation: Organisation | None = None) -> Account:
        organisation = organisation or self.organisation
        account = Account(
            organisation=organisation,
            username=f"{role.value}-{next(_names)}",
            password_hash="not-a-hash",
            role=role.value,
        )
        self.session.add(account)
        self.session.flush()
        return account

    def save(
        self,
        account: Account,
        language: str,
        body: str,
        *,
        base: int | None,
        title: str = "Passport",
        sources: list[dict[str, str]] | None = None,
        now: dt.datetime = NOW,
    ) -> ContentRevision:
        return revisions.save_draft(
            self.session,
            account,
            self.item,
            language,
            languages=self.languages,
            base_number=base,
            title=title,
            body=body,
            options=[{"title": "Menu", "payload": "/menu"}],
            sources=[SOURCE] if sources is None else sources,
            note=None,
            now=now,
        )

    def in_review(self, author: Account, language: str, body: str) -> ContentRevision:
        current = revisions.head(self.session, self.item.id, language)
        revision = self.save(author, language, body, base=current.number if current else None)
        revisions.submit(self.session, author, revision, NOW)
        return revision

    def variant(self, language: str) -> ContentVariant:
        return next(v for v in self.item.variants if v.language == language)

    def audit_lines(self) -> int:
        return self.session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def organisation(session: Session, name: str) -> Organisation:
    found = Organisation(name=f"{name}-{next(_names)}")
    session.add(found)
    session.flush()
    return found


@pytest.fixture
def scene(session: Session, languages: LanguageTable) -> Scene:
    owner = organisation(session, "Kay Fanmi")
    item = ContentItem(organisation=owner, country="PA")
    for language, body in SEED.items():
        item.variants.append(
            ContentVariant(
                language=language,
                title=f"Passport {language}",
                body=body,
                options=[{"title": "Menu", "payload": "/menu"}],
                review_status=ReviewStatus.IN_REVIEW.value,  # how the seed is marked
                sources=[ContentSource(position=0, **SOURCE)],
            )
        )
    session.add(Topic(name=TOPIC, menu_order=1, items=[item]))
    session.flush()
    return Scene(session, languages, owner, item)


def sent(session: Session, language: str) -> ShelfVariant | None:
    """What a person asking in `language` alone gets: read from the store as it is now."""
    return find_variant(Shelf.load(session), TOPIC, [language], "PA")


# --- baseline --------------------------------------------------------------------------------


def test_seed_gets_a_first_revision_holding_the_live_text(scene: Scene) -> None:
    created = revisions.ensure_baseline(scene.session, scene.item)

    assert {r.language for r in created} == {"en", "fr", "ht"}
    for revision in created:
        assert (revision.number, revision.status) == (1, RevisionStatus.PUBLISHED)
        assert (revision.author_id, revision.note) == (None, "imported")
        assert revision.body == SEED[revision.language]
        assert revision.sources == [SOURCE]
    assert revisions.ensure_baseline(scene.session, scene.item) == []


# --- save, submit, publish -------------------------------------------------------------------


def test_people_get_the_change_only_once_it_is_published(scene: Scene) -> None:
    editor, reviewer = scene.account(Role.EDITOR), scene.account(Role.REVIEWER)

    draft = scene.save(editor, "ht", NEW_HT, base=1, sources=[OTHER_SOURCE])
    assert (draft.number, draft.status, draft.author_id) == (2, RevisionStatus.DRAFT, editor.id)
    assert sent(scene.session, "ht").body == SEED["ht"]

    revisions.submit(scene.session, editor, draft, NOW)
    assert draft.status == RevisionStatus.IN_REVIEW
    assert sent(scene.session, "ht").body == SEED["ht"]

    revisions.publish(scene.session, reviewer, draft, LATER)
    scene.session.flush()
    live = scene.variant("ht")
    assert (live.body, live.version, live.review_status) == (NEW_HT, 2, ReviewStatus.PUBLISHED)
    assert live.last_reviewed == LATER.date()
    assert [(s.title, s.url) for s in live.sources] == [
        (OTHER_SOURCE["title"], OTHER_SOURCE["url"])
    ]
    assert sent(scene.session, "ht").body == NEW_HT
    assert (draft.status, draft.reviewer_id, draft.reviewed_at) == (
        RevisionStatus.PUBLISHED,
        reviewer.id,
        LATER,
    )
    first = revisions.history(scene.session, scene.item.id, "ht")[-1]
    assert (first.number, first.status) == (1, RevisionStatus.SUPERSEDED)
    assert scene.variant("en").body == SEED["en"]


def test_a_new_language_is_created_when_first_published(scene: Scene) -> None:
    scene.item.variants.remove(scene.variant("fr"))  # an item not yet in French
    scene.session.flush()
    editor, reviewer = scene.account(Role.EDITOR), scene.account(Role.REVIEWER)

    revision = scene.in_review(editor, "fr", SEED["fr"])
    assert (revision.number, revision.base_number) == (1, None)
    revisions.publish(scene.session, reviewer, revision, NOW)

    assert (scene.variant("fr").body, scene.variant("fr").version) == (SEED["fr"], 1)


def test_nobody_approves_their_own_change(scene: Scene) -> None:
    admin = scene.account(Role.ADMIN)  # may do everything else
    revision = scene.in_review(admin, "ht", NEW_HT)

    with pytest.raises(NotAllowed, match="you cannot approve your own change: ask another"):
        revisions.publish(scene.session, admin, revision, NOW)

    assert revision.status == RevisionStatus.IN_REVIEW
    revisions.publish(scene.session, scene.account(Role.REVIEWER), revision, NOW)
    assert scene.variant("ht").body == NEW_HT


def test_a_reviewer_of_another_organisation_cannot_publish(scene: Scene) -> None:
    revision = scene.in_review(scene.account(Role.EDITOR), "ht", NEW_HT)
    outsider = scene.account(Role.REVIEWER, organisation(scene.session, "Other NGO"))

    with pytest.raises(NotAllowed, match="another organisation"):
        revisions.publish(scene.session, outsider, revision, NOW)

    assert revision.status == RevisionStatus.IN_REVIEW
    assert scene.variant("ht").body == SEED["ht"]


def test_an_editor_of_another_organisation_cannot_save(scene: Scene) -> None:
    outsider = scene.account(Role.ADMIN, organisation(scene.session, "Other NGO"))

    with pytest.raises(NotAllowed, match="another organisation"):
        scene.save(outsider, "ht", NEW_HT, base=1)

    assert revisions.head(scene.session, scene.item.id, "ht") is None


def test_a_translator_writes_translations_but_not_the_source(scene: Scene) -> None:
    translator = scene.account(Role.TRANSLATOR)
    assert scene.languages.default == "en"

    with pytest.raises(NotAllowed, match=r"translator\) cannot edit the source language"):
        scene.save(translator, "en", "Keep your passport.", base=1)
    revision = scene.save(translator, "ht", NEW_HT, base=1)

    assert revision.status == RevisionStatus.DRAFT
    assert revision.source_number == 1  # written from version 1 of the English text


def test_a_translation_records_the_source_version_it_was_made_from(scene: Scene) -> None:
    editor, reviewer = scene.account(Role.EDITOR), scene.account(Role.REVIEWER)
    english = scene.in_review(editor, "en", "If someone takes your passport, call 911 now.")
    revisions.publish(scene.session, reviewer, english, NOW)

    translation = scene.save(editor, "ht", NEW_HT, base=1)

    assert (english.source_number, translation.source_number) == (None, 2)


def test_an_unknown_language_is_refused(scene: Scene) -> None:
    with pytest.raises(InvalidContent, match="does not speak 'kr'"):
        scene.save(scene.account(Role.EDITOR), "kr", NEW_HT, base=None)


# --- concurrency -----------------------------------------------------------------------------


def test_a_save_over_a_newer_version_is_refused_and_names_it(scene: Scene) -> None:
    first, second = scene.account(Role.EDITOR), scene.account(Role.TRANSLATOR)
    theirs = scene.save(first, "ht", NEW_HT, base=1)

    with pytest.raises(EditConflict) as refused:
        scene.save(second, "ht", "Another text.", base=1, now=LATER)

    assert refused.value.theirs is theirs
    message = str(refused.value)
    assert f"{first.username} saved version 2 on 02 December 2026 at 09:30 UTC" in message
    assert "version 1" in message
    assert [r.number for r in revisions.history(scene.session, scene.item.id, "ht")] == [2, 1]
    assert theirs.status == RevisionStatus.DRAFT


def test_a_save_that_loses_the_race_at_the_database_is_a_conflict_too(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process saved between this one's read of the head and its write: the unique
    version number refuses the second row, and the editor gets the same clear refusal."""
    editor = scene.account(Role.EDITOR)
    revisions.ensure_baseline(scene.session, scene.item)
    stale = revisions.head(scene.session, scene.item.id, "ht")
    theirs = scene.save(scene.account(Role.EDITOR), "ht", NEW_HT, base=1)
    real_head = revisions.head
    reads = iter([stale])
    monkeypatch.setattr(revisions, "head", lambda *args: next(reads, None) or real_head(*args))

    with pytest.raises(EditConflict) as refused:
        scene.save(editor, "ht", "Another text.", base=1)

    assert refused.value.theirs is theirs
    assert [r.number for r in revisions.history(scene.session, scene.item.id, "ht")] == [2, 1]


def test_an_editor_who_opened_the_seed_before_its_baseline_starts_from_it(
    scene: Scene,
) -> None:
    """The editor read no head (None): the baseline made at the save is what they saw."""
    editor = scene.account(Role.EDITOR)
    revision = scene.save(editor, "ht", NEW_HT, base=None)
    assert (revision.number, revision.base_number) == (2, 1)

    with pytest.raises(EditConflict, match=f"{editor.username} saved version 2"):
        scene.save(scene.account(Role.EDITOR), "ht", NEW_HT, base=None)


def test_once_the_baseline_exists_it_is_a_version_to_start_from(scene: Scene) -> None:
    revisions.ensure_baseline(scene.session, scene.item)

    with pytest.raises(EditConflict, match="the content import saved version 1"):
        scene.save(scene.account(Role.EDITOR), "ht", NEW_HT, base=None)


# --- the numbers check -----------------------------------------------------------------------


def test_a_number_only_one_language_gives_blocks_publishing_until_confirmed(
    scene: Scene,
) -> None:
    reviewer = scene.account(Role.REVIEWER)
    revision = scene.in_review(
        scene.account(Role.EDITOR), "ht", "Si yon moun pran paspò ou, rele 911 oswa +507 6000-1111."
    )

    with pytest.raises(NumbersDiffer) as differ:
        revisions.publish(scene.session, reviewer, revision, NOW)
    lacking = {"phone": {"+50760001111"}}
    assert differ.value.mismatches == {"en": lacking, "fr": lacking}
    assert "Correct the texts, or confirm" in str(differ.value)
    assert revision.status == RevisionStatus.IN_REVIEW
    assert scene.variant("ht").body == SEED["ht"]

    revisions.publish(
        scene.session, reviewer, revision, NOW, confirm_differences=True, note="Panama only"
    )

    assert scene.variant("ht").body == revision.body
    assert revision.note is not None
    assert "Panama only" in revision.note
    assert (
        f"{reviewer.username} confirmed that the languages differ: "
        "the en text lacks phone +50760001111; the fr text lacks phone +50760001111"
    ) in revision.note
    entry = audit.recent(scene.session, scene.organisation.id, limit=1)[0]
    assert (entry.action, entry.detail) == ("publish", "confirmed differences")


def test_the_same_numbers_in_every_language_publish_without_confirmation(scene: Scene) -> None:
    revision = scene.in_review(scene.account(Role.EDITOR), "ht", NEW_HT)  # 911, like en and fr

    revisions.publish(scene.session, scene.account(Role.REVIEWER), revision, NOW)

    assert revision.status == RevisionStatus.PUBLISHED
    assert "confirmed" not in (revision.note or "")


# --- send back, archive, restore -------------------------------------------------------------


def test_a_reviewer_sends_a_change_back_with_a_note(scene: Scene) -> None:
    editor, reviewer = scene.account(Role.EDITOR), scene.account(Role.REVIEWER)
    revision = scene.in_review(editor, "ht", NEW_HT)

    with pytest.raises(InvalidContent, match="say what should change"):
        revisions.send_back(scene.session, reviewer, revision, "  ", NOW)
    revisions.send_back(scene.session, reviewer, revision, "Ajoute nimewo IOM.", NOW)

    assert revision.status == RevisionStatus.DRAFT
    assert revision.note == f"Sent back by {reviewer.username}: Ajoute nimewo IOM."
    assert scene.variant("ht").body == SEED["ht"]
    again = scene.save(editor, "ht", NEW_HT + " IOM.", base=revision.number)
    assert (revision.status, again.number) == (RevisionStatus.REPLACED, 3)


def test_archiving_stops_the_text_being_sent(scene: Scene) -> None:
    assert sent(scene.session, "ht").body == scene.variant("ht").body

    revisions.archive(scene.session, scene.account(Role.REVIEWER), scene.item, "ht", NOW)

    assert scene.variant("ht").review_status == ReviewStatus.ARCHIVED
    assert sent(scene.session, "ht") is None
    assert revisions.head(scene.session, scene.item.id, "ht").status == RevisionStatus.ARCHIVED
    with pytest.raises(WrongState, match="already archived"):
        revisions.archive(scene.session, scene.account(Role.ADMIN), scene.item, "ht", NOW)


def test_archiving_during_an_edit_leaves_nothing_marked_published(scene: Scene) -> None:
    draft = scene.save(scene.account(Role.EDITOR), "ht", NEW_HT, base=1)

    revisions.archive(scene.session, scene.account(Role.REVIEWER), scene.item, "ht", NOW)

    statuses = {r.number: r.status for r in revisions.history(scene.session, scene.item.id, "ht")}
    assert statuses == {2: RevisionStatus.ARCHIVED, 1: RevisionStatus.ARCHIVED}
    assert draft.status == RevisionStatus.ARCHIVED


def test_restoring_an_old_version_makes_a_new_draft_with_its_text(scene: Scene) -> None:
    editor = scene.account(Role.EDITOR)
    published = scene.in_review(editor, "ht", NEW_HT)
    revisions.publish(scene.session, scene.account(Role.REVIEWER), published, NOW)
    first = revisions.history(scene.session, scene.item.id, "ht")[-1]

    restored = revisions.restore(scene.session, editor, first, LATER, languages=scene.languages)

    assert (restored.number, restored.base_number, restored.status) == (
        3,
        2,
        RevisionStatus.DRAFT,
    )
    assert (restored.title, restored.body, restored.sources) == (
        first.title,
        SEED["ht"],
        [SOURCE],
    )
    assert restored.note == "restored from version 1"
    assert published.status == RevisionStatus.PUBLISHED  # still what people get
    assert scene.variant("ht").body == NEW_HT


# --- checks on the text and on the state -----------------------------------------------------


def test_texts_keep_the_limits_of_the_content_files(scene: Scene) -> None:
    editor = scene.account(Role.EDITOR)

    with pytest.raises(InvalidContent, match="title: 31 characters, at most 24"):
        scene.save(editor, "ht", NEW_HT, base=1, title="A title far too long for a list")
    with pytest.raises(InvalidContent, match="source 1 url: must be a web address"):
        scene.save(editor, "ht", NEW_HT, base=1, sources=[{"title": "IOM", "url": "iom.int"}])
    with pytest.raises(InvalidContent, match="the limit for one message is 700"):
        scene.save(editor, "ht", "mo " * 230, base=1)


def test_a_draft_may_lack_sources_but_is_not_sent_for_review_without(scene: Scene) -> None:
    editor = scene.account(Role.EDITOR)
    draft = scene.save(editor, "ht", NEW_HT, base=1, sources=[])

    with pytest.raises(InvalidContent, match="add at least one source"):
        revisions.submit(scene.session, editor, draft, NOW)
    assert draft.status == RevisionStatus.DRAFT


def test_only_the_newest_version_in_the_right_state_moves_on(scene: Scene) -> None:
    editor, reviewer = scene.account(Role.EDITOR), scene.account(Role.REVIEWER)
    old = scene.save(editor, "ht", NEW_HT, base=1)
    new = scene.save(editor, "ht", NEW_HT + " 2", base=2)

    with pytest.raises(WrongState, match="version 2 is no longer the newest: version 3"):
        revisions.submit(scene.session, editor, old, NOW)
    with pytest.raises(WrongState, match="version 3 is a draft; this needs a version that is"):
        revisions.publish(scene.session, reviewer, new, NOW)


# --- history, diff, audit --------------------------------------------------------------------


def test_history_is_newest_first_and_diff_marks_changed_lines(scene: Scene) -> None:
    scene.save(scene.account(Role.EDITOR), "ht", NEW_HT, base=1, sources=[OTHER_SOURCE])
    second, first = revisions.history(scene.session, scene.item.id, "ht")

    lines = [(line.field, line.kind, line.text) for line in revisions.diff(first, second)]

    assert lines == [
        ("title", "removed", "Passport ht"),
        ("title", "added", "Passport"),
        ("body", "equal", "Si yon moun pran paspò ou, rele 911."),
        ("body", "added", "Pa bay dokiman ou."),
        ("sources", "removed", f"{SOURCE['title']} {SOURCE['url']}"),
        ("sources", "added", f"{OTHER_SOURCE['title']} {OTHER_SOURCE['url']}"),
    ]


def test_every_step_is_in_the_audit_log_without_the_text(scene: Scene) -> None:
    editor, reviewer = scene.account(Role.EDITOR), scene.account(Role.REVIEWER)
    revision = scene.in_review(editor, "ht", NEW_HT)
    revisions.publish(scene.session, reviewer, revision, LATER)

    entries = audit.recent(scene.session, scene.organisation.id)

    target = f"item {scene.item.id} ht r2"
    assert [(e.account_id, e.action, e.target) for e in entries] == [
        (reviewer.id, "publish", target),
        (editor.id, "submit", target),
        (editor.id, "save", target),
    ]
    assert all(NEW_HT not in f"{e.target} {e.detail}" for e in entries)


# --- every role x every step, as bot/workspace/permissions.py says ---------------------------

# Each step: what it needs from the table, and how to prepare it so that only the role of the
# account acting decides (the item is theirs, the change is somebody else's, in the right
# state). `prepare` returns the act itself.
Step = Callable[[Scene, Account], Any]


def _prepared_review(scene: Scene) -> ContentRevision:
    return scene.in_review(scene.account(Role.ADMIN), "ht", NEW_HT)


def _prepared_restore(scene: Scene) -> ContentRevision:
    scene.save(scene.account(Role.ADMIN), "ht", NEW_HT, base=1)
    return revisions.history(scene.session, scene.item.id, "ht")[-1]


def _save_source(scene: Scene) -> Step:
    return lambda s, actor: s.save(actor, "en", "Keep your passport; call 911.", base=1)


def _save_translation(scene: Scene) -> Step:
    return lambda s, actor: s.save(actor, "ht", NEW_HT, base=1)


def _submit(scene: Scene) -> Step:
    draft = scene.save(scene.account(Role.ADMIN), "ht", NEW_HT, base=1)
    return lambda s, actor: revisions.submit(s.session, actor, draft, NOW)


def _publish(scene: Scene) -> Step:
    revision = _prepared_review(scene)
    return lambda s, actor: revisions.publish(s.session, actor, revision, NOW)


def _send_back(scene: Scene) -> Step:
    revision = _prepared_review(scene)
    return lambda s, actor: revisions.send_back(s.session, actor, revision, "Ajoute IOM.", NOW)


def _archive(scene: Scene) -> Step:
    return lambda s, actor: revisions.archive(s.session, actor, s.item, "ht", NOW)


def _restore(scene: Scene) -> Step:
    old = _prepared_restore(scene)
    return lambda s, actor: revisions.restore(s.session, actor, old, NOW, languages=s.languages)


STEPS: dict[str, tuple[Callable[[Scene], Step], set[Action]]] = {
    "save source": (_save_source, {Action.EDIT_SOURCE}),
    "save translation": (_save_translation, {Action.TRANSLATE}),
    "submit": (_submit, {Action.SUBMIT}),
    "publish": (_publish, {Action.PUBLISH}),
    "send back": (_send_back, {Action.RETURN}),
    "archive": (_archive, {Action.ARCHIVE}),
    "restore": (_restore, {Action.RESTORE, Action.TRANSLATE}),
}


@pytest.mark.parametrize("step", list(STEPS))
@pytest.mark.parametrize("role", list(Role))
def test_every_role_may_do_exactly_what_the_permission_table_says(
    scene: Scene, role: Role, step: str
) -> None:
    prepare, needs = STEPS[step]
    act = prepare(scene)
    actor = scene.account(role)
    lines_before = scene.audit_lines()

    if all(allowed(role, action) for action in needs):
        act(scene, actor)
        assert scene.audit_lines() == lines_before + 1
    else:
        with pytest.raises(NotAllowed, match=rf"your role \({role.value}\) cannot"):
            act(scene, actor)
        assert scene.audit_lines() == lines_before
