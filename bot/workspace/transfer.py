"""Texts out to translators and back: gettext PO and XLIFF 2.0 for one language pair.

Translators work in their own tools (Poedit and Weblate read PO; OmegaT and memoQ read XLIFF),
not in the workspace. This module turns the texts of content items into one of those files and
reads the translated file back as proposed changes, which the workspace shows for review before
anything is stored. It is pure logic over plain dataclasses: no database, no web.

Every text is a :class:`Unit` with a stable key ("trafficking@PA#body"). The key travels in the
file (PO msgctxt, XLIFF unit id) so that two items with the same source sentence stay apart and
so a translation always lands on the text it was made for.

Reading is all-or-nothing: a file with problems is refused whole, with every problem listed at
once in plain words (:class:`TransferError`), so an NGO editor fixes them in one round instead of
uploading the same file again and again.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405 - writing only; reading goes through defusedxml
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import defusedxml
import defusedxml.ElementTree as SafeET
import polib

XLIFF_NS = "urn:oasis:names:tc:xliff:document:2.0"
_XLIFF_1_NS = "urn:oasis:names:tc:xliff:document:1.2"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"

# Segment states that mean "a person translated this" (XLIFF 2.0 core). A missing state is
# accepted too, although the specification defaults it to "initial": several tools write a
# translated <target> without any state, and refusing their work would lose it silently.
_TRANSLATED_STATES = frozenset({None, "translated", "reviewed", "final"})

# Unit ids must be XML NMTOKENs; our keys hold "@", "#", "*" and "/", which are not. Every other
# character is written as "_" and its UTF-8 bytes in hex ("@" -> "_40"), which reads back exactly.
_ID_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-")
_ENCODED_ID = re.compile(r"(?:[A-Za-z0-9.\-]|_[0-9A-F]{2})+")

# Characters XML 1.0 cannot carry (a vertical tab pasted from Word, say); XLIFF 2.0 writes them
# as <cp hex="000B"/> so the file stays well-formed.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


OUTDATED_NOTE_CATEGORY = "outdated"
OUTDATED_NOTE = (
    "Outdated: the source text changed after this translation was written. Check it against "
    "the new source and correct it."
)


@dataclass(frozen=True)
class Unit:
    """One text of one content item, in the source and the target language."""

    key: str  # "<topic>@<country or *>#<field>": "trafficking@PA#body"
    source: str
    target: str  # "" when not translated yet
    note: str = ""  # context for the translator: "Topic trafficking, Panama."
    max_length: int | None = None  # characters that fit (title 24, body 700 on WhatsApp)
    # The source changed after this translation was written (bot/workspace/dashboard.py):
    # PO marks it fuzzy, XLIFF "initial", both with a note, so no tool takes it as finished.
    outdated: bool = False


@dataclass(frozen=True)
class Translated:
    """What a translated file says, before it is checked against the current texts."""

    source_language: str
    target_language: str
    targets: dict[str, str]  # key -> translation; only the ones the translator finished
    sources: dict[str, str]  # key -> the source text the file carried (it may be out of date)


@dataclass(frozen=True)
class ProposedChange:
    """One translation a file would change, shown to an editor before it is stored."""

    key: str
    before: str
    after: str


class TransferError(ValueError):
    """A file that cannot be imported; ``problems`` has one plain sentence per problem.

    The message names the line (PO) or the unit (XLIFF) or the text's key, so an editor who is
    no programmer can find the place in the translation tool and fix it.
    """

    def __init__(self, problems: str | Sequence[str]) -> None:
        listed = [problems] if isinstance(problems, str) else problems
        self.problems: tuple[str, ...] = tuple(listed)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class _Entry:
    """One text as read from a file, in either format."""

    where: str  # how a person finds it in the file: "line 12", "unit trafficking@PA#body"
    key: str
    source: str
    target: str | None  # None when the file does not count it as translated


# -- export -----------------------------------------------------------------------------------


def _exportable(units: Sequence[Unit]) -> list[Unit]:
    """The units worth sending: a text with no source has nothing to translate.

    Two units with one key would make the file ambiguous, which is the caller's mistake rather
    than a translator's, hence a plain ValueError.
    """
    seen: set[str] = set()
    for unit in units:
        if not unit.key:
            raise ValueError("a unit without a key cannot be exported")
        if unit.key in seen:
            raise ValueError(f"two units have the key {unit.key!r}")
        seen.add(unit.key)
    return [unit for unit in units if unit.source]


def _notes(unit: Unit) -> list[tuple[str, str]]:
    """What the translator is told about a text, as (category, sentence): its context, then
    how long it may be. Both formats show these beside the text; neither needs to read them
    back, since the units keep the real limit."""
    notes = [("context", unit.note)] if unit.note else []
    if unit.outdated and unit.target:
        notes.append((OUTDATED_NOTE_CATEGORY, OUTDATED_NOTE))
    if unit.max_length is not None:
        notes.append(("max-length", f"At most {unit.max_length} characters."))
    return notes


def to_po(
    units: Sequence[Unit],
    source_language: str,
    target_language: str,
    *,
    project: str = "route-assistant",
) -> str:
    """A gettext PO file: msgctxt is the key, msgid the source text, msgstr the translation.

    The key goes in msgctxt because PO tools merge entries with the same msgid; two items that
    share a sentence may need different translations. Context and length limit go in "#."
    comments, which Poedit and Weblate show beside the text.
    """
    po = polib.POFile(wrapwidth=78)
    po.header = (
        f"Texts of {project} to translate from {source_language} into {target_language}.\n"
        "Translate msgstr only: msgctxt says which text it is, msgid is the text to translate."
    )
    po.metadata = {
        "Project-Id-Version": project,
        "Language": target_language,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "X-Source-Language": source_language,
    }
    for unit in _exportable(units):
        po.append(
            polib.POEntry(
                msgctxt=unit.key,
                msgid=unit.source,
                msgstr=unit.target,
                comment="\n".join(note for _, note in _notes(unit)),
                flags=["fuzzy"] if unit.outdated and unit.target else [],
            )
        )
    return str(po)


def _unit_id(key: str) -> str:
    """The key as an XML NMTOKEN, reversible: "trafficking@PA#body" -> "trafficking_40PA_23body"."""
    return "".join(
        char if char in _ID_SAFE else "".join(f"_{byte:02X}" for byte in char.encode())
        for char in key
    )


def _key_of(unit_id: str) -> str | None:
    """The key a unit id stands for, or None when the id was not made by :func:`_unit_id`."""
    if not _ENCODED_ID.fullmatch(unit_id):
        return None
    raw = re.sub(rb"_([0-9A-F]{2})", lambda m: bytes.fromhex(m[1].decode()), unit_id.encode())
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return None


def _put_text(element: ET.Element, text: str) -> None:
    """Write text into an element, characters XML cannot hold as <cp hex="..."/>."""
    parts = _NOT_XML.split(text)
    element.text = parts[0]
    for char, tail in zip(_NOT_XML.findall(text), parts[1:], strict=True):
        ET.SubElement(element, "cp", {"hex": f"{ord(char):04X}"}).tail = tail


def _indent(element: ET.Element, level: int = 0) -> None:
    """Indent the structure for people who open the file, never inside a text element.

    ``ET.indent`` would also rewrite whitespace inside <source> and <target> (around a <cp>),
    where whitespace is part of the text.
    """
    if element.tag in {"source", "target", "note"} or not len(element):
        return
    inner = "\n" + "  " * (level + 1)
    element.text = inner
    for child in element:
        _indent(child, level + 1)
        child.tail = inner
    element[-1].tail = "\n" + "  " * level


def to_xliff(units: Sequence[Unit], source_language: str, target_language: str) -> str:
    """An XLIFF 2.0 file: one <unit> per text, one <segment> with <source> and <target>.

    The unit id is the key made a valid NMTOKEN (see :func:`_unit_id`); the plain key is also in
    the unit's ``name``, the attribute XLIFF keeps for the original identifier. A text already
    translated has state "translated", one not translated yet "initial" and no <target>.
    ``xml:space="preserve"`` tells tools that line breaks and spaces are part of the text.
    """
    root = ET.Element(
        "xliff",
        {
            "xmlns": XLIFF_NS,
            "version": "2.0",
            "srcLang": source_language,
            "trgLang": target_language,
            _XML_SPACE: "preserve",
        },
    )
    file = ET.SubElement(root, "file", {"id": "content"})
    for unit in _exportable(units):
        name = _NOT_XML.sub("\ufffd", unit.key)  # shown to translators; the id is what is read
        element = ET.SubElement(file, "unit", {"id": _unit_id(unit.key), "name": name})
        if notes := _notes(unit):
            notes_element = ET.SubElement(element, "notes")
            for category, note in notes:
                _put_text(ET.SubElement(notes_element, "note", {"category": category}), note)
        state = "translated" if unit.target and not unit.outdated else "initial"
        segment = ET.SubElement(element, "segment", {"state": state})
        _put_text(ET.SubElement(segment, "source"), unit.source)
        if unit.target:
            _put_text(ET.SubElement(segment, "target"), unit.target)
    _indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# -- import -----------------------------------------------------------------------------------


def _same_language(found: str, expected: str) -> bool:
    """Whether two language codes name one language: "fr_FR" (Poedit) is "fr", "HT" is "ht"."""

    def primary(code: str) -> str:
        return re.split(r"[-_.@]", code.strip())[0].casefold()

    return primary(found) == primary(expected)


def _language_problem(found: str, expected: str | None) -> list[str]:
    """The problem with a file's target language, if it is not the one expected."""
    if expected is None or _same_language(found, expected):
        return []
    return [
        f"The file is a translation into {found!r}, but a translation into {expected!r} "
        "was expected. Check the language set in the translation tool."
    ]


def _finished(text: str | None) -> str | None:
    """A translation only counts when there is something in it (spaces alone are nothing)."""
    return text if text is not None and text.strip() else None


def _translated(
    entries: Iterable[_Entry],
    source_language: str,
    target_language: str,
    problems: list[str],
) -> Translated:
    """Gather a file's entries by key, or raise with every problem found in the file."""
    first: dict[str, _Entry] = {}
    for entry in entries:
        if entry.key in first:
            problems.append(
                f"{entry.where}: the text {entry.key!r} is in the file twice "
                f"(first at {first[entry.key].where}). Keep only one."
            )
        else:
            first[entry.key] = entry
    if problems:
        raise TransferError(problems)
    return Translated(
        source_language=source_language,
        target_language=target_language,
        targets={key: e.target for key, e in first.items() if e.target is not None},
        sources={key: e.source for key, e in first.items()},
    )


def _strip_bom(text: str) -> str:
    """Editors on Windows start UTF-8 files with a byte order mark; it is no part of the file."""
    return text.removeprefix("\ufeff")


def from_po(text: str, *, expected_target: str | None = None) -> Translated:
    """Read a translated PO file; fuzzy, empty and obsolete entries count as not translated.

    Fuzzy means the translator (or msgmerge) was not sure: such a text must not reach people.
    """
    text = _strip_bom(text)
    # polib.pofile reads a file when given an existing path; a PO file always has several
    # lines, so one line of text (perhaps a path) is refused before polib sees it.
    if "\n" not in text.strip():
        raise TransferError("This is not a PO file: it has no texts in it.")
    try:
        po = polib.pofile(text)
    except (OSError, ValueError) as error:
        raise TransferError(f"This is not a PO file that can be read: {error}.") from error
    if not po.metadata and not len(po):
        raise TransferError("This is not a PO file: it has no header and no texts.")

    problems: list[str] = []
    target_language = po.metadata.get("Language", "").strip()
    if not target_language:
        problems.append(
            "The file does not say which language it is in (the header has no Language). "
            "Set the language in the translation tool and save again."
        )
    else:
        problems += _language_problem(target_language, expected_target)
    entries = []
    for entry in po:
        if entry.obsolete:  # "#~" lines: texts the tool set aside, no longer in the file
            continue
        where = f"line {entry.linenum}" if entry.linenum else f"the text {entry.msgid[:40]!r}"
        if not entry.msgctxt:
            problems.append(
                f"{where}: this text has no msgctxt, so it is not known which text it "
                "belongs to. Do not remove or change msgctxt lines."
            )
            continue
        target = None if entry.fuzzy else _finished(entry.msgstr)
        entries.append(_Entry(f"{where} ({entry.msgctxt})", entry.msgctxt, entry.msgid, target))
    source_language = po.metadata.get("X-Source-Language", "").strip()
    return _translated(entries, source_language, target_language, problems)


def _tag(name: str) -> str:
    return f"{{{XLIFF_NS}}}{name}"


def _text_of(element: ET.Element, where: str, problems: list[str]) -> str:
    """The plain text of a <source> or <target>, through the inline markup tools add.

    <mrk> and <pc> (comments, terms, a bold run) keep their text, <sm>/<em> mark nothing,
    <cp> is one character. <ph>, <sc> and <ec> stand for codes of an original format; these
    texts have none, so such a code means the tool or translator added something that would
    be lost.
    """
    parts = [element.text or ""]
    for child in element:
        name = child.tag.removeprefix(f"{{{XLIFF_NS}}}")
        if name in {"mrk", "pc"}:
            parts.append(_text_of(child, where, problems))
        elif name == "cp":
            try:
                parts.append(chr(int(child.get("hex", ""), 16)))
            except (ValueError, OverflowError):
                problems.append(f"{where}: <cp hex={child.get('hex')!r}> is not a character.")
        elif name not in {"sm", "em"}:
            problems.append(
                f"{where}: the text contains a <{name}> code, which these texts do not use. "
                "Remove it and write the text plainly."
            )
        parts.append(child.tail or "")
    return "".join(parts)


def _segment_done(state: str | None, source: str, target: str) -> bool:
    """Whether one segment is translated: a finished state, and words unless the source has
    none (a segment of spaces between two sentences stays spaces)."""
    return state in _TRANSLATED_STATES and bool(target.strip() or not source.strip())


def _xliff_entry(unit: ET.Element, number: int, problems: list[str]) -> _Entry | None:
    """One <unit> read as a whole text: its segments (and ignorables) joined in order.

    Tools may split a body into one segment per sentence; the text is translated only when
    every segment is, because half a translation must not replace a whole one.
    """
    unit_id = unit.get("id", "")
    key = _key_of(unit_id)
    if key is None:
        problems.append(
            f"unit {number} (id {unit_id!r}): this id was not made by the workspace, so it is "
            "not known which text it belongs to. Do not change unit ids."
        )
        return None
    where = f"unit {key}"
    sources: list[str] = []
    targets: list[str] = []
    finished = True
    for part in unit:
        if part.tag not in {_tag("segment"), _tag("ignorable")}:
            continue
        source_element = part.find(_tag("source"))
        target_element = part.find(_tag("target"))
        source = "" if source_element is None else _text_of(source_element, where, problems)
        target = None if target_element is None else _text_of(target_element, where, problems)
        sources.append(source)
        if part.tag == _tag("ignorable"):  # whitespace between segments; kept as it is
            targets.append(source if target is None else target)
            continue
        if target is None or not _segment_done(part.get("state"), source, target):
            finished = False
        else:
            targets.append(target)
    translation = _finished("".join(targets)) if finished else None
    return _Entry(where, key, "".join(sources), translation)


def _parse_xml(text: str) -> ET.Element:
    """Parse untrusted XML; a DOCTYPE (where entity bombs and external files hide) is refused."""
    try:
        return SafeET.fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DTDForbidden as error:
        raise TransferError(
            "The file has a DOCTYPE declaration, which is refused for safety. "
            "Export it again from the translation tool as plain XLIFF 2.0."
        ) from error
    except defusedxml.DefusedXmlException as error:
        raise TransferError(
            "The file declares entities or refers to other files, which is refused for safety."
        ) from error
    except ET.ParseError as error:
        line, column = error.position
        raise TransferError(
            f"This is not an XLIFF file that can be read: the XML is broken at line {line}, "
            f"column {column + 1}."
        ) from error


def from_xliff(text: str, *, expected_target: str | None = None) -> Translated:
    """Read a translated XLIFF 2.0 file (2.1 too: same namespace, same core).

    A unit counts as translated when its <target> is not empty and its state is translated,
    reviewed or final (or missing); "initial" means nobody translated it yet.
    """
    root = _parse_xml(_strip_bom(text))
    if root.tag == f"{{{_XLIFF_1_NS}}}xliff":
        raise TransferError("This is an XLIFF 1.2 file. Export it from the tool as XLIFF 2.0.")
    if root.tag != _tag("xliff"):
        raise TransferError(
            f"This is not an XLIFF 2.0 file: it starts with <{root.tag}>, not <xliff> "
            f"in the namespace {XLIFF_NS}."
        )
    problems: list[str] = []
    if not root.get("version", "").startswith("2."):
        problems.append(f"The file says XLIFF version {root.get('version')!r}; 2.0 is needed.")
    source_language = root.get("srcLang", "").strip()
    target_language = root.get("trgLang", "").strip()
    if not source_language:
        problems.append("The file does not say its source language (srcLang).")
    if not target_language:
        problems.append(
            "The file does not say which language it is a translation into (trgLang). "
            "Set the target language in the translation tool and export again."
        )
    else:
        problems += _language_problem(target_language, expected_target)
    entries = [
        entry
        for number, unit in enumerate(root.iter(_tag("unit")), start=1)
        if (entry := _xliff_entry(unit, number, problems)) is not None
    ]
    return _translated(entries, source_language, target_language, problems)


# -- plan -------------------------------------------------------------------------------------


def _lines(text: str) -> str:
    """Text with one kind of line break: XML turns "\\r\\n" into "\\n", tools on Windows the
    other way round, and neither is a change a person made."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def plan(
    units: Sequence[Unit],
    translated: Translated,
    *,
    expected_target: str | None = None,
) -> list[ProposedChange]:
    """The translations a file would change, in unit order, after checking all of them.

    All or nothing: any problem refuses the whole file, and every problem is listed at once.
    Only texts the file would write are checked: an unknown key, a translation longer than its
    text may be, a translation made from an older source (the source changed since the export,
    so the translation may say something the source no longer says), and, given
    ``expected_target``, a file in another language. A translation equal to the current one is
    no change and is not checked, so an item edited since the export does not block the
    translator's other work.
    """
    problems = _language_problem(translated.target_language, expected_target)
    known = {unit.key for unit in units}
    changes: list[ProposedChange] = []
    for unit in units:
        after = translated.targets.get(unit.key)
        if after is None or _lines(after) == _lines(unit.target):
            continue
        if unit.max_length is not None and len(after) > unit.max_length:
            problems.append(
                f"{unit.key}: the translation has {len(after)} characters, but only "
                f"{unit.max_length} fit. Shorten it by {len(after) - unit.max_length}."
            )
        source = translated.sources.get(unit.key)
        if source is not None and _lines(source) != _lines(unit.source):
            problems.append(
                f"{unit.key}: translated from an older version of the source; the source text "
                "has changed since the file was exported. Export again and translate the new text."
            )
        changes.append(ProposedChange(unit.key, unit.target, after))
    problems += [
        f"{key}: there is no such text in the workspace (was it renamed or deleted since the "
        "export?)."
        for key in translated.targets
        if key not in known
    ]
    if problems:
        raise TransferError(problems)
    return changes
