"""`GET /api/v1/reports/...` and `thbhub report` on stored data, both backends: the file is
the service's, errors are one line (JSON 4xx, exit code 1) and change nothing."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from thbhub.cli import app as cli_app
from thbhub.reports.editions import list_editions
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.app import create_app


def test_the_api_serves_the_report_files(settings: Settings, db: Database) -> None:
    client = TestClient(create_app(settings, db))
    md = client.get("/api/v1/reports/review", params={"format": "md"})
    assert md.status_code == 200
    assert md.headers["content-type"] == "text/markdown; charset=utf-8"
    assert md.headers["content-disposition"] == (
        'attachment; filename="thbhub-review-edition-1.md"'
    )
    assert md.text.startswith("# Strategic Plan 2025–2030: review")
    again = client.get("/api/v1/reports/review", params={"format": "md"})
    assert again.content == md.content
    pdf = client.get("/api/v1/reports/review", params={"format": "pdf"})
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"
    html = client.get("/api/v1/reports/topic/form:forced-begging")
    assert html.headers["content-disposition"].startswith("inline;")
    assert "<h1>Forced begging: topic brief</h1>" in html.text

    for path, status, message in (
        ("/api/v1/reports/country/ZZ", 404, "no country profile for 'ZZ'"),
        ("/api/v1/reports/topic/form:nonsense", 404, "no concept 'form:nonsense'"),
        ("/api/v1/reports/review?edition=7", 400, "edition 7: report review has editions"),
        ("/api/v1/reports/region?format=docx", 422, "format 'docx'"),
    ):
        r = client.get(path)
        assert r.status_code == status, (path, r.text)
        assert message in r.json()["error"]["message"]
    assert [e["edition"] for e in list_editions(db, "review")] == [1]


def test_the_command_writes_the_file_or_says_what_to_fix(
    settings: Settings, db: Database, tmp_path: Path, cli_env: Path
) -> None:
    runner = CliRunner()
    out = tmp_path / "review.md"
    url = settings.database_url or ""
    done = runner.invoke(cli_app, ["--db", url, "report", "review", "-f", "md", "-o", str(out)])
    assert done.exit_code == 0, done.output
    assert out.read_text().startswith("# Strategic Plan 2025–2030: review")
    for args, message in (
        (["country", "ZZ"], "error: no country profile for 'ZZ'"),
        (["region", "LV"], "error: report region takes no subject (got 'LV')"),
        (["review", "--edition", "3"], "error: edition 3: report review has editions 1 to 1"),
    ):
        bad = runner.invoke(cli_app, ["--db", url, "report", *args, "-o", str(tmp_path / "x")])
        assert bad.exit_code == 1, bad.output
        assert message in bad.output and "Traceback" not in bad.output
        assert not (tmp_path / "x").exists()
    assert [e["edition"] for e in list_editions(db, "review")] == [1]
