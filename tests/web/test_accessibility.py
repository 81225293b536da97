"""The accessibility checker of tests/a11y_support.py finds each thing it looks for (the
crawl in test_crawl.py runs it on every page each role reaches)."""

from __future__ import annotations

from a11y_support import problems


def test_the_checker_finds_what_it_looks_for() -> None:
    bad = (
        '<html><head><title> </title></head><body><input name="q"><select id="s"></select>'
        '<label for="s">S</label><button></button><a href="/x"><img src="i.png"></a>'
        '<p id="d"></p><p id="d"></p><table><tr><td>1</td></tr></table>'
        '<a href="/y" tabindex="2">y</a></body></html>'
    )
    assert problems(bad) == [
        "<html> has no lang",
        "no <title>",
        "0 <h1> elements (one expected)",
        "id 'd' used 2 times",
        "<input name='q'> has no label",
        "<button {}> has no accessible name",
        "<a {'href': '/x'}> has no accessible name",
        "<img src='i.png'> has no alt",
        "a table without header cells (table 1)",
        "<a tabindex=2> forces the tab order",
    ]
    good = (
        '<html lang="en"><head><title>T</title></head><body><h1>T</h1>'
        '<label>Q <input name="q"></label><label for="s">S</label><select id="s"></select>'
        '<button aria-label="Close"></button><a href="/x"><img src="i.png" alt="Home"></a>'
        "<table><tr><th>a</th></tr></table></body></html>"
    )
    assert problems(good) == []
