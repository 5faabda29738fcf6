"""Phone numbers, links and money amounts in answer texts: find them, compare them, check them.

Why: a wrong phone number in an answer can cost a life. A reviewer must see every number, link
and amount that an edit adds, removes or alters, in every language; the languages of one item
must give the same numbers; and a number that is not on the verified list of its country must be
flagged. This module is the pure logic behind that (no database, no web), so that it can be
tested on its own and on the real texts of content/.

What counts as a phone number (the rules are tuned on content/*.yml, see the tests):

- 7 or more digits, with single spaces, hyphens or brackets between groups and an optional
  leading "+": "+507 500-6000", "(502) 2411-1900", "1-888-373-7888". Dates and year ranges
  written with hyphens ("2026-12-02", "2025-2026") need a calling word nearby.
- 3 to 6 digits (short codes, SMS numbers) only with a sign that they are dialled: a calling
  word just before or nearby in the same sentence ("Rele 141", "llame al 117", "141: the ICBF
  line"), a "*" or "#" prefix ("*611", "#767"), WhatsApp bold around the number alone
  ("*125*: Red Cross", the house style of content/), or a well-known emergency form (911, 112,
  "9-1-1").
- Never: a number followed by a unit or a count ("15 years", "72 èdtan", "100 km", "15 %"), a
  number after "article", "Ley", "section"..., a year 1900-2100 unless a calling word comes
  right before it, a part of a date or a time ("12/02/2026", "8:00", "17h"), a form code
  ("I-589"), or a number inside a link or an amount.

Normalised values, which is what the comparisons use:

- phone: the digits, with a leading "+" kept when written ("+507 512-2222" -> "+5075122222",
  "9-1-1" -> "911"); a star or hash code keeps its signs ("*611", "*123#") because they are
  dialled. WhatsApp bold stars are not part of the number.
- url: as written, minus trailing punctuation and WhatsApp formatting ("https://x.org/a.").
- amount: "<currency> <number>", the number without thousands separators and with "." for
  decimals, a zero fraction dropped; the currency is an ISO code when the text says which
  ("USD 1000", "EUR 20", "HTG 100", "FCFA 5000"), "$" glued to the number for the ambiguous
  dollar sign and the words dollars/dola/dólares ("$50"), and "pesos" for the peso, which is
  ambiguous too ("pesos 200"). So "$50" and "50 dollars" are the same fact; "$50" and "50 pesos"
  are not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from markupsafe import Markup, escape

Kind = Literal["phone", "url", "amount"]
KINDS: tuple[Kind, ...] = ("phone", "url", "amount")


@dataclass(frozen=True)
class Fact:
    """One phone number, link or amount found in a text.

    `value` is the normalised form that comparisons use (see the module docstring); `text` is
    what the author wrote, at `text[start:end]` of the text it was found in.
    """

    kind: Kind
    value: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class FactChange:
    """A value that an edit added to or removed from a text."""

    kind: Kind
    change: Literal["added", "removed"]
    value: str


# --- links ---------------------------------------------------------------------------------

_URL = re.compile(
    r"""
    (?:
        https?://                   # a link with its scheme
      | (?<![\w.@/-])www\.          # or a bare www. host
      | (?<![\w.@/-])(?:wa|t)\.me/  # or a WhatsApp or Telegram link written without scheme
    )
    [^\s<>"'«»]+                    # up to the first space, bracket or quote
    """,
    re.VERBOSE | re.IGNORECASE,
)
# Punctuation that ends a sentence or WhatsApp formatting (*bold*, _italic_, ~strike~) rather
# than the link. A closing bracket is stripped only when the link has no opening one.
_URL_TRAILING = ".,;:!?*_~'\"»]}"


def _links(text: str) -> Iterator[Fact]:
    for found in _URL.finditer(text):
        url = found.group()
        while url and (
            url[-1] in _URL_TRAILING or (url[-1] == ")" and url.count("(") < url.count(")"))
        ):
            url = url[:-1]
        yield Fact("url", url, url, found.start(), found.start() + len(url))


# --- amounts -------------------------------------------------------------------------------

# Every way of writing a currency, lower-cased, and the label of its normalised value.
_CURRENCIES: dict[str, str] = {
    # the dollar sign and words are ambiguous (US, but also pesos in Mexico): "$"
    "$": "$",
    "dollar": "$",
    "dollars": "$",
    "dola": "$",
    "dolà": "$",
    "dólar": "$",
    "dolar": "$",
    "dólares": "$",
    "dolares": "$",
    # the peso is ambiguous too (Mexico, Colombia, Chile, Dominican Republic, Cuba): "pesos"
    "peso": "pesos",
    "pesos": "pesos",
    "pezo": "pesos",
    # currencies the text names
    "us$": "USD",
    "usd": "USD",
    "€": "EUR",
    "eur": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "£": "GBP",
    "gbp": "GBP",
    "htg": "HTG",
    "goud": "HTG",
    "gourde": "HTG",
    "gourdes": "HTG",
    "fcfa": "FCFA",
    "cfa": "FCFA",
    "f cfa": "FCFA",
    "francs cfa": "FCFA",
    "xof": "XOF",
    "xaf": "XAF",
    "mxn": "MXN",
    "cop": "COP",
    "clp": "CLP",
    "rd$": "DOP",
    "dop": "DOP",
    "r$": "BRL",
    "brl": "BRL",
    "reais": "BRL",
    "reales": "BRL",
    "s/": "PEN",
    "pen": "PEN",
    "soles": "PEN",
    "b/.": "PAB",
    "pab": "PAB",
    "balboas": "PAB",
    "gtq": "GTQ",
    "quetzal": "GTQ",
    "quetzales": "GTQ",
    "hnl": "HNL",
    "lempiras": "HNL",
    "nio": "NIO",
    "córdobas": "NIO",
    "cordobas": "NIO",
    "crc": "CRC",
    "colones": "CRC",
}


def _alternation(tokens: Iterable[str]) -> str:
    """A regex that matches any of `tokens`, longest first, whole words only for words."""
    parts = []
    for token in sorted(tokens, key=len, reverse=True):
        part = re.escape(token)
        if token[0].isalpha():
            part = r"\b" + part
        if token[-1].isalpha():
            part += r"\b"
        parts.append(part)
    return "|".join(parts)


_SPACE = "[ \u00a0\u202f]"  # a space, a no-break space or a narrow no-break space (French)
_AMOUNT = re.compile(
    rf"""
    (?<![\w.,$€£/])                     # not in the middle of a word or a number
    (?:(?P<before>{_alternation(_CURRENCIES)}){_SPACE}?)?    # $50, USD 1,000
    (?P<number>
        \d{{1,3}}(?:[,.]\d{{3}})+(?:[.,]\d{{1,2}})?          # 1,000  1.000  1,000.50
      | \d{{1,3}}(?:{_SPACE}\d{{3}})+(?:,\d{{1,2}})?         # 5 000 (French, Kreyòl)
      | \d+(?:[.,]\d{{1,2}})?                                # 50  12,50  12.50
    )
    (?:{_SPACE}?(?P<after>{_alternation(_CURRENCIES)}))?     # 20 €, 100 goud, 50 dólares
    """,
    re.VERBOSE | re.IGNORECASE,
)


def _amount_value(currency: str, number: str) -> str:
    """The normalised value of an amount, e.g. ("usd", "1,000.00") -> "USD 1000"."""
    digits = re.sub(r"[ \u00a0\u202f]", "", number)
    decimals = re.search(r"[.,](\d{1,2})$", digits)  # 1 or 2 digits after the last mark
    whole = re.sub(r"[.,]", "", digits[: decimals.start()] if decimals else digits)
    fraction = decimals.group(1) if decimals else ""
    amount = whole + (f".{fraction}" if fraction.strip("0") else "")
    label = _CURRENCIES[currency.lower()]
    return f"${amount}" if label == "$" else f"{label} {amount}"


def _amounts(text: str) -> Iterator[Fact]:
    for found in _AMOUNT.finditer(text):
        # A currency after the number is the more specific one: "$200 pesos" is in pesos.
        currency = found.group("after") or found.group("before")
        if currency:
            value = _amount_value(currency, found.group("number"))
            yield Fact("amount", value, found.group(), found.start(), found.end())


# --- phone numbers -------------------------------------------------------------------------

_CALLING_WORD = re.compile(
    r"""
    \b(?:
        # English
        call(?:s|ed|ing)? | dial(?:l?ing)? | (?:tele)?phone | tel | number | line | hotline
      | helpline | text | sms | whatsapp | contact
        # French ("appel" alone is left out: "faire appel" is to appeal)
      | appel(?:ez|er|le|lez) | compose[rz]? | num[ée]ro | ligne | t[ée]l[ée]phone | t[ée]l
        # Kreyòl ("apèl" is left out for the same reason)
      | rele | rel[ée] | nimewo | liy | telef[òo]n | mesaj
        # Spanish
      | llam[ea] | llamar | llamen | marque | marca | marcar | l[íi]nea | tel[ée]fono
      | n[úu]mero | celular
        # the services that short numbers reach
      | police | polis | lapolis | polic[íi]a | ambulance | anbilans | ambulancia
      | emergenc(?:y|ies) | urgences? | ijans | emergencias? | pompiers | ponpye | bomberos
    )\b
    """,
    re.VERBOSE | re.IGNORECASE,
)
# A calling word right before the number, perhaps with an article: "call 911", "appelle le
# *123*", "llame al 117", "rele nan 141". The number is then the object of the call.
_CALLED_RIGHT_BEFORE = re.compile(
    rf"""
    (?:{_CALLING_WORD.pattern})
    [\s*_:(]*                                      # spaces, bold, a colon, a bracket
    (?:(?:the|le|la|l'|au|al|el|a|to|at|on|nan)\s+)?   # one article or preposition
    [\s*_(]*$
    """,
    re.VERBOSE | re.IGNORECASE,
)
# A word that makes the next number a reference, not a phone: "article 122", "Ley 1098".
_REFERENCE_BEFORE = re.compile(
    r"""
    \b(?:
        art(?:icles?|[íi]culos?|igos?)?\.? | atik     # articles of a law
      | ley(?:es)? | laws? | lwa | lois? | d[ée]cret | decree | decreto | dekr[èe]
      | sections? | secci[óo]n | seksyon | chap(?:ter|itre|it) | cap[íi]tulo
      | pages? | paj | p[áa]gina | forms? | formulaire | formulario | f[òo]m
      | r[ée]solution | resoluci[óo]n | rezolisyon | km | kilom[eèé]t(?:re|er|ro)s?
    )[\s.*_(]*$
    """,
    re.VERBOSE | re.IGNORECASE,
)
# A unit or a count after the number: it is an amount of something, not a phone.
_UNIT_AFTER = re.compile(
    r"""
    [\s*_)]*              # spaces or closing bold: "*72* hours" (used with .match(text, pos))
    (?:
        %
      | (?:
            # time
            years? | yrs? | ans? | ane | ann[ée]es? | a[ñn]os? | months? | mois | mwa | mes(?:es)?
          | weeks? | semaines? | sem[èe]n | semanas? | days? | jours? | jou | d[íi]as?
          | hours? | hrs? | h | heures? | [èe]dtan | è | horas? | minutes? | mins? | minit
          | minutos?
            # distance and weight
          | km | kms | kilom[eèé]t(?:re|er|ro)s? | kilom[èe]t | miles? | m | meters? | metres?
          | m[èe]t | metros? | kg | kilos?
            # people and times
          | people | persons? | personnes? | personas? | moun | timoun | children | enfants?
          | ni[ñn]os? | migrants? | migran | migrantes? | famil(?:y|ies|les?|ias?) | fanmi
          | times | fois | fwa | veces | percent | pour\s?cent | pousan | por\s?ciento
        )\b
    )
    """,
    re.VERBOSE | re.IGNORECASE,
)
_PHONE_RUN = re.compile(
    r"""
    (?<![\w/.:,+-])                 # not the tail of a word, date, time, decimal, code (I-589)
    (?P<prefix>[+*\#])?             # "+" of a country code, "*"/"#" of a code or of bold
    (?P<body>
        (?:\(\d+\)|\d+)             # a group of digits, maybe in brackets: (502)
        (?:[ \u00a0\u202f-](?:\(\d+\)|\d+))*   # more groups, one space or hyphen apart
    )
    (?P<suffix>[*\#])?              # closing bold, or the "#" of a USSD code: *123#
    (?![\w/%]|[.:,]\d)              # not followed by a letter (17h), a date or time part, or %
    """,
    re.VERBOSE,
)
_GROUP = re.compile(r"\(?\d+\)?")
# Runs of 7+ digits that are dates or years, not phones, unless a calling word is near.
_DATE_OR_YEARS = re.compile(
    r"""
    (?:19|20)\d\d(?:-\d\d?){2}              # 2026-12-02
  | \d\d?-\d\d?-(?:19|20)\d\d               # 02-12-2026
  | (?:19|20)\d\d(?:[ -](?:19|20)\d\d)+     # 2025-2026
    """,
    re.VERBOSE,
)
# The end of a sentence, but not the dot of "Tel. 147".
_SENTENCE_END = re.compile(r"(?<!\btel)(?<!\btél)[.!?;](?:\s|$)|\n", re.IGNORECASE)
_KNOWN_EMERGENCY = frozenset({"911", "112"})
_DASHED_EMERGENCY = re.compile(r"\d(?:-\d){2,3}")  # 9-1-1, 1-1-2
_SHORT_DIGITS = range(3, 7)
_LONG_DIGITS = 7


def normalise_phone(written: str) -> str:
    """The normalised value of a phone number as written: "+507 512-2222" -> "+5075122222".

    A leading "+" is kept, and the "*" or "#" of a star code with a trailing "#" (they are
    dialled); everything else that is not a digit goes.
    """
    written = written.strip()
    sign = written[0] if written[:1] in ("+", "*", "#") else ""
    tail = "#" if sign in ("*", "#") and written.endswith("#") and len(written) > 1 else ""
    return sign + re.sub(r"\D", "", written) + tail


def _before(text: str, start: int, width: int = 40) -> str:
    """The text of the same sentence before `start`, at most `width` characters, whole words."""
    window_start = max(0, start - width)
    while 0 < window_start < start and text[window_start - 1].isalnum():
        window_start += 1
    return _SENTENCE_END.split(text[window_start:start])[-1]


def _after(text: str, end: int, width: int = 20) -> str:
    """The text of the same sentence after `end`, at most `width` characters."""
    return _SENTENCE_END.split(text[end : end + width])[0]


def _near_calling_word(text: str, start: int, end: int) -> bool:
    return bool(
        _CALLING_WORD.search(_before(text, start)) or _CALLING_WORD.search(_after(text, end))
    )


def _is_year(digits: str) -> bool:
    return len(digits) == 4 and 1900 <= int(digits) <= 2100


def _is_short_code(text: str, start: int, end: int, digits: str, signed: bool) -> bool:
    """Whether 3-6 digits at text[start:end] are a number to call or text.

    `signed` says the number was written with a "*"/"#" prefix or in bold on its own.
    The order matters: a reference word ("article") always wins, and a calling word right
    before the number wins over a unit after it ("rele 911 an ka ijans").
    """
    before = _before(text, start)
    if len(digits) not in _SHORT_DIGITS or _REFERENCE_BEFORE.search(before):
        return False
    if _CALLED_RIGHT_BEFORE.search(before):
        return True
    if _UNIT_AFTER.match(text, end) or _is_year(digits):
        return False
    return signed or digits in _KNOWN_EMERGENCY or _near_calling_word(text, start, end)


def _phones(text: str) -> Iterator[Fact]:
    for run in _PHONE_RUN.finditer(text):
        prefix, suffix = run.group("prefix") or "", run.group("suffix") or ""
        groups = list(_GROUP.finditer(text, run.start("body"), run.end("body")))
        # "+507 500-6000 24 hours": the last group is a count, not part of the number.
        if (
            len(groups) > 1
            and text[groups[-1].start() - 1] != "-"
            and _UNIT_AFTER.match(text, groups[-1].end())
        ):
            groups.pop()
            suffix = ""
        body_start, body_end = groups[0].start(), groups[-1].end()
        body = text[body_start:body_end]
        digits = re.sub(r"\D", "", body)
        if len(digits) >= _LONG_DIGITS:
            yield from _long_phone(text, run.start(), body_start, body_end, prefix)
        elif _DASHED_EMERGENCY.fullmatch(body):
            yield Fact("phone", digits, body, body_start, body_end)
        elif prefix != "+":  # "+15" is not a phone number
            yield from _short_phones(text, groups, prefix, suffix)


def _long_phone(text: str, start: int, body_start: int, end: int, prefix: str) -> Iterator[Fact]:
    body = text[body_start:end]
    if _REFERENCE_BEFORE.search(_before(text, start)):
        return
    if _DATE_OR_YEARS.fullmatch(body) and not _near_calling_word(text, start, end):
        return
    if prefix == "+":
        yield Fact("phone", normalise_phone("+" + body), text[start:end], start, end)
    else:  # a "*" before a long number is bold, not part of it
        yield Fact("phone", normalise_phone(body), body, body_start, end)


def _short_phones(
    text: str, groups: list[re.Match[str]], prefix: str, suffix: str
) -> Iterator[Fact]:
    """The short codes among the digit groups of a run: each group is judged on its own."""
    bold = prefix == "*" and suffix == "*" and len(groups) == 1
    for index, group in enumerate(groups):
        first, last = index == 0, index == len(groups) - 1
        code_sign = prefix if first and prefix in ("*", "#") and not bold else ""
        code_tail = "#" if last and code_sign and suffix == "#" else ""
        start = group.start() - len(code_sign)
        end = group.end() + len(code_tail)
        digits = re.sub(r"\D", "", group.group())
        if _is_short_code(text, group.start(), end, digits, signed=bold or bool(code_sign)):
            written = text[start:end]
            yield Fact("phone", normalise_phone(written), written, start, end)


# --- public API ----------------------------------------------------------------------------


def _without_overlap(found: Iterable[Fact], taken: list[Fact]) -> list[Fact]:
    return [f for f in found if not any(f.start < t.end and t.start < f.end for t in taken)]


def facts_in(text: str) -> list[Fact]:
    """Every phone number, link and amount in `text`, in the order they appear.

    Links are found first and amounts second, so that the digits of a link or of an amount are
    never also read as a phone number.
    """
    facts = list(_links(text))
    facts += _without_overlap(_amounts(text), facts)
    facts += _without_overlap(_phones(text), facts)
    return sorted(facts, key=lambda fact: fact.start)


def fact_values(text: str, kind: str | None = None) -> set[str]:
    """The normalised values in `text`, of one kind or of all kinds."""
    if kind is not None and kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}, expected one of {KINDS}")
    return {fact.value for fact in facts_in(text) if kind is None or fact.kind == kind}


def changes(old: str, new: str) -> list[FactChange]:
    """What `new` adds and removes compared with `old` ("" for a new text).

    An altered number is one removed value and one added value. A value written twice counts
    once: moving or repeating a number is not a change of fact. Sorted by kind, removals
    first, then in the order of the text, so an altered number reads "removed X, added Y".
    """
    old_facts, new_facts = _first_of_each(old), _first_of_each(new)
    removed = [
        (fact, FactChange(fact.kind, "removed", fact.value))
        for key, fact in old_facts.items()
        if key not in new_facts
    ]
    added = [
        (fact, FactChange(fact.kind, "added", fact.value))
        for key, fact in new_facts.items()
        if key not in old_facts
    ]
    ordered = sorted(
        removed + added,
        key=lambda pair: (KINDS.index(pair[0].kind), pair[1].change != "removed", pair[0].start),
    )
    return [change for _, change in ordered]


def _first_of_each(text: str) -> dict[tuple[str, str], Fact]:
    first: dict[tuple[str, str], Fact] = {}
    for fact in facts_in(text):
        first.setdefault((fact.kind, fact.value), fact)
    return first


def mismatches(texts: dict[str, str]) -> dict[str, dict[str, set[str]]]:
    """Which values each language lacks that another language of the same item gives.

    `texts` maps a language to its body. {"fr": {"phone": {"+5075122222"}}} means that some
    other language gives that number and the French text does not. Empty when all agree.
    """
    values = {
        language: {kind: fact_values(body, kind) for kind in KINDS}
        for language, body in texts.items()
    }
    missing: dict[str, dict[str, set[str]]] = {}
    for language, own in values.items():
        for kind in KINDS:
            given_elsewhere = set().union(
                *(other[kind] for lang, other in values.items() if lang != language)
            )
            if lacking := given_elsewhere - own[kind]:
                missing.setdefault(language, {})[kind] = lacking
    return missing


def _dialled_forms(value: str, country_code: str | None) -> set[str]:
    """The international forms a normalised number stands for in the country `country_code`.

    A number written without "+" is read as local ("5122222" -> "+5075122222") and, when it
    already starts with the country code followed by 7+ digits, as international written
    without "+" ("50224111900" -> "+50224111900"). A number written with "+" stands only for
    itself: "+5122222" is a number in Peru (+51), not a local number of Panama.
    """
    forms = {value}
    if country_code and value[:1] not in ("+", "*", "#"):
        forms.add(f"+{country_code}{value}")
        if value.startswith(country_code) and len(value) - len(country_code) >= _LONG_DIGITS:
            forms.add(f"+{value}")
    return forms


def unverified_phones(
    text: str, verified: Iterable[str], country_code: str | None = None
) -> set[str]:
    """The phone numbers of `text` (normalised) that are not on the `verified` list.

    `verified` may be written in any form ("+507 512-2222"); it is normalised first. Without
    `country_code` a number must match exactly (after normalisation). With it (digits, e.g.
    "507"), a local number and an international one match when the international one is the
    country code followed by the local digits (see `_dialled_forms`). There is no handling of
    trunk prefixes ("0") or of "00"/"011" dialling prefixes: such numbers are flagged, which
    is the safe side.
    """
    known: set[str] = set()
    for number in verified:
        known |= _dialled_forms(normalise_phone(number), country_code)
    return {
        phone
        for phone in fact_values(text, "phone")
        if not _dialled_forms(phone, country_code) & known
    }


def highlight(text: str, marked: set[str] | None = None) -> Markup:
    """`text` as safe HTML with every fact in <mark class="fact fact-KIND">.

    Facts whose value is in `marked` (for instance the values of `changes`) also get the class
    "fact-changed". Everything else is escaped; newlines become <br>.
    """
    marked = marked or set()
    parts: list[Markup] = []
    position = 0
    for fact in facts_in(text):
        classes = f"fact fact-{fact.kind}" + (" fact-changed" if fact.value in marked else "")
        parts.append(_escape_lines(text[position : fact.start]))
        parts.append(Markup('<mark class="{}">{}</mark>').format(classes, fact.text))
        position = fact.end
    parts.append(_escape_lines(text[position:]))
    return Markup("").join(parts)


def _escape_lines(text: str) -> Markup:
    """`text` escaped, its lines joined by <br> (facts never span a line)."""
    return Markup("<br>").join(escape(line) for line in text.replace("\r\n", "\n").split("\n"))
