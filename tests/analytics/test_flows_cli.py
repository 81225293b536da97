"""`thbhub flows` on the bundled GLOTIP extract stored in SQLite and PostgreSQL: every
citizenship cell of the file is one flow with the file's value, a `<5` cell a suppressed flow
(never 0), Nationals a domestic flow; the Sankey form matches the table."""

from __future__ import annotations

import csv
import io
from collections import defaultdict

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


def _citizenship_rows() -> dict[int, list[dict[str, str]]]:
    out: dict[int, list[dict[str, str]]] = defaultdict(list)
    for r in source_rows():
        if (
            r["Indicator"] == VICTIMS
            and r["Dimension"] == "by citizenship"
            and r["Sex"] == r["Age"] == "Total"
            and r["Iso3_code"] in ISO2
        ):
            out[int(r["Year"])].append(r)
    return out


def test_every_citizenship_cell_is_a_flow(db_url: str) -> None:
    load_bundled(db_url)
    keyed = by_key()
    at = {int(r["_row"]): r for r in source_rows()}
    per_year = _citizenship_rows()
    suppressed = 0
    for year, rows in sorted(per_year.items()):
        result = run_json("--db", db_url, "flows", "--year", str(year))
        flows = result["flows"]
        assert len(flows) == len({key(r) for r in rows}), year
        assert [f["rank"] for f in flows] == list(range(1, len(flows) + 1))
        for f in flows:
            row = at[int(f["cells"][0].rsplit(" row ", 1)[1])]
            cells = keyed[key(row)]
            assert ISO2[row["Iso3_code"]] == f["destination"] and int(row["Year"]) == year
            # Nationals, or the country's own name (Germany lists "Germany"): domestic.
            assert f["domestic"] == (f["origin"] == f"country:{f['destination']}")
            if row["Category"] == "Nationals":
                assert f["domestic"]
            numbers = [value(c["txtVALUE"]) for c in cells]
            if None in numbers:
                suppressed += 1
                assert f["status"] == "suppressed" and f["count"] is None
                assert f["upper"] == sum(n or 0 for n in numbers) + 4 * numbers.count(None)
                assert "suppressed" in f["shown"] and f["shown"] != "0"
            else:
                assert f["count"] == sum(numbers) and f["status"] == "number"  # type: ignore[arg-type]
        # Ranked: known counts by size, suppressed ones by their lower bound.
        lows = [f["lower"] for f in flows]
        assert lows == sorted(lows, reverse=True)
        sankey = result["sankey"]
        assert len(sankey["links"]) == len(flows)
        for f, link in zip(flows, sankey["links"], strict=True):
            assert link["value"] == f["count"] and link["status"] == f["status"]
            assert sankey["nodes"][link["source"]]["side"] == "origin"
            assert sankey["nodes"][link["target"]]["id"] == f"country:{f['destination']}"
    assert suppressed > 100


def test_latvia_flows_by_hand_and_a_range_of_years(db_url: str) -> None:
    """Latvia 2019 in the file: Nationals 15, Tajikistan 15, Uzbekistan 8, India `<5`;
    2020: India 7, Nationals 17, Tajikistan 18, Uzbekistan 6.  Over 2019-2020 India is
    7 to 11 (a suppressed year makes the sum a range)."""
    load_bundled(db_url)
    code, out, err = run("--db", db_url, "flows", "-c", "LV", "--year", "2019", "-f", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["origin_label"], r["count"]) for r in rows] == [
        ("Latvia", "15.0"), ("Tajikistan", "15.0"), ("Uzbekistan", "8.0"), ("India", ""),
    ]  # fmt: skip
    assert rows[3]["status"] == "suppressed" and rows[3]["shown"] == "fewer than 5 (suppressed)"
    both = run_json("--db", db_url, "flows", "-c", "LV", "--from", "2019", "--to", "2020")
    india = next(f for f in both["flows"] if f["origin"] == "country:IN")
    assert (india["lower"], india["upper"], india["status"]) == (7, 11, "suppressed")
    assert india["years"] == [2019, 2020]
    tj = next(f for f in both["flows"] if f["origin"] == "country:TJ")
    assert tj["count"] == 33
    # Two detecting countries: comparability notes come with the flows.
    two = run_json("--db", db_url, "flows", "-c", "LV,LT", "--year", "2020")
    assert any(n["kind"] == "definition" for n in two["comparability"])


def test_origins_grouped_by_region_keep_every_cell(db_url: str) -> None:
    """By region of citizenship, each detecting country's flows add up to the same bounds as
    by citizenship, and each cell is in exactly one flow; Latvia 2019 by hand: Asia is
    Tajikistan 15 + Uzbekistan 8 + India `<5` = 23 to 27, Latvians stay domestic."""
    load_bundled(db_url)
    plain = run_json("--db", db_url, "flows", "--year", "2020")["flows"]
    grouped = run_json("--db", db_url, "flows", "--year", "2020", "--origin", "region")["flows"]
    assert len(grouped) < len(plain)
    for dest in {f["destination"] for f in plain}:
        for bound in ("lower", "upper"):
            a = sum(f[bound] for f in plain if f["destination"] == dest)
            b = sum(f[bound] for f in grouped if f["destination"] == dest)
            assert a == b, (dest, bound)
    assert sorted(c for f in plain for c in f["cells"]) == sorted(
        c for f in grouped for c in f["cells"]
    )
    lv = run_json("--db", db_url, "flows", "-c", "LV", "--year", "2019", "--origin", "region")
    shown = [(f["origin_label"], f["lower"], f["upper"], f["status"]) for f in lv["flows"]]
    assert shown == [("Asia", 23, 27, "suppressed"), ("Latvia", 15, 15, "number")]
    code, _, err = run("--db", db_url, "flows", "--origin", "planet")
    assert (
        code == 1
        and err.strip() == "error: --origin 'planet': one of citizenship, subregion, region"
    )
