"""What a report is made of, whatever it is rendered to: sections of paragraphs, tables and
figures.  The context builders fill it from the services; the renderers only lay it out, so
HTML, Markdown and PDF always carry the same numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from thbhub.reports.narrative import NarrativeBlock

#: How a table shows what a cell is (Eurostat's letters, which the statistics' readers know).
SYMBOLS: tuple[tuple[str, str], ...] = (
    (":", "not available (missing)"),
    (
        "c",
        "suppressed: by the publisher (the range it hides follows), or by the hub's "
        "disclosure gate for counts from case records",
    ),
    ("z", "not applicable"),
    ("e", "estimated"),
    ("p", "provisional"),
    ("b", "break in series"),
)


@dataclass(frozen=True)
class Cell:
    text: str
    #: number | suppressed | missing | estimated | not_applicable | text
    kind: str = "text"

    @property
    def numeric(self) -> bool:
        return self.kind != "text"


@dataclass
class Table:
    caption: str
    columns: list[str]
    rows: list[list[Cell]]
    source: str
    #: the first column names the row (a header cell with scope="row")
    row_headers: bool = True


@dataclass
class Figure:
    spec: dict[str, Any]
    #: one sentence derived from the data: what the chart shows
    alt: str
    caption: str
    source: str


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Items:
    items: list[str]


Block = Paragraph | Items | Table | Figure


@dataclass
class Section:
    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    narrative: list[NarrativeBlock] = field(default_factory=list)

    def add(self, *blocks: Block) -> Section:
        self.blocks.extend(blocks)
        return self


@dataclass(frozen=True)
class Edition:
    """Which data the report was made from: the stored edition of this report key."""

    number: int
    data_version: int
    made_on: str  # YYYY-MM-DD (UTC), when the edition was first made
    made_at: str  # ISO timestamp (UTC, seconds)


@dataclass
class Report:
    key: str  # country:LV, region, topic:<concept id>, review
    title: str
    subtitle: str
    sections: list[Section]
    edition: Edition
    #: every source a figure or table of the report names
    sources: list[str] = field(default_factory=list)
    #: the disclosure policy's note, for the colophon
    policy_note: str = ""
    language: str = "en"

    @property
    def kind(self) -> str:
        return self.key.split(":", 1)[0]

    def section(self, section_id: str) -> Section:
        for s in self.sections:
            if s.id == section_id:
                return s
        raise KeyError(section_id)
