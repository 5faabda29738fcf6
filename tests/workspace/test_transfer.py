"""PO and XLIFF 2.0 out to translators and back (bot/workspace/transfer.py).

What matters: a translation comes back exactly as typed, on the text it was made for; nothing
half-done (fuzzy, initial, one segment of two) reaches people; a bad file is refused whole with
every problem named; and no file, however broken or hostile, fails in any other way.
"""

from __future__ import annotations

import contextlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence

import polib
import pytest

from bot.workspace.transfer import (
    XLIFF_NS,
    ProposedChange,
    TransferError,
    Translated,
    Unit,
    from_po,
    from_xliff,
    plan,
    to_po,
    to_xliff,
)

X = f"{{{XLIFF_NS}}}"

BODY = (
    'Si yon moun pran paspò ou, sa se "trafik".\n'
    "Rele 192 <gratis> & san non ou.\n"
    "\n"
    "  Pa pè: yo la pou ede w. Tab\tak \\ barre."
)
BODY_FR = (
    "Si quelqu'un prend votre passeport, c'est de la « traite ».\n"
    'Appelez le 192 <gratuit> & sans donner votre nom : "aide".\n'
    "Ne craignez rien, près de l'église."
)


def sample_units() -> list[Unit]:
    """Kreyòl into French: multi-line bodies, quotes, markup-looking text, keys of every shape."""
    return [
        Unit("trafficking@PA#title", "Trafik moun", "", "Topic trafficking, Panama.", 24),
        Unit("trafficking@PA#body", BODY, BODY_FR, "Topic trafficking, Panama.", 700),
        Unit("health/pregnancy@*#title", "Gwosès", "Grossesse", max_length=24),
        Unit("santé_mentale@CO#body", "Ou pa poukont ou.\nPale ak nou.", "", max_length=700),
        Unit("word-paste@*#body", "Liy\x0bWord", "Ligne\x0bWord"),
    ]


Writer = Callable[[Sequence[Unit], str, str], str]
Reader = Callable[..., Translated]
FORMATS = [
    pytest.param(to_po, from_po, id="po"),
    pytest.param(to_xliff, from_xliff, id="xliff"),
]


def translated_copy(units: Sequence[Unit], texts: dict[str, str]) -> list[Unit]:
    """The units as a translator's tool would hand them back: same sources, new targets."""
    return [Unit(u.key, u.source, texts.get(u.key, u.target), u.note, u.max_length) for u in units]


# -- round trip -------------------------------------------------------------------------------


@pytest.mark.parametrize(("write", "read"), FORMATS)
def test_round_trip_gives_back_every_translation_exactly(write: Writer, read: Reader) -> None:
    units = translated_copy(
        sample_units(),
        {
            "trafficking@PA#title": "Traite «humaine»",
            "santé_mentale@CO#body": 'Vous n\'êtes pas seul.\n"Parlez-nous" <ici> & là.\n',
        },
    )

    result = read(write(units, "ht", "fr"), expected_target="fr")

    assert result.targets == {u.key: u.target for u in units}
    assert result.sources == {u.key: u.source for u in units}
    assert (result.source_language, result.target_language) == ("ht", "fr")
    assert plan(units, result, expected_target="fr") == []


@pytest.mark.parametrize(("write", "read"), FORMATS)
def test_untranslated_texts_are_carried_but_not_proposed(write: Writer, read: Reader) -> None:
    units = sample_units()

    result = read(write(units, "ht", "fr"))

    assert "trafficking@PA#title" not in result.targets  # target "" in the store
    assert result.sources["trafficking@PA#title"] == "Trafik moun"
    assert set(result.targets) == {u.key for u in units if u.target}


@pytest.mark.parametrize(("write", "read"), FORMATS)
def test_identical_sources_in_two_items_stay_separate(write: Writer, read: Reader) -> None:
    units = [
        Unit("asylum@PA#title", "Azil", "Asile au Panama"),
        Unit("asylum@MX#title", "Azil", "Asile au Mexique"),
    ]

    assert read(write(units, "ht", "fr")).targets == {
        "asylum@PA#title": "Asile au Panama",
        "asylum@MX#title": "Asile au Mexique",
    }


# -- PO ---------------------------------------------------------------------------------------


def test_po_header_and_entries_follow_gettext_conventions() -> None:
    po = polib.pofile(to_po(sample_units(), "ht", "fr", project="route-assistant"))

    assert po.metadata["Language"] == "fr"
    assert po.metadata["X-Source-Language"] == "ht"
    assert po.metadata["Content-Type"] == "text/plain; charset=UTF-8"
    assert po.metadata["Project-Id-Version"] == "route-assistant"
    body = next(e for e in po if e.msgctxt == "trafficking@PA#body")
    assert (body.msgid, body.msgstr) == (BODY, BODY_FR)
    assert body.comment.splitlines() == ["Topic trafficking, Panama.", "At most 700 characters."]
    assert not body.fuzzy


def test_po_edited_by_a_translator_gives_exactly_one_change() -> None:
    units = sample_units()
    po = polib.pofile(to_po(units, "ht", "fr"))
    po.find("Trafik moun", msgctxt="trafficking@PA#title").msgstr = "Traite des personnes"
    unsure = po.find("Ou pa poukont ou.\nPale ak nou.", msgctxt="santé_mentale@CO#body")
    unsure.msgstr = "Vous n'êtes pas seul ?"
    unsure.flags.append("fuzzy")
    po.find("Gwosès", msgctxt="health/pregnancy@*#title").msgstr = ""  # cleared: not a deletion

    changes = plan(units, from_po(str(po), expected_target="fr"), expected_target="fr")

    assert changes == [ProposedChange("trafficking@PA#title", "", "Traite des personnes")]


def test_po_in_a_regional_language_code_is_the_same_language() -> None:
    text = to_po(sample_units(), "ht", "fr_FR")  # what Poedit writes for French (France)

    assert from_po(text, expected_target="fr").target_language == "fr_FR"


def test_po_with_a_byte_order_mark_is_read() -> None:
    text = "\ufeff" + to_po(sample_units(), "ht", "fr")

    assert from_po(text).targets["trafficking@PA#body"] == BODY_FR


def test_po_in_another_language_is_refused_when_reading() -> None:
    with pytest.raises(TransferError, match="'en'.*'fr'"):
        from_po(to_po(sample_units(), "ht", "en"), expected_target="fr")


PO_HEADER = 'msgid ""\nmsgstr ""\n"Language: fr\\n"\n"X-Source-Language: ht\\n"\n\n'


@pytest.mark.parametrize(
    ("text", "says"),
    [
        pytest.param("", "not a PO file", id="empty"),
        pytest.param("/etc/passwd", "not a PO file", id="a-path"),
        pytest.param("Bonjou,\nmen tradiksyon an.\n", "line 1", id="prose"),
        pytest.param(to_xliff(sample_units(), "ht", "fr"), "not a PO file", id="xliff"),
        pytest.param(PO_HEADER + 'msgctxt "a"\nmsgid "x"\nmsgstr "y"z"\n', "quote", id="quote"),
        pytest.param(PO_HEADER + 'msgid "x"\nmsgstr "y"\n', "line 6: .*msgctxt", id="no-ctx"),
        pytest.param(
            PO_HEADER
            + 'msgctxt "a"\nmsgid "x"\nmsgstr "y"\n\nmsgctxt "a"\nmsgid "x"\nmsgstr "z"\n',
            "line 10 .*twice .*line 6",
            id="duplicate",
        ),
        pytest.param(
            'msgid ""\nmsgstr "X-Source-Language: ht\\n"\n\nmsgctxt "a"\nmsgid "x"\nmsgstr "y"\n',
            "which language",
            id="no-language",
        ),
    ],
)
def test_malformed_po_is_refused_in_plain_words(text: str, says: str) -> None:
    with pytest.raises(TransferError, match=says):
        from_po(text)


# -- XLIFF ------------------------------------------------------------------------------------


def test_xliff_output_is_structurally_valid_xliff_2() -> None:
    units = sample_units()
    root = ET.fromstring(to_xliff(units, "ht", "fr"))

    assert root.tag == f"{X}xliff"
    assert root.attrib["version"] == "2.0"
    assert (root.attrib["srcLang"], root.attrib["trgLang"]) == ("ht", "fr")
    assert root.attrib["{http://www.w3.org/XML/1998/namespace}space"] == "preserve"
    files = root.findall(f"{X}file")
    assert len(files) == 1 and files[0].get("id")
    found = files[0].findall(f"{X}unit")
    assert [u.get("name") for u in found] == [u.key for u in units]
    for element, unit in zip(found, units, strict=True):
        # xs:NMTOKEN, as the XLIFF 2.0 schema requires for unit ids
        assert re.fullmatch(r"[\w.:-]+", element.get("id", ""), re.ASCII)
        children = [child.tag for child in element]
        assert children[-1] == f"{X}segment" and children.count(f"{X}segment") == 1
        assert children[:-1] in ([], [f"{X}notes"])  # <notes> comes before the segment
        segment = element.find(f"{X}segment")
        assert segment is not None and segment.find(f"{X}source") is not None
        has_target = segment.find(f"{X}target") is not None
        assert segment.get("state") == ("translated" if unit.target else "initial")
        assert has_target == bool(unit.target)  # a state other than "initial" needs a target
    assert len({u.get("id") for u in found}) == len(units)


def test_xliff_notes_carry_the_context_and_the_length_limit() -> None:
    root = ET.fromstring(to_xliff(sample_units()[:1], "ht", "fr"))

    notes = root.findall(f".//{X}unit/{X}notes/{X}note")

    assert [(n.get("category"), n.text) for n in notes] == [
        ("context", "Topic trafficking, Panama."),
        ("max-length", "At most 24 characters."),
    ]


def set_target(root: ET.Element, key: str, text: str, state: str | None) -> None:
    """What a CAT tool does when the translator confirms (or only drafts) a segment."""
    unit = next(u for u in root.iter(f"{X}unit") if u.get("name") == key)
    segment = unit.find(f"{X}segment")
    assert segment is not None
    target = segment.find(f"{X}target")
    if target is None:
        target = ET.SubElement(segment, f"{X}target")
    target.text = text
    if state is None:
        segment.attrib.pop("state", None)
    else:
        segment.set("state", state)


def edited_xliff(units: Sequence[Unit], edit: Callable[[ET.Element], None]) -> str:
    root = ET.fromstring(to_xliff(units, "ht", "fr"))
    edit(root)
    return ET.tostring(root, encoding="unicode")


def test_xliff_edited_in_a_cat_tool_gives_only_finished_translations() -> None:
    units = sample_units()

    def translate(root: ET.Element) -> None:
        set_target(root, "trafficking@PA#title", "Traite", "final")
        set_target(root, "santé_mentale@CO#body", "Brouillon", "initial")
        set_target(root, "health/pregnancy@*#title", "Enceinte", None)  # tools that omit state

    changes = plan(units, from_xliff(edited_xliff(units, translate)))

    assert changes == [
        ProposedChange("trafficking@PA#title", "", "Traite"),
        ProposedChange("health/pregnancy@*#title", "Grossesse", "Enceinte"),
    ]


def resegmented(state_two: str) -> str:
    """A unit a tool split into two sentences, with the space between them as <ignorable>."""
    return f"""<xliff xmlns="{XLIFF_NS}" version="2.0" srcLang="ht" trgLang="fr">
 <file id="f"><unit id="help_40_2A_23body">
  <segment state="final"><source>Rele <mrk id="m1" type="term">192</mrk>.</source>
   <target>Appelez le <mrk id="m1" type="term">192</mrk>.</target></segment>
  <ignorable><source>\n</source></ignorable>
  <segment state="{state_two}"><source>Li gratis<cp hex="000B"/>.</source>
   <target>C'est gratuit<cp hex="000B"/>.</target></segment>
 </unit></file></xliff>"""


def test_xliff_unit_split_into_segments_is_read_as_one_text() -> None:
    result = from_xliff(resegmented("translated"))

    assert result.sources == {"help@*#body": "Rele 192.\nLi gratis\x0b."}
    assert result.targets == {"help@*#body": "Appelez le 192.\nC'est gratuit\x0b."}


def test_xliff_unit_with_one_segment_left_initial_is_not_translated() -> None:
    assert from_xliff(resegmented("initial")).targets == {}


def test_xliff_in_another_language_is_refused_when_reading() -> None:
    with pytest.raises(TransferError, match="'en'.*'fr'"):
        from_xliff(to_xliff(sample_units(), "ht", "en"), expected_target="fr")


BOMB = """<?xml version="1.0"?>
<!DOCTYPE xliff [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>
<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0" srcLang="ht" trgLang="fr">
<file id="f"><unit id="a"><segment><source>&d;</source></segment></unit></file></xliff>"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE xliff [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0" srcLang="ht" trgLang="fr">
<file id="f"><unit id="a"><segment><source>x</source><target>&secret;</target></segment>
</unit></file></xliff>"""
PLAIN_DOCTYPE = "<!DOCTYPE xliff>\n" + to_xliff(sample_units(), "ht", "fr").split("\n", 1)[1]


@pytest.mark.parametrize("text", [BOMB, EXTERNAL, PLAIN_DOCTYPE], ids=["bomb", "external", "dtd"])
def test_xliff_with_a_doctype_or_entities_is_refused(text: str) -> None:
    with pytest.raises(TransferError, match="DOCTYPE"):
        from_xliff(text)


def xliff_with(unit: str, root_attributes: str = 'srcLang="ht" trgLang="fr"') -> str:
    return (
        f'<xliff xmlns="{XLIFF_NS}" version="2.0" {root_attributes}>'
        f'<file id="f">{unit}</file></xliff>'
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        pytest.param("", "broken at line 1", id="empty"),
        pytest.param(to_xliff(sample_units(), "ht", "fr")[:300], "broken", id="truncated"),
        pytest.param(to_po(sample_units(), "ht", "fr"), "broken", id="po"),
        pytest.param(
            '<xliff xmlns="urn:oasis:names:tc:xliff:document:1.2" version="1.2"/>',
            "XLIFF 1.2",
            id="xliff-1.2",
        ),
        pytest.param("<html><body>Bonjou</body></html>", "not an XLIFF 2.0 file", id="html"),
        pytest.param(
            xliff_with('<unit id="a"><segment><source>x</source></segment></unit>', 'srcLang="ht"'),
            "trgLang",
            id="no-trgLang",
        ),
        pytest.param(
            xliff_with('<unit id="a@b"><segment><source>x</source></segment></unit>'),
            "unit 1 .*'a@b'.*unit ids",
            id="changed-id",
        ),
        pytest.param(
            xliff_with(
                '<unit id="a"><segment><source>x</source></segment></unit>'
                '<unit id="a"><segment><source>y</source></segment></unit>'
            ),
            "twice",
            id="duplicate",
        ),
        pytest.param(
            xliff_with(
                '<unit id="a"><segment state="final"><source>x</source>'
                '<target>y<ph id="1"/></target></segment></unit>'
            ),
            "unit a: .*<ph>",
            id="placeholder-code",
        ),
    ],
)
def test_malformed_xliff_is_refused_in_plain_words(text: str, says: str) -> None:
    with pytest.raises(TransferError, match=says):
        from_xliff(text)


@pytest.mark.parametrize(("write", "read"), FORMATS)
def test_a_file_cut_anywhere_fails_only_with_transfer_error(write: Writer, read: Reader) -> None:
    """However a file is damaged (an upload cut short, say), the import never crashes."""
    text = write(sample_units(), "ht", "fr")
    for end in range(0, len(text), 7):
        with contextlib.suppress(TransferError):
            read(text[:end])


# -- plan -------------------------------------------------------------------------------------


def test_plan_reports_every_problem_at_once() -> None:
    units = sample_units()
    exported = polib.pofile(to_po(units, "ht", "fr"))
    exported.find("Trafik moun", msgctxt="trafficking@PA#title").msgstr = "T" * 25
    exported.find("Gwosès", msgctxt="health/pregnancy@*#title").msgstr = "Enceinte"
    exported.append(polib.POEntry(msgctxt="deleted@PA#body", msgid="Ansyen", msgstr="Ancien"))
    # An editor rewrote the Kreyòl title after the export: the translation is of the old one.
    now = [
        Unit(u.key, "Gwosès ak akouchman", u.target, u.note, u.max_length)
        if u.key == "health/pregnancy@*#title"
        else u
        for u in units
    ]

    with pytest.raises(TransferError) as refused:
        plan(now, from_po(str(exported)), expected_target="ht")

    problems = refused.value.problems
    assert len(problems) == 4, problems
    assert "'fr'" in problems[0] and "'ht'" in problems[0]
    assert problems[1].startswith("trafficking@PA#title:") and "25 characters" in problems[1]
    assert problems[2].startswith("health/pregnancy@*#title:") and "older version" in problems[2]
    assert problems[3].startswith("deleted@PA#body:") and "no such text" in problems[3]
    assert str(refused.value) == "\n".join(problems)
    assert isinstance(refused.value, ValueError)


def test_plan_proposes_real_changes_in_unit_order() -> None:
    units = sample_units()
    translated = Translated(
        "ht",
        "fr",
        targets={
            "health/pregnancy@*#title": "Enceinte",
            "trafficking@PA#body": BODY_FR.replace("\n", "\r\n"),  # line breaks only
            "trafficking@PA#title": "Traite",
        },
        sources={u.key: u.source for u in units},
    )

    assert plan(units, translated) == [
        ProposedChange("trafficking@PA#title", "", "Traite"),
        ProposedChange("health/pregnancy@*#title", "Grossesse", "Enceinte"),
    ]


def test_an_untouched_text_whose_source_changed_does_not_block_the_rest() -> None:
    units = sample_units()
    text = to_po(translated_copy(units, {"trafficking@PA#title": "Traite"}), "ht", "fr")
    now = [Unit(u.key, u.source + " (2)", u.target, u.note, u.max_length) for u in units]
    now[0] = units[0]  # the only text translated kept its source

    changes = plan(now, from_po(text))

    assert changes == [ProposedChange("trafficking@PA#title", "", "Traite")]


def test_a_length_limit_counts_characters_not_bytes() -> None:
    unit = Unit("a@*#title", "Tit", "", max_length=5)
    translated = Translated("ht", "fr", {"a@*#title": "òèòèò"}, {"a@*#title": "Tit"})

    assert plan([unit], translated) == [ProposedChange("a@*#title", "", "òèòèò")]
