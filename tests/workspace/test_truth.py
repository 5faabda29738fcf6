"""The numbers, links and amounts that reviewers must see: found right, compared, checked, shown.

The tables hold real phrasing from the answers in Kreyòl, French, English and Spanish (names of
places and offices are often Spanish on the route). The last tests run over content/*.yml.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.workspace.truth import (
    Fact,
    FactChange,
    changes,
    fact_values,
    facts_in,
    highlight,
    mismatches,
    normalise_phone,
    unverified_phones,
)

CONTENT = Path(__file__).resolve().parents[2] / "content"

PHONES = [
    # Kreyòl
    ("ht", "Rele 911 si ou an danje.", {"911"}),
    ("ht", "Rele *141*: liy ICBF pou timoun, 24 èdtan sou 24.", {"141"}),
    ("ht", "nimewo a se +507 500-6000.", {"+5075006000"}),
    ("ht", "relé 136 touswit", {"136"}),
    ("ht", "Liy 1147 la gratis.", {"1147"}),
    ("ht", "Si ou an danje, rele 911 an ka ijans.", {"911"}),
    ("ht", "voye mesaj HELP nan *233733*", {"233733"}),
    ("ht", "Kounye a: rele 9-1-1, oswa peze bouton an.", {"911"}),
    # French
    ("fr", "Appelez le 112 ou le 147.", {"112", "147"}),
    ("fr", "Appelle le *123* (police, ambulance).", {"123"}),
    ("fr", "Composez le 1-800-222-1222 depuis un téléphone.", {"18002221222"}),
    ("fr", "Tél. 117", {"117"}),
    ("fr", "- *104* : Police nationale, aussi pour signaler la traite", {"104"}),
    # English
    ("en", "In parts of Darién, 911 does not reach you.", {"911"}),
    ("en", "Call (502) 2411-1900 on weekdays.", {"50224111900"}),
    ("en", "WhatsApp +52 55 1234 5678", {"+525512345678"}),
    ("en", "- *100*: Disque Direitos Humanos, to report trafficking.", {"100"}),
    ("en", "the 141 line for children", {"141"}),
    ("en", "Dial *611 or #767 for credit, or *123# for your balance.", {"*611", "#767", "*123#"}),
    ("en", "Call +507 500-6000 24 hours a day.", {"+5075006000"}),
    ("en", "In 2023 the line changed: call 911.", {"911"}),
    # Spanish
    ("es", "Llame al 117 o al 147.", {"117", "147"}),
    ("es", "Marque 136 desde cualquier teléfono.", {"136"}),
    ("es", "Línea 104, 24 horas.", {"104"}),
]

NOT_PHONES = [
    ("ht", "Ou poko gen 18 an, ou gen 15 an."),
    ("ht", "Fè demann lan nan 15 jou, anvan 72 èdtan pase."),
    ("ht", "Yo fèmen Kwa Wouj la an 2023; anvan 2024 yo te rele l DINAF."),
    ("ht", "Depoze fòm I-589 nan USCIS."),
    ("ht", "atik 122 Konstitisyon an"),
    ("ht", "150 moun te pase nan 3 jou."),
    ("fr", "Tu as moins de 18 ans. 18 ans, 15 an."),
    ("fr", "Le rendez-vous est le 12/02/2026 à 8:00, ou à 17h."),
    ("fr", "La Convention de 1951, article 22, 100 km à pied."),
    ("fr", "Il faut des soins dans les 72 heures, 15 % des cas."),
    ("fr", "Mis à jour le 2026-12-02, pour 2025-2026."),
    ("en", "You have 3 days, then 72 hours, and 30 working days."),
    ("en", "In 2025 Panama closed the jungle paths; in 2026 too."),
    ("en", "Children under 18, under 5: free. 120 people crossed."),
    ("en", "Section 208 of the law, page 104."),
    ("en", "The number of people is 2026."),
    ("en", "Walk 112 km to the next town."),
    ("es", "Ley 64 de 2006, artículo 122."),
    ("es", "Son 150 kilómetros, 3 días."),
]

AMOUNTS = [
    ("en", "The fine is $50.", {"$50"}),
    ("en", "It costs USD 1,000 or 50 dollars.", {"USD 1000", "$50"}),
    ("en", "About 20 € or EUR 20.", {"EUR 20"}),
    ("en", "Pay $12.50, not $12.50.", {"$12.50"}),
    ("fr", "Environ 5 000 FCFA ou 1 000 000 francs CFA.", {"FCFA 5000", "FCFA 1000000"}),
    ("fr", "50,00 € par jour", {"EUR 50"}),
    ("ht", "Li koute 100 goud oswa 50 dola.", {"HTG 100", "$50"}),
    ("es", "Son 50 dólares o 200 pesos.", {"$50", "pesos 200"}),
    ("es", "Cobran $200 pesos, 1.000,50 euros y RD$ 500.", {"pesos 200", "EUR 1000.50", "DOP 500"}),
]

URLS = [
    ("en", "See https://help.unhcr.org/panama/en/.", {"https://help.unhcr.org/panama/en/"}),
    (
        "fr",
        "Voir www.acnur.org, puis *https://x.org/a_(b)*.",
        {"www.acnur.org", "https://x.org/a_(b)"},
    ),
    (
        "ht",
        "Ekri nou sou wa.me/50760001234 oswa (https://t.me/rout).",
        {"wa.me/50760001234", "https://t.me/rout"},
    ),
]


def _case_id(case: tuple) -> str:
    return f"{case[0]}: {case[1][:40]}"


@pytest.mark.parametrize("case", PHONES, ids=_case_id)
def test_phones_are_found(case: tuple[str, str, set[str]]) -> None:
    _, text, expected = case
    assert fact_values(text, "phone") == expected


@pytest.mark.parametrize("case", NOT_PHONES, ids=_case_id)
def test_ages_years_dates_counts_and_references_are_not_phones(case: tuple[str, str]) -> None:
    _, text = case
    assert fact_values(text, "phone") == set()


@pytest.mark.parametrize("case", AMOUNTS, ids=_case_id)
def test_amounts_are_found_and_normalised(case: tuple[str, str, set[str]]) -> None:
    _, text, expected = case
    assert fact_values(text, "amount") == expected
    assert fact_values(text, "phone") == set(), "the digits of an amount are not a phone"


@pytest.mark.parametrize("case", URLS, ids=_case_id)
def test_links_are_found_without_trailing_punctuation(case: tuple[str, str, set[str]]) -> None:
    _, text, expected = case
    assert fact_values(text, "url") == expected
    assert fact_values(text, "phone") == set(), "the digits of a link are not a phone"


def test_a_fact_says_what_was_written_and_where() -> None:
    text = "- *125*: Kwa Wouj. Rele +507 500-6000 oswa *611, pou $50."
    facts = facts_in(text)
    assert [(f.kind, f.value, f.text) for f in facts] == [
        ("phone", "125", "125"),  # the bold stars are formatting, not part of the number
        ("phone", "+5075006000", "+507 500-6000"),
        ("phone", "*611", "*611"),  # the star of a dial code is dialled
        ("amount", "$50", "$50"),
    ]
    assert all(text[f.start : f.end] == f.text for f in facts)


def test_normalise_phone_keeps_what_is_dialled() -> None:
    assert normalise_phone("+507 512-2222") == "+5075122222"
    assert normalise_phone("1-800-222-1222") == "18002221222"
    assert normalise_phone("9-1-1") == "911"
    assert normalise_phone("*123#") == "*123#"


def test_fact_values_refuses_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="phones"):
        fact_values("Rele 911", "phones")


def test_changes_of_a_new_text_are_all_additions() -> None:
    assert changes("", "Rele 911 oswa gade www.acnur.org") == [
        FactChange("phone", "added", "911"),
        FactChange("url", "added", "www.acnur.org"),
    ]


def test_an_altered_number_is_one_removal_and_one_addition() -> None:
    old = "Call +507 500-6000 or 911. It costs $50."
    new = "Call +507 500-6001 or 911. It costs $50."
    assert changes(old, new) == [
        FactChange("phone", "removed", "+5075006000"),
        FactChange("phone", "added", "+5075006001"),
    ]


def test_removed_facts_are_reported() -> None:
    assert changes("Rele 911 oswa 114, pou 100 goud.", "Rele 911.") == [
        FactChange("phone", "removed", "114"),
        FactChange("amount", "removed", "HTG 100"),
    ]


def test_rewriting_a_number_in_another_form_is_not_a_change() -> None:
    assert changes("Call +507 500-6000, $50", "Rele +507 500 6000, 50 dola") == []


def test_mismatches_name_the_language_that_lacks_a_number() -> None:
    texts = {
        "en": "Call +507 512-2222 or 911.",
        "ht": "Rele +507 512 2222 oswa 911.",
        "fr": "Appelez le 911.",
    }
    assert mismatches(texts) == {"fr": {"phone": {"+5075122222"}}}


def test_mismatches_cover_links_and_amounts_and_are_empty_when_consistent() -> None:
    texts = {
        "en": "It costs $50, see www.acnur.org.",
        "fr": "Cela coûte 50 dollars, voir www.acnur.org.",
        "ht": "Li koute 50 pezo.",
    }
    assert mismatches(texts) == {
        "en": {"amount": {"pesos 50"}},
        "fr": {"amount": {"pesos 50"}},
        "ht": {"amount": {"$50"}, "url": {"www.acnur.org"}},
    }
    assert mismatches(dict.fromkeys(("en", "fr"), texts["en"])) == {}


def test_unverified_phones_compare_normalised_numbers() -> None:
    text = "Rele +507 512-2222, 911 oswa +507 512-3333."
    assert unverified_phones(text, {"+5075122222", "911"}) == {"+5075123333"}
    assert unverified_phones(text, {"+507 512 2222", "9-1-1", "+507 512 3333"}) == set()


def test_a_local_number_matches_its_international_form_in_its_country_only() -> None:
    verified = {"+5075122222"}
    text = "Rele 512-2222 oswa 507 512-2222."
    assert unverified_phones(text, verified, country_code="507") == set()
    # Without a country we cannot tell where a local number rings: flag it.
    assert unverified_phones(text, verified) == {"5122222", "5075122222"}
    # Another country's code does not make it match.
    assert unverified_phones(text, verified, country_code="506") == {"5122222", "5075122222"}
    # "+5122222" is a number in Peru (+51), not Panama's 512-2222.
    assert unverified_phones("Rele +5122222", verified, country_code="507") == {"+5122222"}


def test_a_verified_local_number_matches_the_international_form_of_the_text() -> None:
    assert unverified_phones("Call +507 512-2222", {"512-2222"}, country_code="507") == set()


def test_highlight_escapes_everything_but_its_marks() -> None:
    html = highlight('<script>alert("x")</script> Rele 911 & www.x.org/?a=1&b=2')
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert '<mark class="fact fact-phone">911</mark> &amp; ' in html
    assert '<mark class="fact fact-url">www.x.org/?a=1&amp;b=2</mark>' in html


def test_highlight_marks_changed_facts_and_keeps_lines() -> None:
    html = highlight("Rele 911.\nOswa +507 500-6000, pou $50.", marked={"+5075006000"})
    assert str(html) == (
        'Rele <mark class="fact fact-phone">911</mark>.<br>'
        'Oswa <mark class="fact fact-phone fact-changed">+507 500-6000</mark>, '
        'pou <mark class="fact fact-amount">$50</mark>.'
    )


# --- the real texts ------------------------------------------------------------------------

CALLING = re.compile(r"\b(?:call|appel\w*|rele|llam\w*|dial|compose\w*)\b", re.IGNORECASE)


def _content_items() -> list[tuple[str, dict[str, str]]]:
    items = []
    for path in sorted(CONTENT.glob("*.yml")):
        topic = yaml.safe_load(path.read_text(encoding="utf-8"))
        for item in topic.get("items") or []:
            bodies = {lang: v.get("body") or "" for lang, v in item["variants"].items()}
            items.append((f"{path.stem}/{item.get('country')}", bodies))
    return items


def _content_phones() -> list[tuple[str, str, Fact]]:
    return [
        (where, body, fact)
        for where, bodies in _content_items()
        for body in bodies.values()
        for fact in facts_in(body)
        if fact.kind == "phone"
    ]


def test_no_year_in_content_is_taken_for_a_phone() -> None:
    phones = _content_phones()
    assert len(phones) > 100, "content/ gives many hotlines; finding few means a broken rule"
    years = [
        (where, fact.text)
        for where, body, fact in phones
        if re.fullmatch(r"\d{4}", fact.value)
        and 1900 <= int(fact.value) <= 2100
        and not CALLING.search(body[max(0, fact.start - 25) : fact.start])
    ]
    assert years == []


def test_every_bold_number_in_content_is_found_as_a_phone() -> None:
    """The house style writes hotlines in WhatsApp bold: *911*, *1-888-373-7888*."""
    missed = []
    for where, bodies in _content_items():
        for body in bodies.values():
            found = fact_values(body, "phone")
            for bold in re.findall(r"\*([\d+][\d -]{2,}\d)\*", body):
                if normalise_phone(bold) not in found:
                    missed.append((where, bold))
    assert missed == []


def test_the_languages_of_each_content_item_give_the_same_numbers() -> None:
    disagreeing = {
        where: found for where, bodies in _content_items() if (found := mismatches(bodies))
    }
    assert disagreeing == {}
