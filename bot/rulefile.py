"""A rule file partners edit (the emergency and child-alone patterns, the gazetteer): read from
its text one way, and every mistake in it told with its line.

Why one reader for the files and the workspace: the gateway loads content/*.yml at start and
the workspace checks an admin's edit before it is saved; if they parsed differently, a text the
workspace accepted could fail in the gateway (or the reverse). The builders in
bot/safety/detector.py, bot/safety/minor.py and bot/places.py take the parsed data and raise
`RuleFileError` with *where* the problem is (("patterns", "ht", 3): the fourth Kreyòl pattern);
`build` turns that into a line number of the text, which is what a partner can find.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import yaml

# Where in the document: the keys and list positions from its top ("patterns", "ht", 3).
Where = tuple[str | int, ...]
Built = TypeVar("Built")


class RuleFileError(ValueError):
    """A rule file that cannot be used, said in a sentence a partner understands.

    `problem` is an English sentence with %(name)s placeholders filled from `params`, so the
    workspace can translate the sentence (gettext) and the logs read it as it is."""

    def __init__(
        self, problem: str, *, where: Where = (), line: int | None = None, **params: object
    ) -> None:
        self.problem = problem
        self.params = params
        self.where = where
        self.line = line
        self.source = ""
        super().__init__(self.describe())

    def describe(self, translate: Callable[[str], str] = lambda text: text) -> str:
        """The sentence, translated by `translate`, after its line when it is known."""
        sentence = translate(self.problem) % self.params if self.params else translate(self.problem)
        if self.line is None:
            return sentence
        return translate("Line %(line)d: %(problem)s") % {"line": self.line, "problem": sentence}

    def __str__(self) -> str:
        text = self.describe()
        return f"{self.source}: {text}" if self.source else text


def parse(text: str) -> dict[str, Any]:
    """The YAML of a rule file as a mapping; a syntax error says its line."""
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = error.problem or error.context or "unreadable"
        raise RuleFileError(
            "The text is not valid YAML (%(reason)s). Check the indentation and the quotes.",
            line=line,
            reason=reason,
        ) from error
    except yaml.YAMLError as error:
        raise RuleFileError(
            "The text is not valid YAML (%(reason)s).", reason=str(error)
        ) from error
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise RuleFileError("The text must be a list of named sections (name: ...), not a value.")
    return data


def line_of(text: str, where: Where) -> int | None:
    """The line (from 1) of the value at `where` in the YAML text, or of the nearest part of
    it that exists; None when the text cannot be composed."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = node.start_mark.line + 1 if node is not None else None
    for step in where:
        if isinstance(node, yaml.MappingNode):
            found = [value for key, value in node.value if key.value == str(step)]
            key_lines = [key.start_mark.line + 1 for key, _ in node.value if key.value == str(step)]
            if not found:
                return line
            node, line = found[0], key_lines[0]
            if isinstance(node, yaml.ScalarNode):
                line = node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            if step >= len(node.value):
                return line
            node = node.value[step]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def build(text: str, source: str, builder: Callable[[Mapping[str, Any]], Built]) -> Built:
    """`builder` over the parsed text; its error gets the line of the problem and the source
    (a file name, or the document's name in the workspace)."""
    try:
        return builder(parse(text))
    except RuleFileError as error:
        if error.line is None and error.where:
            error.line = line_of(text, error.where)
        error.source = source
        raise


def section(data: Mapping[str, Any], key: str, where: Where = ()) -> Mapping[str, Any]:
    """The mapping under `key` ({} when absent); anything else there is a mistake."""
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise RuleFileError(
            "“%(key)s” must hold named entries (one per line, name: ...).",
            where=(*where, key),
            key=key,
        )
    return value


def strings(value: object, where: Where) -> list[str]:
    """A YAML list of words or patterns as strings; an empty item or a nested list is a
    mistake (a lone "-" reads as nothing, and would silently match nothing)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise RuleFileError(
            "This must be a list: one item per line, each starting with “- ”.", where=where
        )
    items = []
    for index, item in enumerate(value):
        if item is None or isinstance(item, (list, dict)) or str(item).strip() == "":
            raise RuleFileError(
                "Item %(number)d of this list is empty or not a single text.",
                where=(*where, index),
                number=index + 1,
            )
        items.append(str(item))
    return items
