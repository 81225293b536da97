"""The owner's /cases page: filters offer the values the records have, with labels and
counts; choosing one (or clicking an aggregate) narrows the list."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from access_support import browser_client, build_world, page_csrf
from case_support import ctdc_row, member, write_csv, write_ctdc
from thbhub.cases import service
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.app import create_app


def _record_ids(html: str) -> list[str]:
    body = html.split('<h2 id="list">', 1)[1]
    return re.findall(r"<tr><td>(\d+)</td>", body)


def test_filters_list_the_organisations_values(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    world = build_world(settings, db)
    alpha = world.orgs["alpha"]
    rows = [
        ctdc_row(X="1", citizenship="VN", meansOfControlDebtBondage="1"),
        ctdc_row(X="2", citizenship="UA"),
        ctdc_row(X="3", citizenship="UA", CountryOfExploitation="DK"),
    ]
    service.import_cases(db, settings, member(alpha), write_ctdc(tmp_path / "c.csv", rows), alpha)
    client = browser_client(create_app(settings, db), world, "contributor")

    page = client.get("/cases").text
    assert len(_record_ids(page)) == 3
    citizenship = page.split('<select name="citizenship">', 1)[1].split("</select>", 1)[0]
    assert re.search(r'value="country:UA"\s*>Ukraine \(2\)', citizenship)
    assert re.search(r'value="country:VN"\s*>Viet', citizenship)
    assert 'href="/cases?citizenship=country%3AVN#list"' in page  # the aggregate links

    narrowed = client.get("/cases", params={"citizenship": "country:UA"}).text
    assert len(_record_ids(narrowed)) == 2
    assert re.search(r'value="country:UA" selected', narrowed)
    assert 'href="/cases#list">Clear</a>' in narrowed
    assert 'href="/cases#list">Clear</a>' not in page
    both = client.get("/cases", params={"citizenship": "country:UA", "country": "country:DK"})
    assert len(_record_ids(both.text)) == 1
    by_means = client.get("/cases", params={"means": "means:debt-bondage"}).text
    assert len(_record_ids(by_means)) == 1
    assert client.get("/cases", params={"means": "not a concept"}).status_code == 422


def test_quarantine_fixed_and_uploaded_again_on_the_web(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    world = build_world(settings, db)
    alpha = world.orgs["alpha"]
    rows = [ctdc_row(X="1"), ctdc_row(X="2", yearOfRegistration="20155")]
    path = write_ctdc(tmp_path / "q.csv", rows)
    service.import_cases(db, settings, member(alpha), path, alpha, quarantine=True)
    client = browser_client(create_app(settings, db), world, "contributor")
    assert 'href="/api/v1/cases/quarantine?format=csv"' in client.get("/cases").text

    download = client.get("/api/v1/cases/quarantine", params={"format": "csv"})
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    fix = list(csv.DictReader(io.StringIO(download.text)))
    assert len(fix) == 1 and "yearOfRegistration" in fix[0]["thb_Problems"]
    fix[0]["yearOfRegistration"] = "2015"
    fixed = write_csv(tmp_path / "fixed.csv", list(fix[0]), fix)

    with fixed.open("rb") as fh:
        r = client.post(
            "/cases/upload",
            data={"csrf_token": page_csrf(client)},
            files={"file": ("fixed.csv", fh, "text/csv")},
        )
    assert r.status_code == 200 and "1 of 1 rows stored" in r.text
    assert client.get("/api/v1/cases/quarantine").json() == []
    assert len(client.get("/api/v1/cases").json()) == 2
