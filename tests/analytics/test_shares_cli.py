"""`thbhub shares` and `thbhub compare` on the bundled GLOTIP extract stored in SQLite and
PostgreSQL, checked against the file's own cells (read with the csv module)."""

from __future__ import annotations

import csv
import io

import pytest

from shares_support import (
    ISO2,
    VICTIMS,
    by_key,
    key,
    load_bundled,
    run,
    run_json,
    source_rows,
    value,
)

DIMENSION_OF = {"sex": "Sex", "age": "Age"}


def _kind(r: dict[str, str]) -> str | None:
    """Which share table a victims row of the file belongs to (None: not a share part)."""
    if r["Indicator"] != VICTIMS:
        return None
    if r["Dimension"] == "by citizenship" and r["Sex"] == r["Age"] == "Total":
        return "citizenship"
    if r["Dimension"] == "by form of exploitation" and r["Sex"] == r["Age"] == "Total":
        return "form"
    if r["Dimension"] == "Total" and r["Age"] == "Total" and r["Sex"] != "Total":
        return "sex"
    if r["Dimension"] == "Total" and r["Sex"] == "Total" and r["Age"] != "Total":
        return "age"
    return None


def test_every_share_is_a_source_cell_and_no_suppressed_cell_is_zero(db_url: str) -> None:
    load_bundled(db_url)
    rows = source_rows()
    at = {int(r["_row"]): r for r in rows}
    keyed = by_key()
    totals = {
        (ISO2[r["Iso3_code"]], int(r["Year"])): value(r["txtVALUE"])
        for r in rows
        if r["Indicator"] == VICTIMS and r["Dimension"] == "Total"
        and r["Sex"] == r["Age"] == "Total"
    }  # fmt: skip
    seen: set[tuple[str, ...]] = set()
    suppressed = 0
    for country in ISO2.values():
        report = run_json("--db", db_url, "shares", "-c", country, "--from", "2003", "--to", "2021")
        for table in report["tables"]:
            total = totals.get((country, table["year"]))
            assert table["reported_total"] == total or total is None
            for s in table["shares"]:
                if s["share_low"] is not None:  # the interval holds the share's range
                    assert 0 <= s["ci_low"] <= s["share_low"] <= s["share_high"]
                    assert s["share_high"] <= s["ci_high"] <= 100
                if s["category"] == "unallocated":
                    continue
                cells = keyed[key(at[s["row"]])]
                assert _kind(cells[0]) == table["by"], (table["by"], cells[0])
                assert (ISO2[cells[0]["Iso3_code"]], int(cells[0]["Year"])) == (
                    country, table["year"],
                )  # fmt: skip
                seen.add(key(cells[0]))
                numbers = [value(c["txtVALUE"]) for c in cells]
                if None in numbers:
                    suppressed += 1
                    # Suppressed: a range, never 0 nor a midpoint; no single share.
                    assert s["status"] == "suppressed" and s["count"] is None
                    # (a key the file repeats is the sum of its cells: bounds add up)
                    known = sum(n for n in numbers if n is not None)
                    assert s["share"] is None and s["lower"] == known
                    assert s["upper"] == known + 4.0 * numbers.count(None)
                    if s["share_low"] is None:  # the denominator may be 0: no share
                        assert table["denominator_low"] == 0 and s["ci_low"] is None
                        continue
                    assert s["share_low"] <= s["share_high"]
                    if s["share_low"] == s["share_high"]:
                        # Pinned by the published total (it equals the other parts): said.
                        assert any(f"{s['label']} at most" in n for n in table["notes"])
                    continue
                assert s["count"] == sum(n for n in numbers if n is not None)
                if table["denominator"] == "reported total":
                    assert s["share"] == round(100 * s["count"] / total, 2)
    expected = {key(r) for r in rows if _kind(r) and r["Iso3_code"] in ISO2}
    assert seen == expected, len(expected - seen)
    assert suppressed > 300  # about half of the file's cells are `<5`


def test_latvia_2019_by_hand(db_url: str) -> None:
    """The cells of Latvia 2019 in the file: total 39; female 16, male 23; forced labour 28,
    sexual exploitation 7, other `<5`; citizenship India `<5`, Nationals 15, Tajikistan 15,
    Uzbekistan 8 (the parts 38-42 above the total 39: India is at most 1)."""
    load_bundled(db_url)
    report = run_json("--db", db_url, "shares", "-c", "LV", "--year", "2019")
    tables = {t["by"]: t for t in report["tables"]}
    sex = {s["label"]: s for s in tables["sex"]["shares"]}
    assert (
        tables["sex"]["denominator"] == "reported total" and tables["sex"]["reported_total"] == 39
    )
    assert sex["Female"]["share"] == 41.03 and (
        sex["Female"]["ci_low"],
        sex["Female"]["ci_high"],
    ) == (27.08, 56.58)
    form = {s["category"]: s for s in tables["form"]["shares"]}
    assert form["form:labour-exploitation"]["count"] == 28
    assert form["unallocated"]["lower"] == 0 and form["unallocated"]["upper"] == 4
    cit = {s["label"]: s for s in tables["citizenship"]["shares"]}
    assert (cit["India"]["share_low"], cit["India"]["share_high"]) == (0.0, 2.56)
    assert (tables["citizenship"]["parts_low"], tables["citizenship"]["parts_high"]) == (38, 42)
    assert any("India at most 1" in n for n in tables["citizenship"]["notes"])


def test_csv_table_goodman_and_comparison(db_url: str) -> None:
    load_bundled(db_url)
    code, out, err = run(
        "--db", db_url, "shares", "-c", "LV,LT", "--year", "2019", "--by", "sex", "-f", "csv"
    )
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["country"] for r in rows} == {"LV", "LT"}
    assert "note: [definition]" in err  # two countries compared: comparability notes
    wilson = run_json("--db", db_url, "shares", "-c", "LV", "--year", "2019", "--by", "sex")
    goodman = run_json(
        "--db", db_url, "shares", "-c", "LV", "--year", "2019", "--by", "sex", "--method", "goodman"
    )
    w, g = wilson["tables"][0]["shares"][0], goodman["tables"][0]["shares"][0]
    assert w["share"] == g["share"] and g["ci_low"] < w["ci_low"] and g["ci_high"] > w["ci_high"]
    code, out, _ = run("--db", db_url, "shares", "-c", "LV", "--year", "2019", "--by", "age")
    assert code == 0 and "│ LV " in out
    region = run_json("--db", db_url, "shares", "--by", "citizenship", "--year", "2020")
    (table,) = region["tables"]
    assert table["country"] == "CBSS" and "IS" not in table["countries"]


def test_compare_names_what_differs(db_url: str) -> None:
    load_bundled(db_url)
    notes = run_json("--db", db_url, "compare", "--countries", "LV,IS", "--by", "citizenship")
    kinds = {n["kind"] for n in notes}
    assert {"definition", "suppression", "reporting_channel", "coverage"} <= kinds
    text = " ".join(n["text"] for n in notes)
    assert "No breakdown by citizenship stored for IS" in text
    assert all(n["attribution"] for n in notes)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("shares", "--by", "colour"), "--by 'colour': one of sex, age, form, citizenship"),
        (("shares", "--method", "bayes"), "--method 'bayes'"),
        (("shares", "--year", "1700"), "--year 1700"),
        (("shares", "--year", "2019", "--from", "2010"), "not both"),
        (("shares", "-c", "XX"), "unknown country 'XX'"),
        (("flows", "--year", "3000"), "--year 3000"),
        (("flows", "-c", "XX"), "unknown country 'XX'"),
        (("compare", "--countries", "LV"), "at least two countries"),
        (("compare", "--countries", "LV,LT", "--by", "colour"), "--by 'colour'"),
    ],
)
def test_bad_options_are_one_line(db_url: str, args: tuple[str, ...], message: str) -> None:
    code, out, err = run("--db", db_url, *args)
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err, err
