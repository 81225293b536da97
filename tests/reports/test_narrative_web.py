"""The report-text API and editing page on the sample database: who may write, CSRF, the
preview, refused placeholders as clean 4xx, stale markers after new statistics."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from a11y_support import problems
from access_support import PASSWORD, csrf_of, login
from narrative_support import *  # noqa: F403
from narrative_support import Hub
from thbhub.access import auth, users
from thbhub.ingest.registry import get_importer
from thbhub.web.app import create_app


def _people(hub: Hub) -> dict[str, dict[str, str]]:
    op = users.operator()
    made = {}
    for who, org, role in (
        ("writer", "CBSS Secretariat", "analyst"),
        ("other", "Second Secretariat", "analyst"),
        ("agency", "Alpha Agency", "contributor"),
    ):
        email = f"{who}@example.org"
        users.add_user(hub.db, op, email, org, role, PASSWORD)
        token = auth.create_token(hub.db, op, email, days=5, scopes=("read", "write"), name=who)
        made[who] = {"email": email, "Authorization": f"Bearer {token['token']}"}
    return made


def _auth(person: dict[str, str]) -> dict[str, str]:
    return {"Authorization": person["Authorization"]}


def test_api_access_and_errors(hub: Hub) -> None:
    people = _people(hub)
    client = TestClient(create_app(hub.settings, hub.db))
    body = {"report": "country:LV", "section": "victims", "text": "{{ victims LV 2020 }} victims."}
    assert client.post("/api/v1/report-texts", json=body).status_code == 401
    assert (
        client.post("/api/v1/report-texts", json=body, headers=_auth(people["agency"])).status_code
        == 403
    )
    made = client.post("/api/v1/report-texts", json=body, headers=_auth(people["writer"]))
    assert made.status_code == 200, made.text
    text_id = made.json()["id"]
    # A draft: the public and the other secretariat do not see it.
    assert client.get("/api/v1/report-texts").json() == []
    assert client.get(f"/api/v1/report-texts/{text_id}").status_code == 404
    assert (
        client.get(f"/api/v1/report-texts/{text_id}", headers=_auth(people["other"])).status_code
        == 404
    )
    mine = client.get("/api/v1/report-texts", headers=_auth(people["writer"])).json()
    assert [(b["id"], b["state"], b["markdown"]) for b in mine] == [
        (text_id, "draft", "48 victims.")
    ]
    published = client.post(
        f"/api/v1/report-texts/{text_id}/publish",
        json={"version": 1},
        headers=_auth(people["writer"]),
    )
    assert published.json()["state"] == "published"
    (seen,) = client.get("/api/v1/report-texts", params={"report": "country:LV"}).json()
    assert seen["html"].startswith(
        '<p><span class="figure status-ok" title="unodc-glotip 2023-05-30">48</span>'
    )
    # Another organisation may not change it; an old version number is refused.
    change = {"text": "Changed {{ victims LV 2019 }}.", "version": 2}
    assert (
        client.put(
            f"/api/v1/report-texts/{text_id}", json=change, headers=_auth(people["other"])
        ).status_code
        == 403
    )
    stale = client.put(
        f"/api/v1/report-texts/{text_id}",
        json={**change, "version": 1},
        headers=_auth(people["writer"]),
    )
    assert stale.status_code == 400 and "changed since it was read" in stale.text
    bad = client.put(
        f"/api/v1/report-texts/{text_id}",
        json={"text": "x {{ victims LV 2020 sex:nobody }}"},
        headers=_auth(people["writer"]),
    )
    assert bad.status_code == 400
    assert "line 1, column 3" in bad.text and "unknown sex" in bad.text
    assert client.get(f"/api/v1/report-texts/{text_id}/history").status_code == 403
    assert seen["author"] is None  # the public does not get the writer's e-mail
    history = client.get(
        f"/api/v1/report-texts/{text_id}/history", headers=_auth(people["writer"])
    ).json()
    assert [v["action"] for v in history] == ["create", "publish"]
    preview = client.post(
        "/api/v1/report-texts/preview",
        json={"text": "**{{ convictions LV 2019 }}**"},
        headers=_auth(people["writer"]),
    ).json()
    assert preview["figures"][0]["key"] == "convictions LV 2019"
    assert preview["html"].startswith('<p><strong><span class="figure')


def test_the_editing_page(hub: Hub, tmp_path: Path) -> None:
    people = _people(hub)
    app = create_app(hub.settings, hub.db)
    anonymous = TestClient(app)
    assert anonymous.get("/reports/texts", follow_redirects=False).status_code == 303
    agency = TestClient(app)
    assert login(agency, people["agency"]["email"]).status_code == 303
    assert agency.get("/reports/texts").status_code == 403

    client = TestClient(app)
    assert login(client, people["writer"]["email"]).status_code == 303
    page = client.get("/reports/texts")
    assert page.status_code == 200
    form = {
        "report": "country:LV",
        "section": "headline",
        "text": "Victims: {{ victims LV 2020 }}.",
    }
    # Without the session's CSRF token nothing is saved.
    assert client.post("/reports/texts", data=form, follow_redirects=False).status_code == 403
    token = csrf_of(page.text)
    preview = client.post("/reports/texts", data={**form, "csrf_token": token, "preview": "1"})
    assert preview.status_code == 200 and "Preview (not saved)" in preview.text
    assert ">48</span>" in preview.text and "No texts here yet." in preview.text
    refused = client.post(
        "/reports/texts", data={**form, "text": "{{ victims LV }}", "csrf_token": token}
    )
    assert refused.status_code == 400
    assert (
        "Not saved: text: line 1, column 1: {{ victims LV }}: victims needs a country code"
        in refused.text
    )
    saved = client.post(
        "/reports/texts",
        data={**form, "csrf_token": token, "publish": "true"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    shown = client.get(saved.headers["location"]).text
    assert "saved as published" in shown and 'Victims: <span class="figure status-ok"' in shown
    assert "changed:" not in shown
    # New statistics: the page marks the figure that changed.
    source = (
        Path(__file__).resolve().parents[2] / "src/thbhub/ingest/sample_data/unodc_glotip_bsr.csv"
    )
    row = "Detected trafficking victims,Total,Total,Total,Total,2020,Counts,"
    text = source.read_text(encoding="utf-8").replace(
        "Latvia,Europe,Northern Europe," + row + "48,",
        "Latvia,Europe,Northern Europe," + row + "47,",
    )
    newer = tmp_path / "glotip.csv"
    newer.write_text(text, encoding="utf-8")
    get_importer("glotip").run(hub.db, hub.settings, newer)
    shown = client.get("/reports/texts?report=country:LV").text
    assert "<strong>changed:</strong> LV 2020 victims was 48 when written, now 47" in shown
    assert problems(shown) == []  # labels, names, unique ids, table headers
    assert problems(preview.text) == [] and problems(refused.text) == []
