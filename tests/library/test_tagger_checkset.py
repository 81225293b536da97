"""The tagger against Factbook texts labelled by reading them (tests/library/data/): the tuning
set (43 texts, 43 countries), whose misses were used to write library/phrasings.py, and a
held-out set (19 texts of 19 other countries), labelled before the tagger was run on it and
run once after the tuning.  docs/library.md reports the figures; these guards fail if a change
makes the tagger worse."""

from __future__ import annotations

from pathlib import Path

from thbhub.library.evaluate import evaluate, load

DATA = Path(__file__).parent / "data"


def test_held_out_forms_reach_the_target() -> None:
    result = evaluate(load(DATA / "factbook_heldout.jsonl"))
    # Measured 0.989 (the target: 0.85); before the list items 0.646.
    assert result["macro_f1"] >= 0.85
    for form, scores in result["per_form"].items():
        if scores["tp"] + scores["fp"]:
            assert scores["precision"] >= 0.9, form


def test_tuning_set() -> None:
    assert evaluate(load(DATA / "factbook_tuning.jsonl"))["macro_f1"] >= 0.95


def test_the_split_is_clean() -> None:
    # No country, and no text, is in both sets: near-identical yearly texts of one country
    # would leak the tuning into the held-out figure.
    tuning = load(DATA / "factbook_tuning.jsonl")
    held = load(DATA / "factbook_heldout.jsonl")
    assert {r["country"] for r in tuning}.isdisjoint({r["country"] for r in held})
    assert {r["line"] for r in tuning}.isdisjoint({r["line"] for r in held})
    assert (len(tuning), len(held)) == (43, 19)


def test_a_form_found_only_in_a_hedge_is_a_miss_not_a_hit() -> None:
    records = [
        {"text": "Girls may be subjected to forced begging.", "forms": []},
        {"text": "Boys are subjected to forced begging.", "forms": ["form:forced-begging"]},
    ]
    scores = evaluate(records)["per_form"]["form:forced-begging"]
    assert (scores["tp"], scores["fp"], scores["fn"]) == (1, 0, 0)
