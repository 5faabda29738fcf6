"""The review queue and the review screen over HTTP (bot/workspace/routes/review.py).

What matters to a partner: the reviewer sees every number a change adds or alters, in every
language, before people get it; languages that disagree cannot be published by accident;
nobody approves their own change; another organisation learns nothing; and every button is a
POST with its CSRF token. The helpers here build changes through revisions.save_draft/submit,
as the editor would, and are shared with test_history.py and test_audit.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.languages import LanguageTable
from bot.store.models import (
    Account,
    ContentItem,
    ContentRevision,
    ContentVariant,
    RevisionStatus,
    VerifiedNumber,
)
from bot.workspace import revisions
from bot.workspace.accounts import organisation_named
from bot.workspace.pages import PREFIX
from bot.workspace.review import fact_lines
from tests.workspace.conftest import WorkspaceUnderTest

ORG = "Panama Aid"
ROLES = ("admin", "editor", "translator", "reviewer", "caseworker")
OLD_LINE = "- Rele *104* pou denonse trafik moun (liy Ministè Sekirite a)."
NEW_LINE = "- Rele *105* pou denonse trafik moun (liy Ministè Sekirite a)."
ADDED_LINE = "- Kwa Wouj Panama: +507 500-6000."


# --- building the scene ------------------------------------------------------------------


@dataclass
class Scene:
    """Panama Aid with one account per role and an author, owning the seed's Panama
    trafficking item (the seed belongs to "sample": the test moves it)."""

    ws: WorkspaceUnderTest
    languages: LanguageTable
    item: int

    def client(self, username: str) -> TestClient:
        return self.ws.sign_in(username)

    def post(self, client: TestClient, path: str, page: str, **data: str):  # noqa: ANN201
        return self.ws.post(client, path, page, **data)

    def live_body(self, language: str) -> str:
        with self.ws.sessions() as session:
            variant = session.scalar(
                select(ContentVariant).where(
                    ContentVariant.item_id == self.item, ContentVariant.language == language
                )
            )
            assert variant is not None
            return variant.body

    def change(
        self,
        author: str,
        language: str = "ht",
        body: str | None = None,
        *,
        submit: bool = True,
    ) -> int:
        """A change saved (and sent for review) by `author`, as the editor page would; its
        id. Without `body`: the Kreyòl text with 104 altered to 105 and +507 500-6000 added."""
        with self.ws.sessions() as session, session.begin():
            account = session.scalar(select(Account).where(Account.username == author))
            item = session.get(ContentItem, self.item)
            assert account is not None and item is not None
            revisions.ensure_baseline(session, item)
            current = revisions.head(session, self.item, language)
            variant = next(v for v in item.variants if v.language == language)
            revision = revisions.save_draft(
                session,
                account,
                item,
                language,
                languages=self.languages,
                base_number=current.number if current else None,
                title=variant.title,
                body=body if body is not None else with_new_numbers(variant.body),
                options=list(variant.options),
                sources=[{"title": s.title, "url": s.url} for s in variant.sources],
                note="Nouvo nimewo Kwa Wouj",
                now=self.ws.clock.now,
            )
            if submit:
                revisions.submit(session, account, revision, self.ws.clock.now)
            session.flush()
            return revision.id

    def revision(self, revision_id: int) -> ContentRevision:
        with self.ws.sessions() as session:
            revision = session.get(ContentRevision, revision_id)
            assert revision is not None
            session.expunge(revision)
            return revision


def with_new_numbers(body: str) -> str:
    """The Kreyòl text with 104 altered to 105 and a new line giving +507 500-6000."""
    assert OLD_LINE in body
    return body.replace(OLD_LINE, NEW_LINE).rstrip("\n") + "\n" + ADDED_LINE + "\n"


def own_item(ws: WorkspaceUnderTest, org: str = ORG) -> int:
    with ws.sessions() as session, session.begin():
        organisation = organisation_named(session, org)
        assert organisation is not None, "make an account of the organisation first"
        item = session.scalar(
            select(ContentItem).where(
                ContentItem.topic_name == "trafficking", ContentItem.country == "PA"
            )
        )
        assert item is not None
        item.organisation_id = organisation.id
        return item.id


def make_scene(ws: WorkspaceUnderTest, languages: LanguageTable) -> Scene:
    """Panama Aid's accounts (one per role, and "author", an editor) and its item."""
    for role in ROLES:
        ws.account(role)
    ws.account("editor", username="author")
    return Scene(ws, languages, own_item(ws))


@pytest.fixture
def scene(ws: WorkspaceUnderTest, languages: LanguageTable) -> Scene:
    return make_scene(ws, languages)


# --- the role x action table ---------------------------------------------------------------

OK, GO, NO = 200, 303, 403
Step = Callable[[Scene, TestClient], int]


def fresh_change(scene: Scene) -> int:
    """A new Kreyòl change in review that the languages agree on (a thank-you line added)."""
    return scene.change("author", body=scene.live_body("ht").rstrip("\n") + "\nMèsi.\n")


def _publish(scene: Scene, client: TestClient) -> int:
    path = f"/review/{fresh_change(scene)}/publish"
    return scene.post(client, path, "/review", confirm_differences="y").status_code


def _send_back(scene: Scene, client: TestClient) -> int:
    path = f"/review/{fresh_change(scene)}/send-back"
    return scene.post(client, path, "/review", note="Tcheke nimewo a").status_code


# action -> (what doing it is, role -> the status the account gets): the table of
# bot/workspace/permissions.py, seen over HTTP. test_history.py and test_audit.py add theirs.
TABLE: dict[str, tuple[Step, dict[str, int]]] = {
    "view queue": (lambda s, c: c.get(f"{PREFIX}/review").status_code, dict.fromkeys(ROLES, OK)),
    "view review screen": (
        lambda s, c: c.get(f"{PREFIX}/review/{fresh_change(s)}").status_code,
        dict.fromkeys(ROLES, OK),
    ),
    "publish": (
        _publish,
        {"admin": GO, "editor": NO, "translator": NO, "reviewer": GO, "caseworker": NO},
    ),
    "send back": (
        _send_back,
        {"admin": GO, "editor": NO, "translator": NO, "reviewer": GO, "caseworker": NO},
    ),
    "archive page": (
        lambda s, c: c.get(f"{PREFIX}/items/{s.item}/fr/archive").status_code,
        {"admin": OK, "editor": NO, "translator": NO, "reviewer": OK, "caseworker": NO},
    ),
    "archive": (
        lambda s, c: s.post(c, f"/items/{s.item}/fr/archive", "/review").status_code,
        {"admin": GO, "editor": NO, "translator": NO, "reviewer": GO, "caseworker": NO},
    ),
}


def check_table(scene: Scene, role: str, table: dict[str, tuple[Step, dict[str, int]]]) -> None:
    """Every action of `table` as `role`, each on a fresh change; all mismatches at once."""
    client = scene.client(f"{role}-panama-aid")
    got = {action: step(scene, client) for action, (step, _expected) in table.items()}
    assert got == {action: expected[role] for action, (_step, expected) in table.items()}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_permission_table_says(scene: Scene, role: str) -> None:
    check_table(scene, role, TABLE)


def test_editors_see_the_queue_but_only_reviewers_get_the_buttons(scene: Scene) -> None:
    revision = scene.change("author")
    editor = scene.client("editor-panama-aid").get(f"{PREFIX}/review/{revision}").text
    reviewer = scene.client("reviewer-panama-aid").get(f"{PREFIX}/review/{revision}").text
    assert f"/review/{revision}/publish" not in editor
    assert f"/review/{revision}/send-back" not in editor
    assert f"/review/{revision}/publish" in reviewer
    assert f"/review/{revision}/send-back" in reviewer


# --- the queue ---------------------------------------------------------------------------


def test_the_queue_lists_the_changes_waiting_oldest_first(scene: Scene) -> None:
    first = scene.change("author", "fr", scene.live_body("fr") + "Merci.\n")
    scene.ws.clock.advance(hours=2)
    second = scene.change("author")
    scene.change("author", "en", scene.live_body("en") + "Thanks.\n", submit=False)
    page = scene.client("reviewer-panama-aid").get(f"{PREFIX}/review")
    assert page.status_code == 200
    links = re.findall(r'class="review-queue-item" href="/admin/review/(\d+)"', page.text)
    assert links == [str(first), str(second)]  # the draft is not waiting for review
    assert "Trafficking · Panama" in page.text and "author" in page.text
    assert "2 December 2026, 09:00" in page.text and "2 December 2026, 11:00" in page.text


def test_the_queue_shows_only_the_organisations_own_changes(scene: Scene) -> None:
    scene.change("author")
    scene.ws.account("reviewer", org="Other Aid")
    page = scene.client("reviewer-other-aid").get(f"{PREFIX}/review")
    assert page.status_code == 200
    assert "Nothing is waiting for review." in page.text


# --- the review screen -------------------------------------------------------------------


def test_the_screen_lists_an_added_and_an_altered_number_and_highlights_them(
    scene: Scene,
) -> None:
    revision = scene.change("author")
    page = scene.client("reviewer-panama-aid").get(f"{PREFIX}/review/{revision}").text
    assert "Changes phone number 104 to 105" in page
    assert "Adds phone number +507 500-6000" in page
    proposed = body_after(page, "Proposed text")
    assert '<mark class="fact fact-phone fact-changed">+507 500-6000</mark>' in proposed
    assert '<mark class="fact fact-phone fact-changed">105</mark>' in proposed
    assert '<mark class="fact fact-phone">911</mark>' in proposed  # unchanged: not outlined
    now = body_after(page, "What people get now")
    assert '<mark class="fact fact-phone fact-changed">104</mark>' in now
    # The other languages are there too, with their facts highlighted.
    assert "Appelez le *<mark class=" in page and "Call *<mark class=" in page


def body_after(page: str, heading: str) -> str:
    """The highlighted text shown under `heading` on the review screen."""
    return page.split(heading, 1)[1].split('class="review-body">', 1)[1].split("</div>", 1)[0]


def test_an_altered_number_is_one_line_and_unrelated_values_stay_two() -> None:
    lines = fact_lines("Rele 104. Rele 911.", "Rele 105. Rele +507 500-6000.")
    assert [(line.change, line.value, line.old) for line in lines] == [
        ("altered", "105", "104"),
        ("removed", "911", None),
        ("added", "+507 500-6000", None),
    ]


def test_the_diff_marks_added_and_removed_lines_with_signs(scene: Scene) -> None:
    revision = scene.change("author")
    page = scene.client("editor-panama-aid").get(f"{PREFIX}/review/{revision}").text
    removed = re.search(
        r'<li class="diff-removed"><span class="diff-sign"[^>]*>−</span>.*?</li>', page, re.S
    )
    added = re.findall(
        r'<li class="diff-added"><span class="diff-sign"[^>]*>\+</span>(.*?)</li>', page, re.S
    )
    assert removed is not None and "*104*" in removed.group()
    assert any("*105*" in line for line in added) and any("+507 500-6000" in line for line in added)


def test_a_difference_between_languages_is_shown_in_words(scene: Scene) -> None:
    revision = scene.change("author")
    page = scene.client("reviewer-panama-aid").get(f"{PREFIX}/review/{revision}").text
    assert "The languages do not give the same numbers" in page
    assert (
        "The Kreyòl text gives phone number +507 500-6000 but the English and French texts "
        "do not." in page
    )
    assert "The English and French texts give phone number 104 but the Kreyòl text does not." in (
        page
    )
    assert 'name="confirm_differences"' in page


def test_unverified_numbers_are_flagged_until_an_admin_adds_them(
    scene: Scene,
) -> None:
    revision = scene.change("author")
    reviewer = scene.client("reviewer-panama-aid")
    flagged = reviewer.get(f"{PREFIX}/review/{revision}").text
    box = flagged.split("Not on the verified list yet", 1)[1].split("</section>", 1)[0]
    assert "+507 500-6000" in box and "Numbers page" in box
    with scene.ws.sessions() as session, session.begin():
        for number in ("+5075006000", "911", "104", "105"):
            session.add(
                VerifiedNumber(
                    country="PA",
                    number=number,
                    label="test",
                    source_title="test",
                    source_url="https://example.org",
                    verified_on=scene.ws.clock.now.date(),
                )
            )
    assert "Not on the verified list yet" not in reviewer.get(f"{PREFIX}/review/{revision}").text


# --- publishing --------------------------------------------------------------------------


def test_a_mismatch_blocks_publishing_until_the_reviewer_confirms_it(
    scene: Scene,
) -> None:
    item = scene.item
    before = scene.live_body("ht")
    revision = scene.change("author")
    reviewer = scene.client("reviewer-panama-aid")
    page = f"/review/{revision}"

    refused = scene.post(reviewer, f"{page}/publish", page, note="")
    assert refused.status_code == 400
    assert "Not published: the languages do not give the same numbers" in refused.text
    assert scene.live_body("ht") == before
    assert scene.revision(revision).status == RevisionStatus.IN_REVIEW

    done = scene.post(reviewer, f"{page}/publish", page, confirm_differences="y", note="OK")
    assert done.status_code == 303
    assert done.headers["location"] == f"{PREFIX}/items/{item}?done=published"
    assert scene.live_body("ht") == with_new_numbers(before)
    published = scene.revision(revision)
    assert published.status == RevisionStatus.PUBLISHED
    assert "confirmed that the languages differ" in (published.note or "")
    assert "OK" in (published.note or "")


def test_a_change_the_languages_agree_on_publishes_without_the_tick(
    scene: Scene,
) -> None:
    body = scene.live_body("ht").replace("Kwa Wouj", "Lakwa Wouj")
    revision = scene.change("author", body=body)
    reviewer = scene.client("reviewer-panama-aid")
    screen = reviewer.get(f"{PREFIX}/review/{revision}").text
    assert "The languages do not give the same numbers" not in screen
    assert 'name="confirm_differences"' not in screen
    assert "This change adds, removes or alters no phone number" in screen
    response = scene.post(reviewer, f"/review/{revision}/publish", f"/review/{revision}")
    assert response.status_code == 303
    assert scene.live_body("ht") == body


def test_nobody_approves_their_own_change_but_another_reviewer_does(
    scene: Scene,
) -> None:
    revision = scene.change("admin-panama-aid")
    author = scene.client("admin-panama-aid")
    screen = author.get(f"{PREFIX}/review/{revision}").text
    assert "You cannot approve your own change: ask another reviewer." in screen
    assert f"/review/{revision}/publish" not in screen
    page = f"/review/{revision}"
    refused = scene.post(author, f"{page}/publish", page, confirm_differences="y")
    assert refused.status_code == 403
    assert scene.revision(revision).status == RevisionStatus.IN_REVIEW

    other = scene.client("reviewer-panama-aid")
    done = scene.post(other, f"{page}/publish", page, confirm_differences="y")
    assert done.status_code == 303
    assert scene.revision(revision).status == RevisionStatus.PUBLISHED


def test_a_published_change_cannot_be_published_twice(scene: Scene) -> None:
    revision = scene.change("author")
    reviewer = scene.client("reviewer-panama-aid")
    page = f"/review/{revision}"
    assert scene.post(reviewer, f"{page}/publish", page, confirm_differences="y").status_code == 303
    again = scene.post(reviewer, f"{page}/publish", page, confirm_differences="y")
    assert again.status_code == 409
    screen = reviewer.get(f"{PREFIX}{page}").text
    assert "This version is not waiting for review" in screen
    assert f"{page}/publish" not in screen


# --- sending back ------------------------------------------------------------------------


def test_sending_back_needs_a_note_and_returns_the_change_as_a_draft(
    scene: Scene,
) -> None:
    revision = scene.change("author")
    reviewer = scene.client("reviewer-panama-aid")
    page = f"/review/{revision}"
    empty = scene.post(reviewer, f"{page}/send-back", page, note="  ")
    assert empty.status_code == 400 and "Say what should change" in empty.text
    assert scene.revision(revision).status == RevisionStatus.IN_REVIEW

    done = scene.post(reviewer, f"{page}/send-back", page, note="Ki sous pou 105?")
    assert done.status_code == 303 and done.headers["location"] == f"{PREFIX}/review?done=sent_back"
    returned = scene.revision(revision)
    assert returned.status == RevisionStatus.DRAFT
    assert "Ki sous pou 105?" in (returned.note or "")
    queue = reviewer.get(done.headers["location"]).text
    assert "The change went back to its author with your note." in queue


# --- archiving ---------------------------------------------------------------------------


def test_archiving_asks_first_then_takes_the_text_out_of_use(scene: Scene) -> None:
    item = scene.item
    reviewer = scene.client("reviewer-panama-aid")
    question = reviewer.get(f"{PREFIX}/items/{item}/fr/archive")
    assert "People will no longer get this text. Archive it?" in question.text
    page = f"/items/{item}/fr/archive"
    done = scene.post(reviewer, page, page)
    assert (
        done.status_code == 303
        and done.headers["location"] == f"{PREFIX}/items/{item}?done=archived"
    )
    with scene.ws.sessions() as session:
        variant = session.scalar(
            select(ContentVariant).where(
                ContentVariant.item_id == item, ContentVariant.language == "fr"
            )
        )
        assert variant is not None and variant.review_status == "archived"
    assert "already archived" in reviewer.get(f"{PREFIX}{page}").text
    assert scene.post(reviewer, page, page).status_code == 409


def test_archiving_warns_that_a_change_in_review_is_archived_too(scene: Scene) -> None:
    scene.change("author", "fr", scene.live_body("fr") + "Merci.\n")
    page = scene.client("reviewer-panama-aid").get(f"{PREFIX}/items/{scene.item}/fr/archive")
    assert "A change of this text is waiting for review" in page.text


def test_a_text_nobody_gets_is_compared_with_an_empty_text(scene: Scene) -> None:
    reviewer = scene.client("reviewer-panama-aid")
    archive = f"/items/{scene.item}/fr/archive"
    assert scene.post(reviewer, archive, archive).status_code == 303
    revision = scene.change("author", "fr", "Appelez le 911.\n")
    page = reviewer.get(f"{PREFIX}/review/{revision}").text
    assert "People get no text in this language now." in page
    assert "Compared with an empty text" in page
    assert "Adds phone number 911" in page


def test_an_unknown_language_is_not_found(scene: Scene) -> None:
    item = scene.item
    reviewer = scene.client("reviewer-panama-aid")
    assert reviewer.get(f"{PREFIX}/items/{item}/xx/archive").status_code == 404


# --- organisations and CSRF ----------------------------------------------------------------


def test_another_organisation_gets_not_found_for_the_screen_and_every_post(
    scene: Scene,
) -> None:
    item = scene.item
    revision = scene.change("author")
    scene.ws.account("reviewer", org="Other Aid")
    outsider = scene.client("reviewer-other-aid")
    assert outsider.get(f"{PREFIX}/review/{revision}").status_code == 404
    assert outsider.get(f"{PREFIX}/review/999999").status_code == 404
    assert outsider.get(f"{PREFIX}/items/{item}/fr/archive").status_code == 404
    posts = {
        f"/review/{revision}/publish": {"confirm_differences": "y"},
        f"/review/{revision}/send-back": {"note": "no"},
        f"/items/{item}/fr/archive": {},
    }
    for path, data in posts.items():
        assert scene.post(outsider, path, "/review", **data).status_code == 404, path
    assert scene.revision(revision).status == RevisionStatus.IN_REVIEW
    assert "Not found" not in outsider.get(f"{PREFIX}/review/{revision}").text


@pytest.mark.parametrize(
    "path",
    ["/review/{revision}/publish", "/review/{revision}/send-back", "/items/{item}/fr/archive"],
)
def test_a_post_without_its_csrf_token_is_refused(scene: Scene, path: str) -> None:
    item = scene.item
    revision = scene.change("author")
    reviewer = scene.client("reviewer-panama-aid")
    reviewer.get(f"{PREFIX}/review/{revision}")
    url = PREFIX + path.format(revision=revision, item=item)
    response = reviewer.post(
        url, data={"note": "x", "confirm_differences": "y"}, follow_redirects=False
    )
    assert response.status_code == 400
    assert scene.revision(revision).status == RevisionStatus.IN_REVIEW
    assert scene.live_body("fr").startswith("*Au Panama")
