"""Cell parsing and combining: the meaning of every published cell (no database)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from thbhub.domain.observations import (
    Cell,
    Status,
    combine,
    parse_eurostat_cell,
    parse_number,
    parse_unodc_value,
)


@pytest.mark.parametrize(
    ("text", "status", "value", "lower", "upper"),
    [
        ("<5", Status.suppressed, None, 0, 4),
        ("1,282", Status.number, 1282, 1282, 1282),
        ("12", Status.number, 12, 12, 12),
        ("0", Status.zero, 0, 0, 0),
        ("", Status.missing, None, None, None),
        (None, Status.missing, None, None, None),
    ],
)
def test_unodc_values(text: str | None, status: Status, value, lower, upper) -> None:  # type: ignore[no-untyped-def]
    cell = parse_unodc_value(text)
    assert cell is not None
    assert (cell.status, cell.value, cell.lower, cell.upper) == (status, value, lower, upper)


def test_unodc_suppressed_lower_bound_is_configurable() -> None:
    cell = parse_unodc_value("<5", suppressed_lower=1)
    assert cell is not None and (cell.lower, cell.upper) == (1, 4)


@pytest.mark.parametrize("text", ["n/a", "12a", "1,28", "five", "<x"])
def test_unodc_rejects_text(text: str) -> None:
    assert parse_unodc_value(text) is None


@pytest.mark.parametrize(
    ("text", "status", "value", "flags"),
    [
        ("83137 ", Status.number, 83137, ()),
        ("78115 b", Status.number, 78115, ("break",)),
        ("2895947 e", Status.number, 2895947, ("estimated",)),
        ("12 bep", Status.number, 12, ("break", "estimated", "provisional")),
        (": ", Status.missing, None, ()),
        (":", Status.missing, None, ()),
        (": c", Status.suppressed, None, ("confidential",)),
        (": z", Status.not_applicable, None, ()),
        ("0 p", Status.zero, 0, ("provisional",)),
        ("45e", Status.number, 45, ("estimated",)),
    ],
)
def test_eurostat_cells(text: str, status: Status, value, flags) -> None:  # type: ignore[no-untyped-def]
    parsed = parse_eurostat_cell(text)
    assert parsed is not None
    cell, got = parsed
    assert cell.status is status and cell.value == value
    assert sorted(got) == sorted(flags)


@pytest.mark.parametrize("text", ["12 x", "abc", "1 2 3q"])
def test_eurostat_rejects_unknown_flags(text: str) -> None:
    assert parse_eurostat_cell(text) is None


def test_combine_numbers_and_suppressed() -> None:
    parts = [Cell.of_number(20), parse_unodc_value("<5"), Cell.of_number(5)]
    total = combine([p for p in parts if p is not None])
    assert total.status is Status.suppressed and total.value is None
    assert (total.lower, total.upper) == (25, 29)
    assert combine([Cell.of_number(3), Cell.of_number(4)]) == Cell.of_number(7)
    missing = combine([Cell.of_number(3), Cell(Status.missing)])
    assert missing.status is Status.missing and missing.lower == 3 and missing.upper is None


@given(
    st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=8), st.integers(0, 5)
)
def test_combine_bounds_contain_every_possible_sum(numbers: list[int], hidden: int) -> None:
    cells = [Cell.of_number(n) for n in numbers] + [Cell(Status.suppressed, None, 0, 4)] * hidden
    total = combine(cells)
    assert total.lower == sum(numbers)
    assert total.upper == sum(numbers) + 4 * hidden
    assert (total.status is Status.suppressed) == (hidden > 0)


@given(st.integers(min_value=0, max_value=10**9))
def test_thousands_separators_round_trip(n: int) -> None:
    assert parse_number(f"{n:,}") == n
