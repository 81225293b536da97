"""The tagger against Factbook texts labelled by reading them (tests/library/data/): the
development set, whose phrasings were used to write library/phrasings.py, and a held-out set
of other countries, labelled before the tagger was run on it.  docs/library.md reports the
figures; these guards fail if a change makes the tagger worse."""

from __future__ import annotations

from pathlib import Path

from thbhub.library.evaluate import evaluate, load

DATA = Path(__file__).parent / "data"


def test_held_out_forms_are_found_with_full_precision() -> None:
    result = evaluate(load(DATA / "factbook_heldout.jsonl"))
    # Measured 0.653 (target of the issue: 0.85, not met; see docs/library.md).
    assert result["macro_f1"] >= 0.6
    for form, scores in result["per_form"].items():
        if scores["tp"] + scores["fp"]:
            assert scores["precision"] >= 0.9, form


def test_development_set() -> None:
    assert evaluate(load(DATA / "factbook_dev.jsonl"))["macro_f1"] >= 0.8


def test_a_form_found_only_in_a_hedge_is_a_miss_not_a_hit() -> None:
    records = [
        {"text": "Girls may be subjected to forced begging.", "forms": []},
        {"text": "Boys are subjected to forced begging.", "forms": ["form:forced-begging"]},
    ]
    scores = evaluate(records)["per_form"]["form:forced-begging"]
    assert (scores["tp"], scores["fp"], scores["fn"]) == (1, 0, 0)
