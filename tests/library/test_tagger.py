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
]


@pytest.mark.parametrize(("lang", "sentence", "concept"), STATED)
def test_a_stated_form_is_tagged(lang: str, sentence: str, concept: str) -> None:
    assert concept in _ids(sentence), (lang, sentence)


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
