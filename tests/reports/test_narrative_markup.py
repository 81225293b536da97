"""The little Markdown of report text: escaped, with placeholders filled after escaping."""

from __future__ import annotations

from thbhub.reports.markup import render
from thbhub.reports.placeholders import parse


def _render(text: str, values: list[str]) -> tuple[str, str]:
    spans = [s for s, _ in parse(text)]
    return render(text, spans, lambda i: f"<b>{values[i]}</b>", lambda i: values[i])


def test_paragraphs_emphasis_links_and_escaping() -> None:
    html, md = _render(
        "First *line*\nsame paragraph & **more**.\n\n\n"
        "[UNODC](https://www.unodc.org/a_b*c*) [x](javascript:alert(1)) <i>no</i>",
        [],
    )
    assert html == (
        "<p>First <em>line</em> same paragraph &amp; <strong>more</strong>.</p>\n"
        '<p><a href="https://www.unodc.org/a_b*c*">UNODC</a> [x](javascript:alert(1)) '
        "&lt;i&gt;no&lt;/i&gt;</p>"
    )
    assert md == (
        "First *line* same paragraph & **more**.\n\n"
        "[UNODC](https://www.unodc.org/a_b*c*) [x](javascript:alert(1)) <i>no</i>"
    )


def test_placeholders_are_filled_in_place() -> None:
    html, md = _render("A {{ victims LV 2020 }} and *{{ rate LV 2020 }}*.", ["48", "<5"])
    assert html == "<p>A <b>48</b> and <em><b><5</b></em>.</p>"
    assert md == "A 48 and *<5*."
    # A private-use character typed into the text cannot forge a placeholder slot.
    html, _ = _render("\ue0000\ue000 {{ victims LV 2020 }}", ["48"])
    assert html == "<p>0 <b>48</b></p>"


def test_plain_text_drops_the_marks_for_the_pdf() -> None:
    from thbhub.reports.markup import plain

    md = "**Rise** in *Latvia*, see [the data](https://example.org/x) and [page](/countries/LV)."
    assert plain(md) == (
        "Rise in Latvia, see the data (https://example.org/x) and page (/countries/LV)."
    )
