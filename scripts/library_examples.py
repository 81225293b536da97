"""Write the library's example PDF, DOCX and HTML (src/thbhub/library/sample_data/examples/)
from real CIA World Factbook texts (public domain), one country each, one snapshot a page, with
the attribution on every file.  Run once by a developer; the files are committed and `make run`
imports them (library/sample.py).  The PDF is printed by Debian's Chromium.

    .venv/bin/python scripts/library_examples.py
"""

from __future__ import annotations

import html
import json
import subprocess
import tempfile
from pathlib import Path

import docx

from thbhub.library.sample import sample_path

OUT = Path(__file__).resolve().parent.parent / "src/thbhub/library/sample_data/examples"
ATTRIBUTION = (
    "Source: CIA World Factbook, 'Trafficking in persons' field, snapshots {dates} "
    "(public domain). Compiled as an example document for THB Hub."
)


def _snapshots(country: str) -> list[tuple[str, str]]:
    out = []
    for line in sample_path().read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["country"] == country and record.get("current_situation_text"):
            out.append((record["snapshot_date"], html.unescape(record["current_situation_text"])))
    return out


def write_pdf(country: str, path: Path) -> None:
    pages = _snapshots(country)
    dates = ", ".join(d for d, _ in pages)
    body = "".join(
        f"<section><h2>{html.escape(country)}: the situation as of {d}</h2>"
        f"<p>{html.escape(t)}</p><p class='src'>{html.escape(ATTRIBUTION.format(dates=d))}</p>"
        "</section>"
        for d, t in pages
    )
    document = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(country)}: trafficking in persons, {dates}</title>"
        "<style>section{page-break-after:always}body{font-family:serif;font-size:12pt}"
        ".src{font-size:9pt;color:#444}</style></head>"
        f"<body><h1>{html.escape(country)}: trafficking in persons</h1>{body}</body></html>"
    )
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "doc.html"
        source.write_text(document, encoding="utf-8")
        subprocess.run(
            [
                "/usr/bin/chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-pdf-header-footer",
                f"--print-to-pdf={path}",
                source.as_uri(),
            ],
            check=True,
            capture_output=True,
        )


def write_docx(country: str, path: Path) -> None:
    pages = _snapshots(country)
    dates = ", ".join(d for d, _ in pages)
    document = docx.Document()
    document.core_properties.title = f"{country}: trafficking in persons, {dates}"
    document.add_heading(f"{country}: trafficking in persons", level=1)
    for d, t in pages:
        document.add_heading(f"The situation as of {d}", level=2)
        document.add_paragraph(t)
    document.add_paragraph(ATTRIBUTION.format(dates=dates))
    document.save(str(path))


def write_html(country: str, path: Path) -> None:
    pages = _snapshots(country)
    dates = ", ".join(d for d, _ in pages)
    body = "".join(f"<h2>The situation as of {d}</h2><p>{html.escape(t)}</p>" for d, t in pages)
    path.write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(country)}: trafficking in persons</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/countries'>Countries</a></nav>"
        f"<main><article><h1>{html.escape(country)}: trafficking in persons</h1>{body}"
        f"<p>{html.escape(ATTRIBUTION.format(dates=dates))}</p></article></main>"
        "<footer>Example page for THB Hub.</footer></body></html>",
        encoding="utf-8",
    )


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    write_pdf("Burma", OUT / "burma-trafficking-in-persons.pdf")
    write_docx("Cambodia", OUT / "cambodia-trafficking-in-persons.docx")
    write_html("Sri Lanka", OUT / "sri-lanka-trafficking-in-persons.html")
    for path in sorted(OUT.iterdir()):
        print(path.name, path.stat().st_size)


if __name__ == "__main__":
    main()
