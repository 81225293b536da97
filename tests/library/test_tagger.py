"""The tagger on real sentences in the region's languages: a stated form is evidence, a hedged
or negated one is not (no database)."""

from __future__ import annotations

import pytest

from thbhub.library.tagger import tag


def _ids(sentence: str) -> set[str]:
    return {t.concept_id for t in tag([(1, sentence)])}


STATED = [
    (
        "en",
        "Men from Ukraine were subjected to forced labour in construction.",
        "form:labour-exploitation",
    ),
    (
        "en",
        "Women are reportedly subjected to sex trafficking in hotels.",
        "form:sexual-exploitation",
    ),
    (
        "en",
        "Thai men are forced to work as fishermen; forced labor is common.",
        "form:labour-exploitation",
    ),
    (
        "pl",
        "Kobiety z Ukrainy są ofiarami pracy przymusowej w rolnictwie.",
        "form:labour-exploitation",
    ),
    ("sv", "Kvinnor utsätts för tvångsarbete i restauranger.", "form:labour-exploitation"),
    ("de", "Frauen werden in Deutschland zur Zwangsarbeit gezwungen.", "form:labour-exploitation"),
    ("fi", "Uhrit joutuivat pakkotyöhön maataloudessa.", "form:labour-exploitation"),
    (
        "de",
        "Die Opfer wurden zur Bettelei gezwungen und sexuelle Ausbeutung wurde festgestellt.",
        "form:sexual-exploitation",
    ),
]

NOT_EVIDENCE = [
    ("en", "Women may be at risk of sex trafficking.", "form:sexual-exploitation"),
    ("en", "Migrants are vulnerable to forced labour in agriculture.", "form:labour-exploitation"),
    ("en", "No cases of forced labour were identified in 2020.", "form:labour-exploitation"),
    (
        "en",
        "The government did not identify any victims of sex trafficking.",
        "form:sexual-exploitation",
    ),
    ("pl", "Dzieci mogą być narażone na pracę przymusową.", "form:labour-exploitation"),
    ("pl", "Nie stwierdzono pracy przymusowej.", "form:labour-exploitation"),
    ("sv", "Det finns inga tecken på tvångsarbete.", "form:labour-exploitation"),
    ("sv", "Ensamkommande barn riskerar tvångsarbete.", "form:labour-exploitation"),
    ("de", "Zwangsarbeit wurde nicht festgestellt.", "form:labour-exploitation"),
    ("de", "Saisonarbeiter könnten von Zwangsarbeit betroffen sein.", "form:labour-exploitation"),
    ("fi", "Pakkotyötä ei havaittu.", "form:labour-exploitation"),
    # A list item is a form only after a coercion word, and not when that word is hedged.
    ("en", "Many migrants work in domestic service and construction.", "form:domestic-servitude"),
    ("en", "Children may be forced into street vending and begging.", "form:forced-begging"),
    ("en", "Traffickers were not found to force boys into theft.", "form:forced-criminality"),
    ("pl", "Dzieci mogą być zmuszane do żebrania.", "form:forced-begging"),
    ("sv", "Barnen riskerar att tvingas tigga.", "form:forced-begging"),
    ("en", "The marriage of the two ministers was reported.", "form:forced-marriage"),
]

#: Phrasings and list items (library/phrasings.py) in the region's languages.
STATED_PHRASINGS = [
    ("en", "Children are forced to work in cattle herding and begging.", "form:forced-begging"),
    ("en", "Girls are exploited in agriculture and domestic service.", "form:domestic-servitude"),
    ("en", "Gangs force street children to serve as thieves.", "form:forced-criminality"),
    ("en", "Girls are sold by their parents for marriage.", "form:forced-marriage"),
    ("en", "Armed forces used children in combat.", "form:child-soldiering"),
    ("en", "Migrants are subjected to sex or labor trafficking.", "form:labour-exploitation"),
    ("en", "Migrants are subjected to sex or labor trafficking.", "form:sexual-exploitation"),
    ("pl", "Dzieci są zmuszane do żebrania na ulicach.", "form:forced-begging"),
    ("pl", "Kobiety były wykorzystywane do pracy domowej.", "form:domestic-servitude"),
    ("sv", "Barnen tvingas tigga och begå stölder.", "form:forced-begging"),
    ("sv", "Barnen tvingas tigga och begå stölder.", "form:forced-criminality"),
    ("de", "Die Mädchen wurden in eine Zwangsehe verkauft.", "form:forced-marriage"),
    ("fi", "Lapset pakotettiin kerjäämään.", "form:forced-begging"),
    ("lv", "Bērni tika piespiesti ubagot.", "form:forced-begging"),
    ("lt", "Vaikai buvo priversti elgetauti.", "form:forced-begging"),
]


@pytest.mark.parametrize(("lang", "sentence", "concept"), STATED)
def test_a_stated_form_is_tagged(lang: str, sentence: str, concept: str) -> None:
    assert concept in _ids(sentence), (lang, sentence)


@pytest.mark.parametrize(("lang", "sentence", "concept"), STATED_PHRASINGS)
def test_a_phrasing_or_listed_form_is_tagged(lang: str, sentence: str, concept: str) -> None:
    assert concept in _ids(sentence), (lang, sentence)


def test_men_is_a_noun_in_english_not_a_clause_break() -> None:
    # "men" is Swedish for "but": it must not cut an English clause before its list.
    found = _ids("Women deceive Pakistani men into arranged marriages.")
    assert "form:forced-marriage" in found


@pytest.mark.parametrize(("lang", "sentence", "concept"), NOT_EVIDENCE)
def test_a_hedged_or_negated_form_is_not(lang: str, sentence: str, concept: str) -> None:
    assert concept not in _ids(sentence), (lang, sentence)


def test_a_hedged_group_is_still_a_group_but_the_form_is_not() -> None:
    found = _ids("Children may be at risk of forced labour.")
    assert "group:children" in found and "form:labour-exploitation" not in found


def test_evidence_is_the_sentence_and_page_that_state_it() -> None:
    tags = {
        t.concept_id: t
        for t in tag(
            [
                (1, "Women may be at risk of sex trafficking."),
                (4, "In 2024 the police found sex trafficking in two hotels. Other text."),
            ]
        )
    }
    found = tags["form:sexual-exploitation"]
    assert (found.page, found.mentions) == (4, 1)
    assert found.evidence == "In 2024 the police found sex trafficking in two hotels."
