"""Releases in source layouts, and case records as the privacy package sees them."""

from __future__ import annotations

import polars as pl
import pytest

from thbhub.domain.errors import UserError
from thbhub.privacy.cases import release_frame
from thbhub.privacy.formats import in_layout


def case_frame_like() -> pl.DataFrame:
    """The shape of thbhub.cases.service.case_frame (docs/cases.md)."""
    return pl.DataFrame(
        {
            "record_id": [1, 2],
            "year": [2016, None],
            "sex": ["sex:female", "sex:male"],
            "age": ["age:18-20", None],
            "citizenship": ["country:UA", "country:VN"],
            "country": ["country:PL", "country:PL"],
            "forms": [["form:sexual-exploitation", "form:forced-begging"], []],
            "identification": ["identified", "presumed"],
            "form_sexual_exploitation": [True, False],
            "form_labour_exploitation": [False, True],
            "form_forced_criminality": [False, False],
            "form_other": [True, False],
        },
        schema_overrides={"year": pl.Int64},
    )


def test_release_frame_is_categorical_text() -> None:
    frame = release_frame(case_frame_like())
    assert "record_id" not in frame.columns and "forms" not in frame.columns
    assert all(dtype == pl.Utf8 for dtype in frame.schema.values())
    assert frame["form_sexual_exploitation"].to_list() == ["yes", "no"]
    assert frame["year"].to_list() == ["2016", None]


def test_ctdc_layout_matches_the_source_columns() -> None:
    out = in_layout(release_frame(case_frame_like()), "ctdc")
    assert out.columns[:6] == [
        "yearOfRegistration",
        "Datasource",
        "gender",
        "ageBroad",
        "citizenship",
        "CountryOfExploitation",
    ]
    row = out.row(0, named=True)
    assert row["gender"] == "Female" and row["ageBroad"] == "18--20"
    assert row["citizenship"] == "UA" and row["Datasource"] == "Case Management"
    assert (row["isSexualExploit"], row["isForcedLabour"], row["isOtherExploit"]) == ("1", "0", "1")
    assert out.row(1, named=True)["ageBroad"] is None  # missing stays empty, as in CTDC files


def test_htcds_layout_and_unknown_format() -> None:
    out = in_layout(release_frame(case_frame_like()), "htcds")
    # the fields and values the HTCDS export writes (not an event's hte_Date, not an age
    # band in the number-of-years field, not CTDC's "Female")
    assert out.columns[:6] == [
        "thb_YearOfRegistration",
        "prs_Gender",
        "thb_AgeBand",
        "prs_Citizenship",
        "vic_LocationOfExploitation",
        "vic_TraffickingStatus",
    ]
    assert out.row(0)[:6] == (
        "2016",
        "Feminine",
        "18--20",
        "UA",
        "PL",
        "ActualVictimOfTrafficking",
    )
    assert out.row(1)[1] == "Masculine" and out.row(1)[5] == "PossibleVictimOfTrafficking"
    with pytest.raises(UserError, match="format"):
        in_layout(release_frame(case_frame_like()), "xlsx")


def test_the_oldest_band_is_written_as_ctdc_writes_it() -> None:
    """age:48-plus was written "48-plus" (only n-m bands were respelled): CTDC writes 48+."""
    frame = release_frame(case_frame_like()).with_columns(age=pl.Series(["age:48-plus", "age:0-8"]))
    assert in_layout(frame, "ctdc")["ageBroad"].to_list() == ["48+", "0--8"]
