"""k-anonymous microdata: every released quasi-identifier combination occurs k times."""

from __future__ import annotations

import random

import polars as pl
import pytest

from thbhub.domain.errors import UserError
from thbhub.privacy.hierarchies import hierarchy
from thbhub.privacy.kanon import k_anonymise

QI = ["year", "sex", "age", "citizenship", "country"]


def records(n: int, seed: int = 7) -> pl.DataFrame:
    rnd = random.Random(seed)
    return pl.DataFrame(
        {
            "year": [str(rnd.choice(range(2010, 2018))) for _ in range(n)],
            "sex": [rnd.choice(["Female", "Male"]) for _ in range(n)],
            "age": [
                rnd.choice(["9--17", "18--20", "21--23", "30--38", "48+", "Unknown"])
                for _ in range(n)
            ],
            "citizenship": [rnd.choice(["PL", "LT", "UA", "VN", "NG"]) for _ in range(n)],
            "country": [rnd.choice(["PL", "LT", "DK", "SE"]) for _ in range(n)],
            "form": [rnd.choice(["sexual", "labour"]) for _ in range(n)],
        }
    )


@pytest.mark.parametrize("k", [3, 11])
def test_released_microdata_is_k_anonymous_and_reports_losses(k: int) -> None:
    data = records(400)
    result = k_anonymise(data, QI, k, max_suppression=0.05)
    sizes = result.frame.group_by(QI).len()["len"]
    assert sizes.min() >= k  # type: ignore[operator]
    assert result.records_lost == data.height - result.frame.height
    assert result.records_lost <= 0.05 * data.height
    assert result.frame["form"].to_list()  # non-QI columns are kept as they are
    assert set(result.frame.columns) == set(data.columns)


def test_generalises_only_as_far_as_needed() -> None:
    data = pl.concat([records(300)] * 1)
    loose = k_anonymise(data, QI, 2, max_suppression=0.5)
    strict = k_anonymise(data, QI, 20, max_suppression=0.0)
    assert sum(loose.levels.values()) <= sum(strict.levels.values())
    assert strict.records_lost == 0


def test_hierarchies_generalise_countries_and_ages() -> None:
    country = hierarchy("country")
    assert country[1]("PL") == "Eastern Europe"
    assert country[2]("PL") == "Europe"
    assert country[2]("Unknown") == "Unknown"
    assert country[3]("PL") == "*"
    age = hierarchy("age")
    assert age[1]("21--23") == "18-29"
    assert age[2]("9--17") == "minor"
    assert hierarchy("year")[1]("2017") == "2016-2017"


def test_unknown_quasi_identifier_is_a_user_error() -> None:
    with pytest.raises(UserError, match="quasi-identifier"):
        k_anonymise(records(10), ["shoe_size"], 5)
