"""Another organisation's user sees nothing of an organisation's records, through any
service, API route or page of the case-records area."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from case_support import HTCDS_HEADER, ctdc_row, htcds_rows, make_org, member, write_csv, write_ctdc
from thbhub.access import auth, users
from thbhub.cases import exports, service
from thbhub.cases.publication import move_import
from thbhub.domain.errors import NotFoundError, PermissionDenied
from thbhub.domain.principals import Principal, Role
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.storage.schema import organisations
from thbhub.web.access import route_table
from thbhub.web.app import create_app

CASE_ROUTES = {
    ("GET", "/api/v1/cases"),
    ("GET", "/api/v1/cases/summary"),
    ("GET", "/api/v1/cases/quarantine"),
    ("GET", "/api/v1/cases/export"),
    ("POST", "/api/v1/cases/import"),
    ("GET", "/api/v1/cases/imports"),
    ("POST", "/cases/imports/{import_id}/state"),
    ("GET", "/cases"),
    ("GET", "/cases/upload"),
    ("POST", "/cases/upload"),
}


@pytest.fixture
def world(db: Database, settings: Settings, tmp_path: Path) -> dict[str, int]:
    a, b = make_org(db, "Owner A"), make_org(db, "Other B")
    service.import_cases(
        db,
        settings,
        member(a),
        write_ctdc(
            tmp_path / "a.csv",
            [
                ctdc_row(citizenship="VN", CountryOfExploitation="DK"),
                ctdc_row(X="2", yearOfRegistration="1667367"),
            ],
        ),
        a,
        quarantine=True,
    )
    service.import_cases(
        db, settings, member(a), write_csv(tmp_path / "a2.csv", HTCDS_HEADER, htcds_rows()), a
    )
    return {"a": a, "b": b}


def test_services_refuse_other_organisations(
    db: Database, settings: Settings, world: dict[str, int], tmp_path: Path
) -> None:
    a = world["a"]
    for who in (
        member(world["b"]),
        member(world["b"], Role.analyst),
        member(a, Role.admin),
        Principal(role=Role.public),
    ):
        for call in (
            lambda w: service.list_cases(db, w, a),
            lambda w: service.summary(db, w, a, ["year"]),
            lambda w: service.case_frame(db, w, a),
            lambda w: service.quarantine(db, w, a),
            lambda w: service.imports(db, w, a),
            lambda w: exports.export_cases(db, w, a, "htcds", tmp_path / "x.csv"),
            lambda w: service.import_cases(db, settings, w, tmp_path / "a.csv", a),
        ):
            with pytest.raises(PermissionDenied):
                call(who)
        for imported in service.imports(db, member(a), a):
            # A draft import is not even there for them (ids reveal nothing).
            with pytest.raises(NotFoundError):
                move_import(db, who, imported["id"], "submitted")
    assert not (tmp_path / "x.csv").exists()
    assert len(service.list_cases(db, member(a), a)) == 4  # the owner does see them
    assert {i["state"] for i in service.imports(db, member(a), a)} == {"draft"}


class AsMember(TestClient):
    """Sends requests as a real user with a real API token of the organisation and role named
    in the test headers ``x-test-org`` / ``x-test-role`` (users created on first use)."""

    def __init__(self, app: Any, db: Database) -> None:
        super().__init__(app)
        self._db = db
        self._tokens: dict[tuple[int, str], str] = {}

    def _token(self, org_id: int, role: str) -> str:
        if (org_id, role) not in self._tokens:
            op = users.operator()
            if role == "admin":  # admins belong to the secretariat, whatever org is named
                name = "Secretariat"
                users.add_organisation(self._db, op, name, "SE", "secretariat")
            else:
                with self._db.connect() as conn:
                    name = conn.execute(
                        select(organisations.c.name).where(organisations.c.id == org_id)
                    ).scalar_one()
            email = f"{role}-{org_id}@example.org"
            users.add_user(self._db, op, email, name, role, "correct horse battery")
            row = auth.create_token(self._db, op, email, days=1, scopes=("read", "write"))
            self._tokens[(org_id, role)] = row["token"]
        return self._tokens[(org_id, role)]

    def request(self, method: str, url: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        headers = dict(kwargs.pop("headers", None) or {})
        org = headers.pop("x-test-org", None)
        role = headers.pop("x-test-role", "contributor")
        if org is not None:
            headers["Authorization"] = f"Bearer {self._token(int(org), role)}"
        return super().request(method, url, headers=headers, **kwargs)


@pytest.fixture
def client(settings: Settings, db: Database) -> Iterator[TestClient]:
    with AsMember(create_app(settings, db), db) as c:
        yield c


def test_every_case_route_is_covered(client: TestClient) -> None:
    declared = {(m, p) for m, p, _ in route_table(client.app)}  # type: ignore[arg-type]
    assert {r for r in declared if "/cases" in r[1]} == CASE_ROUTES


def test_no_route_shows_another_organisations_records(
    client: TestClient, world: dict[str, int]
) -> None:
    a, b = world["a"], world["b"]
    owner = {"x-test-org": str(a)}
    seen = client.get("/api/v1/cases", headers=owner).json()
    assert len(seen) == 4 and any(r["citizenship"] == "country:VN" for r in seen)
    assert "Vietnam" in client.get("/cases", headers=owner).text  # the page shows labels
    for role in ("contributor", "analyst", "admin"):
        other = {"x-test-org": str(b), "x-test-role": role}
        refused = {
            "error": {
                "status": 403,
                "message": (
                    "administrators do not read case records; the contributors and analysts "
                    "of the organisation that holds them do"
                )
                if role == "admin"
                else "you may not read this organisation's case records",
            }
        }
        assert client.get("/api/v1/cases", headers=other).json() in ([], refused)
        for path in (
            "/api/v1/cases",
            "/api/v1/cases/summary",
            "/api/v1/cases/quarantine",
            "/api/v1/cases/export",
            "/api/v1/cases/imports",
        ):
            response = client.get(path, params={"org": a}, headers=other)
            assert response.status_code == 403, (path, role)
            assert "VN" not in response.text
        for path in ("/api/v1/cases/summary?by=citizenship", "/cases", "/api/v1/cases/export"):
            response = client.get(path, headers=other)
            for marker in ("VN", "Vietnam", "Qwerty"):
                assert marker not in response.text
    for path in ("/api/v1/cases", "/api/v1/cases/summary"):
        assert client.get(path).status_code == 401  # anonymous
        assert client.get(path, params={"org": a}).status_code == 401
    # An anonymous visitor of the page is sent to log in, and shown nothing of the records.
    page = client.get("/cases", params={"org": a}, follow_redirects=False)
    assert page.status_code in (303, 307) and "/login" in page.headers["location"]
    assert "Vietnam" not in client.get("/cases", params={"org": a}).text
    # Nor may another organisation's users move the owner's imports (bearer: no CSRF).
    imports = client.get("/api/v1/cases/imports", headers=owner).json()
    for role in ("contributor", "analyst", "admin"):
        other = {"x-test-org": str(b), "x-test-role": role}
        for imported in imports:
            moved = client.post(
                f"/cases/imports/{imported['id']}/state", data={"to": "withdrawn"}, headers=other
            )
            assert moved.status_code == (404 if role == "contributor" else 403), role
            assert imported["file_name"] not in moved.text
    states = {i["state"] for i in client.get("/api/v1/cases/imports", headers=owner).json()}
    assert states == {"draft"}
    response = client.post(
        "/api/v1/cases/import",
        headers={"x-test-org": str(b)},
        files={"file": ("x.csv", b"yearOfRegistration\n2015\n")},
    )
    assert response.status_code in (400, 422)
    assert len(client.get("/api/v1/cases", headers=owner).json()) == 4


def test_upload_page_reports_and_stores(
    client: TestClient, world: dict[str, int], tmp_path: Path
) -> None:
    b = {"x-test-org": str(world["b"])}
    assert "Upload case records" in client.get("/cases/upload", headers=b).text
    bad = write_ctdc(tmp_path / "b.csv", [ctdc_row(), ctdc_row(X="2", gender="Robot")])
    response = client.post(
        "/cases/upload", headers=b, files={"file": ("b.csv", bad.read_bytes(), "text/csv")}
    )
    assert response.status_code == 422
    assert "Rejected" in response.text and "Robot" in response.text and "gender" in response.text
    assert client.get("/api/v1/cases", headers=b).json() == []
    response = client.post(
        "/cases/upload",
        headers=b,
        data={"quarantine": "true"},
        files={"file": ("b.csv", bad.read_bytes(), "text/csv")},
    )
    assert response.status_code == 200 and "1 of 2 rows stored" in response.text
    assert len(client.get("/api/v1/cases", headers=b).json()) == 1
    summary = client.get("/api/v1/cases/summary", params={"by": "year,sex"}, headers=b).json()
    assert summary == [{"year": 2015, "sex": "sex:female", "count": 1}]
    export = client.get("/api/v1/cases/export", params={"format": "ctdc"}, headers=b)
    assert export.status_code == 200 and export.text.startswith("X,yearOfRegistration")


def test_api_import_and_upload_limit(
    client: TestClient,
    world: dict[str, int],
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    b = {"x-test-org": str(world["b"])}
    good = write_ctdc(tmp_path / "g.csv", [ctdc_row(), ctdc_row(X="2", gender="Robot")])
    response = client.post(
        "/api/v1/cases/import", headers=b, files={"file": ("g.csv", good.read_bytes())}
    )
    assert response.status_code == 422
    problems = response.json()["error"]["problems"]
    assert [(p["row"], p["column"], p["value"]) for p in problems] == [(3, "gender", "Robot")]
    response = client.post(
        "/api/v1/cases/import",
        headers=b,
        data={"quarantine": "true"},
        files={"file": ("../../etc/g.csv", good.read_bytes())},
    )
    assert response.status_code == 422 and "path" in response.json()["error"]["message"]
    assert client.get("/api/v1/cases", headers=b).json() == []
    response = client.post(
        "/api/v1/cases/import",
        headers=b,
        data={"quarantine": "true"},
        files={"file": ("g.csv", good.read_bytes())},
    )
    body = response.json()
    assert response.status_code == 200 and body["file"] == "g.csv"
    assert (body["rows_stored"], body["rows_quarantined"]) == (1, 1)
    tiny = settings.model_copy(update={"max_upload_mb": 0.00001})
    monkeypatch.setattr(client.app.state, "settings", tiny)
    response = client.post(
        "/api/v1/cases/import", headers=b, files={"file": ("g.csv", good.read_bytes())}
    )
    assert response.status_code == 413 and "limit" in response.json()["error"]["message"]
    response = client.post("/api/v1/cases/import", headers=b, files={"file": ("g.exe", b"MZ")})
    assert response.status_code in (413, 422)
