"""The published capture tables bundled with the hub (DATA_SOURCES.md): the page shows
their estimates beside the published ones."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from thbhub.domain.errors import NotFoundError
from thbhub.estimation.table import CaptureTable, read_table


@dataclass(frozen=True)
class SampleTable:
    file: str
    title: str
    source: str
    published: str  # the published result, as the paper states it


TABLES: dict[str, SampleTable] = {
    t.file: t
    for t in (
        SampleTable(
            "NewOrl.csv",
            "Victims of trafficking identified by 8 agencies, New Orleans",
            "Bales, Murphy & Silverman (2020); R package SparseMSE 2.0.1",
            "stepwise 1,184 (BCa 717–1,657); main effects 997 (644–1,618); "
            "Chan, Silverman & Vincent 2021, Sec. 4.1",
        ),
        SampleTable(
            "NewOrl_5.csv",
            "The same, four small lists merged (5 lists)",
            "R package SparseMSE 2.0.1",
            "stepwise 1,034 (BCa 589–1,703); Chan, Silverman & Vincent 2021",
        ),
        SampleTable(
            "Korea.csv",
            "Korean women held in sexual slavery by the Japanese military",
            "Ball, Shin & Yang (2018), HRDAG; R package MultipleSystemsEstimation 1.2.0",
            "stepwise 268.78; MultipleSystemsEstimation vignette",
        ),
        SampleTable(
            "Kosovo.csv",
            "Killings in Kosovo, 1999, recorded by four projects",
            "R package modslavmse (= LCMCR's kosovo_aggregate)",
            "all-model BIC with bootstrap 6,900–18,000; Silverman, Chan & Vincent 2024",
        ),
        SampleTable(
            "Artificial_3.csv",
            "An artificial example with two lists that never overlap",
            "Chan, Silverman & Vincent (2021), Table 2; R package SparseMSE 2.0.1",
            "an example of the existence and identifiability checks (no estimate published)",
        ),
    )
}


def table_path(name: str) -> Path:
    if name not in TABLES:
        raise NotFoundError(f"no bundled table {name!r}; tables: {', '.join(TABLES)}")
    return Path(str(resources.files("thbhub.estimation") / "tables" / name))


def sample_table(name: str) -> CaptureTable:
    return read_table(table_path(name))
