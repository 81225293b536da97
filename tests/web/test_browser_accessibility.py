"""In headless Chromium, where styles are computed: text contrast meets WCAG 2.1 AA, and the
keyboard focus is visible from the first Tab (the skip link) on, on the main pages of each
role (the HTML itself is checked on every page by test_accessibility.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from access_support import PASSWORD, build_world
from thbhub.hub import init_hub
from thbhub.settings import Settings
from thbhub.storage import Database
from web_browser_support import browser_page, serve

pytestmark = pytest.mark.browser

# Every element with its own visible text: its colour against the first opaque background
# behind it (alpha composited over white), and whether it counts as large text (WCAG: 24px,
# or 18.66px bold), which needs 3:1 instead of 4.5:1.
_CONTRAST_JS = """
() => {
  const parse = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const ch = [r, g, b].map((v) => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2];
  };
  const over = (top, under) => {
    const a = top.length > 3 ? top[3] : 1;
    return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a));
  };
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.length > 3 && c[3] === 0) continue;
      layers.push(c);
      if (c.length === 3 || c[3] === 1) break;
    }
    return layers.reverse().reduce((under, top) => over(top, under), [255, 255, 255]);
  };
  const failures = [];
  for (const el of document.body.querySelectorAll("*")) {
    const own = [...el.childNodes].filter((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own.length) continue;
    const rect = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (!rect.width || !rect.height || style.visibility === "hidden" || style.opacity === "0")
      continue;
    if (rect.right < 0 || rect.bottom < 0) continue;  // moved off screen (the skip link)
    const fg = over(parse(style.color), background(el));
    const bg = background(el);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && parseInt(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5))
      failures.push(`${el.tagName.toLowerCase()} "${own[0].textContent.trim().slice(0, 40)}"`
        + ` ${style.color} on rgb(${bg.map(Math.round)}) = ${ratio.toFixed(2)}:1`);
  }
  return failures;
}
"""

# The focused element shows an outline or a shadow that it does not have unfocused.
_FOCUS_JS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  const outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0;
  const rect = el.getBoundingClientRect();
  return {tag: el.tagName.toLowerCase(), text: (el.innerText || el.name || "").slice(0, 30),
          visible: outline || s.boxShadow !== "none",
          onscreen: rect.width > 0 && rect.bottom > 0 && rect.right > 0};
}
"""

_PAGES = {
    "public": [
        "/",
        "/topics",
        "/explore",
        "/countries",
        "/statistics/case-records",
        "/privacy",
        "/login",
    ],
    "contributor": ["/cases", "/cases/upload", "/account", "/agreements"],
    "admin": ["/admin", "/admin/audit"],
}


def _log_in(page: Any, url: str, email: str) -> None:
    page.goto(url + "/login?next=/account")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/account")


def _focus_path(page: Any, stops: int) -> list[dict[str, Any]]:
    seen = []  # from a freshly loaded page, whose first Tab starts at the document's top
    for _ in range(stops):
        page.keyboard.press("Tab")
        state = page.evaluate(_FOCUS_JS)
        if state is not None:
            seen.append(state)
    return seen


def test_the_checks_fail_on_what_they_look_for(tmp_path: Path) -> None:
    with browser_page(tmp_path) as page:
        page.set_content(
            '<body style="background:#fff"><p style="color:#999">pale grey on white</p>'
            '<p style="color:#595959">dark grey on white</p>'
            '<div style="background:rgba(0,0,0,.8)"><h2 style="color:#999;font-size:30px">'
            "large grey on near black</h2></div>"
            '<a href="#a" style="outline:none">no ring</a><a href="#b">ring</a></body>'
        )
        low = page.evaluate(_CONTRAST_JS)
        assert len(low) == 1 and low[0].startswith('p "pale grey on white" rgb(153, 153, 153)')
        stops = _focus_path(page, 2)
        assert [(s["text"], s["visible"]) for s in stops] == [("no ring", False), ("ring", True)]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_contrast_and_visible_focus(settings: Settings, db: Database, tmp_path: Path) -> None:
    init_hub(db, settings, sample=True)
    world = build_world(settings, db)
    failures: dict[str, Any] = {}
    with serve(settings, db) as url:
        for who, paths in _PAGES.items():
            with browser_page(tmp_path / who) as page:
                if who != "public":
                    _log_in(page, url, world.emails[who])
                for path in paths:
                    page.goto(url + path)
                    page.wait_for_load_state("networkidle")
                    if low := page.evaluate(_CONTRAST_JS):
                        failures[f"{who} {path} contrast"] = low
                    path_stops = _focus_path(page, 12)
                    assert path_stops, f"{who} {path}: Tab focuses nothing"
                    first = path_stops[0]
                    if first["text"] != "Skip to content" or not first["onscreen"]:
                        failures[f"{who} {path} first Tab"] = first
                    hidden = [s for s in path_stops if not s["visible"]]
                    if hidden:
                        failures[f"{who} {path} focus not shown"] = hidden
    assert not failures, "\n".join(f"{k}: {v}" for k, v in failures.items())
