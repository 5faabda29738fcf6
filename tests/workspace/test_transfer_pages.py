"""Import and export pages over HTTP (bot/workspace/routes/transfer.py).

What matters: every role gets exactly what the permission table gives it; a file carries only
the organisation's own items, in and out; an import shows every change before it is stored,
stores it all or nothing, and only ever as versions waiting for review (the live text does not
move); a bad file is refused whole with every problem listed.
"""

from __future__ import annotations

import io
import re
import zipfile

import polib
import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.store.models import AuditEntry, ContentItem, ContentRevision, ContentVariant
from bot.workspace import exchange, revisions
from bot.workspace.accounts import organisation_named
from bot.workspace.pages import PREFIX
from tests.workspace.conftest import WorkspaceUnderTest, csrf_token

ORG = "Panama Aid"
OLD_LINE = "Rele *104* pou denonse"
NEW_LINE = "Rele *105* pou denonse"
HIDDEN = re.compile(r'<input[^>]*name="(filename|payload|seal|fingerprint)"[^>]*value="([^"]*)"')


def give(ws: WorkspaceUnderTest, topic: str, org: str = ORG) -> list[int]:
    """Move a seed topic's items to an organisation (the seed belongs to "sample")."""
    with ws.sessions() as session, session.begin():
        organisation = organisation_named(session, org)
        assert organisation is not None
        items = session.scalars(select(ContentItem).where(ContentItem.topic_name == topic)).all()
        for item in items:
            item.organisation_id = organisation.id
        return [item.id for item in items]


def signed_in(ws: WorkspaceUnderTest, role: str, org: str = ORG) -> TestClient:
    client = ws.sign_in(ws.account(role, org=org))
    return client


def token(client: TestClient) -> str:
    """A CSRF token of this session, from the transfer page (or its refusal, which has the
    sign-out form): any token of the session is valid for every form."""
    return csrf_token(client.get(f"{PREFIX}/transfer").text)


def upload(client: TestClient, path: str, filename: str, data: bytes, *, with_token: bool = True):  # noqa: ANN201
    fields = {"csrf_token": token(client)} if with_token else {}
    return client.post(
        f"{PREFIX}{path}", data=fields, files={"upload": (filename, data)}, follow_redirects=False
    )


def apply_preview(client: TestClient, preview_html: str, path: str, **override: str):  # noqa: ANN201
    fields = {name: value.replace("&#34;", '"') for name, value in HIDDEN.findall(preview_html)}
    assert set(fields) == {"filename", "payload", "seal", "fingerprint"}, preview_html
    fields.update(override)
    fields["csrf_token"] = token(client)
    return client.post(f"{PREFIX}{path}", data=fields, follow_redirects=False)


def exported_po(client: TestClient, language: str = "ht") -> polib.POFile:
    response = client.get(f"{PREFIX}/transfer/export", params={"what": "po", "language": language})
    assert response.status_code == 200, response.text
    return polib.pofile(response.text)


def changed_po(client: TestClient) -> bytes:
    """The ht export with one change: the Panama trafficking line 104 becomes 105."""
    po = exported_po(client)
    entry = next(e for e in po if e.msgctxt == "trafficking@PA#body")
    assert OLD_LINE in entry.msgstr
    entry.msgstr = entry.msgstr.replace(OLD_LINE, NEW_LINE)
    return str(po).encode()


def exported_zip(client: TestClient) -> dict[str, str]:
    response = client.get(f"{PREFIX}/transfer/export", params={"what": "yaml"})
    assert response.status_code == 200, response.text
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


def changed_yaml(client: TestClient) -> bytes:
    """The trafficking file with the French Panama title changed."""
    text = exported_zip(client)["trafficking.yml"]
    assert "title: 'Traite : Panama'" in text
    return text.replace("title: 'Traite : Panama'", "title: 'Traite au Panama'").encode()


def variant_body(ws: WorkspaceUnderTest, country: str, language: str) -> str:
    with ws.sessions() as session:
        return session.scalar(
            select(ContentVariant.body)
            .join(ContentItem)
            .where(
                ContentItem.topic_name == "trafficking",
                ContentItem.country == country,
                ContentVariant.language == language,
            )
        )


def authored_revisions(ws: WorkspaceUnderTest) -> list[ContentRevision]:
    with ws.sessions() as session:
        rows = session.scalars(
            select(ContentRevision).where(ContentRevision.author_id.is_not(None))
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


# -- who may do what ---------------------------------------------------------------------------

ROLES = ["admin", "editor", "translator", "reviewer", "caseworker"]
MAY_EXPORT = {"admin", "editor", "translator", "reviewer"}
MAY_IMPORT_TRANSLATION = {"admin", "translator"}
MAY_IMPORT_YAML = {"admin"}


@pytest.mark.parametrize("role", ROLES)
def test_every_role_gets_what_the_permission_table_gives_it(
    ws: WorkspaceUnderTest, role: str
) -> None:
    client = signed_in(ws, role)
    give(ws, "trafficking")
    exporting = 200 if role in MAY_EXPORT else 403
    assert client.get(f"{PREFIX}/transfer").status_code == exporting
    for what, language in (("yaml", None), ("po", "ht"), ("xliff", "fr")):
        params = {"what": what, **({"language": language} if language else {})}
        got = client.get(f"{PREFIX}/transfer/export", params=params)
        assert got.status_code == exporting, (what, got.text)

    # Files made by an admin, so that every role uploads the same valid file.
    admin = signed_in(ws, "admin", org=ORG) if role != "admin" else client
    po, content = changed_po(admin), changed_yaml(admin)

    preview = upload(client, "/transfer/translation", "ht.po", po)
    assert preview.status_code == (200 if role in MAY_IMPORT_TRANSLATION else 403)
    if role in MAY_IMPORT_TRANSLATION:
        assert apply_preview(client, preview.text, "/transfer/translation/apply").status_code == 303
    else:
        refused = client.post(
            f"{PREFIX}/transfer/translation/apply",
            data={"csrf_token": token(client), "payload": "", "seal": "", "filename": "x.po"},
        )
        assert refused.status_code == 403

    preview = upload(client, "/transfer/yaml", "trafficking.yml", content)
    assert preview.status_code == (200 if role in MAY_IMPORT_YAML else 403)
    if role in MAY_IMPORT_YAML:
        assert apply_preview(client, preview.text, "/transfer/yaml/apply").status_code == 303
    else:
        refused = client.post(
            f"{PREFIX}/transfer/yaml/apply",
            data={"csrf_token": token(client), "payload": "", "seal": "", "filename": "x.yml"},
        )
        assert refused.status_code == 403


def test_the_page_offers_only_the_forms_the_role_may_use(ws: WorkspaceUnderTest) -> None:
    translator = signed_in(ws, "translator").get(f"{PREFIX}/transfer").text
    assert "/transfer/translation" in translator and "/transfer/yaml" not in translator
    reviewer = signed_in(ws, "reviewer").get(f"{PREFIX}/transfer").text
    assert "/transfer/export" in reviewer and "/transfer/translation" not in reviewer
    admin = signed_in(ws, "admin").get(f"{PREFIX}/transfer").text
    assert "/transfer/translation" in admin and "/transfer/yaml" in admin


@pytest.mark.parametrize(
    "path",
    [
        "/transfer/translation",
        "/transfer/yaml",
        "/transfer/translation/apply",
        "/transfer/yaml/apply",
    ],
)
def test_every_post_without_its_csrf_token_is_refused(ws: WorkspaceUnderTest, path: str) -> None:
    client = signed_in(ws, "admin")
    give(ws, "trafficking")
    response = upload(client, path, "ht.po", changed_po(client), with_token=False)
    assert response.status_code == 400
    assert authored_revisions(ws) == []


# -- exports ------------------------------------------------------------------------------------


def test_an_export_holds_only_the_organisations_items(ws: WorkspaceUnderTest) -> None:
    client = signed_in(ws, "editor")
    ids = give(ws, "trafficking")
    po = exported_po(client)
    shared = [entry for entry in po if entry.msgctxt.endswith("#share_text")]
    assert len(po) - len(shared) == 2 * len(ids)  # a title and a body per item,
    assert len(shared) == 1  # and the one share text of the seed's trafficking items
    assert {entry.msgctxt.split("@")[0] for entry in po} == {"trafficking"}
    entry = next(e for e in po if e.msgctxt == "trafficking@PA#title")
    assert entry.msgid == "Trafficking: Panama" and entry.msgstr == "Trafik moun: Panama"
    assert "Panama" in entry.comment and "24" in entry.comment

    files = exported_zip(client)
    assert list(files) == ["trafficking.yml"]
    doc = yaml.safe_load(files["trafficking.yml"])
    assert len(doc["items"]) == len(ids)

    xliff = client.get(f"{PREFIX}/transfer/export", params={"what": "xliff", "language": "fr"})
    assert 'trgLang="fr"' in xliff.text
    names = set(re.findall(r'<unit id="[^"]+" name="([^"@]+)@', xliff.text))
    assert names == {"trafficking"}


def test_a_download_is_an_attachment_named_by_organisation_language_and_date(
    ws: WorkspaceUnderTest,
) -> None:
    client = signed_in(ws, "translator")
    po = client.get(f"{PREFIX}/transfer/export", params={"what": "po", "language": "ht"})
    assert po.headers["content-disposition"] == 'attachment; filename="panama-aid-ht-2026-12-02.po"'
    zipped = client.get(f"{PREFIX}/transfer/export", params={"what": "yaml"})
    assert "panama-aid-content-2026-12-02.zip" in zipped.headers["content-disposition"]
    assert client.get(f"{PREFIX}/transfer/export", params={"what": "po"}).status_code == 400
    assert client.get(f"{PREFIX}/transfer/export", params={"what": "csv"}).status_code == 400


# -- a translation, there and back ---------------------------------------------------------------


def test_the_round_trip_previews_exactly_the_change_and_stores_one_version_in_review(
    ws: WorkspaceUnderTest,
) -> None:
    client = signed_in(ws, "translator")
    give(ws, "trafficking")
    live = variant_body(ws, "PA", "ht")

    preview = upload(client, "/transfer/translation", "panama-aid-ht.po", changed_po(client))
    assert preview.status_code == 200, preview.text
    assert preview.text.count('class="card transfer-change"') == 1
    assert "trafficking · Panama" in preview.text and "Kreyòl (ht)" in preview.text
    assert "Removed phone number: 104" in preview.text
    assert "Added phone number: 105" in preview.text
    assert '<mark class="fact fact-phone fact-changed">105</mark>' in preview.text
    assert '<mark class="fact fact-phone fact-changed">104</mark>' in preview.text
    assert "Apply this change" in preview.text
    assert authored_revisions(ws) == []  # a preview stores nothing

    done = apply_preview(client, preview.text, "/transfer/translation/apply")
    assert done.status_code == 303
    assert "done=translation&count=1" in done.headers["location"]
    assert "1 change was sent for review" in client.get(done.headers["location"]).text

    stored = authored_revisions(ws)
    assert len(stored) == 1
    assert stored[0].status == "in_review" and stored[0].language == "ht"
    assert NEW_LINE in stored[0].body
    assert variant_body(ws, "PA", "ht") == live  # what people get has not moved
    with ws.sessions() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "import")).one()
        assert "1 versions sent for review in 1 items" in (entry.detail or "")


def test_an_xliff_file_comes_back_the_same_way(ws: WorkspaceUnderTest) -> None:
    client = signed_in(ws, "translator")
    give(ws, "trafficking")
    xliff = client.get(f"{PREFIX}/transfer/export", params={"what": "xliff", "language": "ht"})
    changed = xliff.text.replace(OLD_LINE, NEW_LINE, 1)  # the target comes after the source
    assert changed != xliff.text
    preview = upload(client, "/transfer/translation", "ht.xlf", changed.encode())
    assert preview.status_code == 200, preview.text
    assert preview.text.count('class="card transfer-change"') == 1
    assert apply_preview(client, preview.text, "/transfer/translation/apply").status_code == 303
    assert len(authored_revisions(ws)) == 1


def test_a_file_with_several_problems_lists_them_all_and_changes_nothing(
    ws: WorkspaceUnderTest,
) -> None:
    client = signed_in(ws, "translator")
    give(ws, "trafficking")
    po = exported_po(client)
    next(e for e in po if e.msgctxt == "trafficking@PA#title").msgstr = "T" * 40
    next(e for e in po if e.msgctxt == "trafficking@MX#body").msgid = "An older source text."
    next(e for e in po if e.msgctxt == "trafficking@MX#body").msgstr = "Yon lòt tèks."
    po.append(polib.POEntry(msgctxt="nowhere@*#body", msgid="x", msgstr="y"))
    response = upload(client, "/transfer/translation", "ht.po", str(po).encode())
    assert response.status_code == 400
    assert "Nothing was changed" in response.text
    assert "3 problems" in response.text
    assert "40 characters, but only 24 fit" in response.text
    assert "older version of the source" in response.text
    assert "nowhere@*#body: there is no such text" in response.text
    assert authored_revisions(ws) == []


def test_a_translation_naming_another_organisations_item_is_refused(
    ws: WorkspaceUnderTest,
) -> None:
    client = signed_in(ws, "translator")
    give(ws, "trafficking")
    po = exported_po(client)
    # The "emergency" item is the sample organisation's: the same text exists, not for us.
    po.append(polib.POEntry(msgctxt="emergency@*#title", msgid="Emergency", msgstr="Ijans!"))
    response = upload(client, "/transfer/translation", "ht.po", str(po).encode())
    assert response.status_code == 400
    assert "emergency@*#title: there is no such text" in response.text
    assert authored_revisions(ws) == []


def test_a_file_in_the_wrong_language_or_format_is_refused_in_plain_words(
    ws: WorkspaceUnderTest,
) -> None:
    client = signed_in(ws, "admin")
    give(ws, "trafficking")
    po = exported_po(client)
    po.metadata["Language"] = "en"
    refused = upload(client, "/transfer/translation", "en.po", str(po).encode())
    assert (
        refused.status_code == 400 and "the language every text is written in first" in refused.text
    )
    latin1 = upload(client, "/transfer/translation", "ht.po", 'msgid "é"\n'.encode("latin-1"))
    assert latin1.status_code == 400 and "UTF-8" in latin1.text
    wrong_form = upload(client, "/transfer/translation", "trafficking.yml", b"topic: x\n")
    assert wrong_form.status_code == 400 and "content file" in wrong_form.text
    nothing = upload(client, "/transfer/translation", "", b"")
    assert nothing.status_code in (400, 422)


def test_a_too_large_upload_is_refused_with_a_clear_message(ws: WorkspaceUnderTest) -> None:
    client = signed_in(ws, "translator")
    data = b"#" * (exchange.UPLOAD_MAX_BYTES + 1)
    response = upload(client, "/transfer/translation", "ht.po", data)
    assert response.status_code == 413
    assert "larger than 2 MB" in response.text
    assert authored_revisions(ws) == []


def test_a_text_changed_after_the_preview_is_shown_again_instead_of_stored(
    ws: WorkspaceUnderTest,
) -> None:
    client = signed_in(ws, "translator")
    give(ws, "trafficking")
    preview = upload(client, "/transfer/translation", "ht.po", changed_po(client))
    with ws.sessions() as session, session.begin():  # somebody edits the text meanwhile
        variant = session.scalars(
            select(ContentVariant)
            .join(ContentItem)
            .where(ContentItem.country == "PA", ContentItem.topic_name == "trafficking")
            .where(ContentVariant.language == "ht")
        ).one()
        variant.title = "Trafik: Panama"
    again = apply_preview(client, preview.text, "/transfer/translation/apply")
    assert again.status_code == 409
    assert "Somebody changed these texts" in again.text
    assert authored_revisions(ws) == []
    assert apply_preview(client, again.text, "/transfer/translation/apply").status_code == 303


def test_a_tampered_file_is_refused(ws: WorkspaceUnderTest) -> None:
    client = signed_in(ws, "translator")
    give(ws, "trafficking")
    preview = upload(client, "/transfer/translation", "ht.po", changed_po(client))
    forged = apply_preview(client, preview.text, "/transfer/translation/apply", filename="x.po")
    assert forged.status_code == 400
    assert authored_revisions(ws) == []


def test_a_refusal_of_the_workflow_while_applying_stores_nothing(
    ws: WorkspaceUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = signed_in(ws, "translator")
    give(ws, "trafficking")
    po = exported_po(client)
    for entry in po:
        if entry.msgctxt.endswith("#title"):
            entry.msgstr = entry.msgstr + "!"
    preview = upload(client, "/transfer/translation", "ht.po", str(po).encode())
    assert preview.status_code == 200, preview.text
    submitted = []
    real_submit = revisions.submit

    def submit_then_refuse(*args, **kwargs) -> None:  # noqa: ANN002, ANN003
        if submitted:
            raise revisions.WrongState("the second text cannot be sent")
        submitted.append(1)
        real_submit(*args, **kwargs)

    monkeypatch.setattr(revisions, "submit", submit_then_refuse)
    response = apply_preview(client, preview.text, "/transfer/translation/apply")
    assert response.status_code == 409
    assert "the second text cannot be sent" in response.text
    assert submitted == [1]
    assert authored_revisions(ws) == []  # the first one was rolled back too
    with ws.sessions() as session:
        imports = select(func.count(AuditEntry.id)).where(AuditEntry.action == "import")
        assert session.scalar(imports) == 0


# -- content YAML ---------------------------------------------------------------------------------


def test_content_files_preview_their_changes_and_new_items_then_go_to_review(
    ws: WorkspaceUnderTest,
) -> None:
    client = signed_in(ws, "admin")
    ids = give(ws, "trafficking")
    text = changed_yaml(client).decode()
    doc = yaml.safe_load(text)
    brazil = dict(doc["items"][1], country="BR")  # a new item, copied from Panama's
    doc["items"].append(brazil)
    doc["items"][0]["needs_review"] = False
    content = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False).encode()
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("content/trafficking.yml", content)
        archive.writestr("README.txt", "notes")

    preview = upload(client, "/transfer/yaml", "mine.zip", zipped.getvalue())
    assert preview.status_code == 200, preview.text
    # The French Panama title, and the three languages of the new item.
    assert preview.text.count('class="card transfer-change"') == 4
    assert "Traite au Panama" in preview.text and "new item" in preview.text
    assert "README.txt is not a content file" in preview.text
    assert "Needs a partner&#39;s review" in preview.text
    assert "Apply these 5 changes" in preview.text

    done = apply_preview(client, preview.text, "/transfer/yaml/apply")
    assert done.status_code == 303, done.text
    stored = authored_revisions(ws)
    assert len(stored) == 4 and {r.status for r in stored} == {"in_review"}
    with ws.sessions() as session:
        new = session.scalars(
            select(ContentItem).where(
                ContentItem.topic_name == "trafficking", ContentItem.country == "BR"
            )
        ).one()
        assert new.organisation_id == organisation_named(session, ORG).id
        assert new.variants == []  # nothing is sent before a reviewer publishes it
        assert session.get(ContentItem, ids[0]).needs_review is False
    assert "Traite : Panama" in exported_zip(client)["trafficking.yml"]  # live text unchanged


def test_content_files_naming_another_organisations_items_are_refused(
    ws: WorkspaceUnderTest,
) -> None:
    client = signed_in(ws, "admin")
    give(ws, "trafficking")
    seed = (ws.settings.content_dir / "emergency.yml").read_bytes()
    response = upload(client, "/transfer/yaml", "emergency.yml", seed)
    assert response.status_code == 400
    assert "belongs to another organisation (sample)" in response.text
    assert authored_revisions(ws) == []


def test_broken_content_files_list_every_problem(ws: WorkspaceUnderTest) -> None:
    client = signed_in(ws, "admin")
    give(ws, "trafficking")
    text = changed_yaml(client).decode()
    too_long = text.replace(
        "title: 'Traite au Panama'", "title: 'Traite des êtres humains au Panama'"
    )
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("trafficking.yml", too_long)
        archive.writestr("health.yml", "topic: health\nitems: [\n")
        archive.writestr("children.yml", "topic: children\nitems: []\n")
    response = upload(client, "/transfer/yaml", "broken.zip", zipped.getvalue())
    assert response.status_code == 400
    assert "trafficking.yml: item 2, fr, title: String should have at most 24 characters" in (
        response.text
    )
    assert "health.yml: the file cannot be read at line" in response.text
    assert "children.yml: items: List should have at least 1 item" in response.text
    assert authored_revisions(ws) == []
