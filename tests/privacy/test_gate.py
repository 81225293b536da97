"""The gate: no count below k ever leaves it, and suppressed cells cannot be recovered."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support_privacy import feasible_range, published_cells
from thbhub.domain.errors import UserError
from thbhub.privacy.gate import SUPPRESSED, GateContext, GatedTable, release_table
from thbhub.privacy.policy import DisclosurePolicy

DIMS = {"sex": ["F", "M"], "age": ["0-17", "18-29", "30+"], "country": ["DK", "LT", "PL"]}


def frame(rows: list[tuple[str, str, str]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=list(DIMS), orient="row")


records = st.lists(st.tuples(*(st.sampled_from(v) for v in DIMS.values())), max_size=70)


@st.composite
def queries(draw: st.DrawFn) -> tuple[list[str], dict[str, str]]:
    dims = draw(st.permutations(list(DIMS)))
    n_by = draw(st.integers(0, 3))
    by = dims[:n_by]
    rest = dims[n_by:]
    n_where = draw(st.integers(0, len(rest)))
    where = {d: draw(st.sampled_from(DIMS[d])) for d in rest[:n_where]}
    return by, where


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=records,
    query=queries(),
    k=st.integers(2, 6),
    base=st.sampled_from([None, 3, 5]),
)
def test_no_gated_output_carries_a_count_below_k(
    rows: list[tuple[str, str, str]],
    query: tuple[list[str], dict[str, str]],
    k: int,
    base: int | None,
) -> None:
    by, where = query
    data = frame(rows)
    where = {d: v for d, v in where.items() if v in set(data[d].to_list())}
    table = release_table(data, by, DisclosurePolicy(threshold=k, rounding_base=base), where=where)
    for cell in [*table.cells, *(c for cs in table.margins.values() for c in cs)]:
        if cell.status == SUPPRESSED:
            assert cell.count is None
        else:
            assert cell.count is not None
            assert cell.count == 0 or cell.count >= k, (cell, k)


def test_gated_table_cannot_be_forged() -> None:
    with pytest.raises(TypeError):
        GatedTable((), (), (), {}, DisclosurePolicy(), True)


def test_too_many_dimensions_refused() -> None:
    data = frame([("F", "0-17", "PL")] * 10)
    with pytest.raises(UserError, match="at most 2"):
        release_table(
            data, ["sex", "age"], DisclosurePolicy(max_table_dims=2), where={"country": "PL"}
        )


# -- differencing ---------------------------------------------------------------------------


def _base_rows() -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    counts = {
        ("F", "0-17"): 1,  # the person to protect
        ("F", "18-29"): 14,
        ("F", "30+"): 9,
        ("M", "0-17"): 7,
        ("M", "18-29"): 12,
        ("M", "30+"): 20,
    }
    countries = ["DK", "LT", "PL"]
    i = 0
    for (sex, age), n in counts.items():
        for _ in range(n):
            rows.append((sex, age, countries[i % 3]))
            i += 1
    return rows


def _width(tables: list[GatedTable], target: dict[str, str]) -> float:
    # The attacker knows the policy: published counts are within its noise bound.
    lo, hi = feasible_range(DIMS, published_cells(tables), target, tables[0].policy)
    return hi - lo


def test_totals_minus_published_cells_cannot_recover_a_suppressed_cell() -> None:
    data = frame(_base_rows())
    policy = DisclosurePolicy(threshold=5)
    table = release_table(data, ["sex", "age"], policy)
    assert next(c for c in table.cells if c.key == ("F", "0-17")).status == SUPPRESSED
    assert _width([table], {"sex": "F", "age": "0-17"}) >= policy.threshold


def test_primary_suppression_alone_would_leak() -> None:
    """The differencing check can fail: without secondary suppression (and without noise)
    the cell is exact."""
    data = frame(_base_rows())
    table = release_table(data, ["sex", "age"], DisclosurePolicy(threshold=5))
    naive = [
        (
            {"sex": c.key[0], "age": c.key[1]},
            int(data.filter((pl.col("sex") == c.key[0]) & (pl.col("age") == c.key[1])).height),
        )
        for c in table.cells
        if c.key != ("F", "0-17")
    ]
    naive += [({"sex": "F"}, 24), ({}, data.height)]
    lo, hi = feasible_range(DIMS, naive, {"sex": "F", "age": "0-17"})
    assert hi - lo == pytest.approx(0.0)


def test_by_sex_and_by_sex_age_published_separately() -> None:
    data = frame(_base_rows())
    policy = DisclosurePolicy(threshold=5)
    ctx = GateContext("cases:test")
    tables = [
        release_table(data, ["sex"], policy, ctx),
        release_table(data, ["age"], policy, ctx),
        release_table(data, ["sex", "age"], policy, ctx),
        release_table(data, [], policy, ctx),
    ]
    assert _width(tables, {"sex": "F", "age": "0-17"}) >= policy.threshold


def test_filtered_minus_filtered_cannot_recover_a_suppressed_cell() -> None:
    data = frame(_base_rows())
    policy = DisclosurePolicy(threshold=5)
    ctx = GateContext("cases:test")
    tables = [
        release_table(data, ["sex"], policy, ctx, where={"country": c}) for c in DIMS["country"]
    ] + [
        release_table(data, ["age"], policy, ctx, where={"sex": "F"}),
        release_table(data, ["age"], policy, ctx, where={"sex": "M"}),
        release_table(data, ["country"], policy, ctx, where={"sex": "F", "age": "18-29"}),
        release_table(data, ["sex", "age"], policy, ctx),
        release_table(data, ["sex", "country"], policy, ctx),
        release_table(data, ["age", "country"], policy, ctx),
    ]
    small = data.filter((pl.col("sex") == "F") & (pl.col("age") == "0-17")).row(0)
    target = dict(zip(DIMS, small, strict=True))
    assert _width(tables, target) >= policy.threshold
    assert _width(tables, {"sex": "F", "age": "0-17"}) >= policy.threshold


@settings(max_examples=15, deadline=None)
@given(
    rows=st.lists(st.tuples(*(st.sampled_from(v) for v in DIMS.values())), min_size=5, max_size=60)
)
def test_every_suppressed_cell_in_random_data_keeps_a_wide_interval(
    rows: list[tuple[str, str, str]],
) -> None:
    data = frame(rows)
    policy = DisclosurePolicy(threshold=4)
    ctx = GateContext("cases:random")
    cats = {d: sorted(set(data[d].to_list())) for d in DIMS}
    tables = [release_table(data, list(DIMS)[:2], policy, ctx)]
    tables.append(release_table(data, ["country"], policy, ctx, where={"sex": cats["sex"][0]}))
    tables.append(release_table(data, ["sex", "country"], policy, ctx))
    tables.append(release_table(data, ["age", "country"], policy, ctx))
    for table in tables:
        where = dict(table.where)
        for row in table.rows():
            coords = {**where, **{d: row[d] for d in table.by}}
            true = (
                data.filter(pl.all_horizontal([pl.col(d) == v for d, v in coords.items()])).height
                if coords
                else data.height
            )
            if row["status"] == SUPPRESSED and 0 < true < policy.threshold:
                lo, hi = feasible_range(cats, published_cells(tables), coords, policy)
                assert hi - lo >= policy.threshold, (coords, lo, hi)
