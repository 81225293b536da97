"""The shared upload guard: oversized and path-traversal uploads are refused with a clear
message and nothing is stored, both by the guard and by the middleware's body limit."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, UploadFile
from fastapi.testclient import TestClient

from access_support import bearer, build_world
from thbhub.domain.errors import UserError
from thbhub.settings import Settings
from thbhub.storage import Database
from thbhub.web.access import Access, access
from thbhub.web.app import create_app
from thbhub.web.deps import SettingsDep
from thbhub.web.uploads import UnsafeFileName, UploadTooLarge, received_upload, safe_filename


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "..\\..\\windows\\system.ini",
        "/etc/passwd",
        "C:evil.csv",
        "data/../../x.csv",
        "nul\x00.csv",
        "line\nbreak.csv",
        ".bashrc",
        "",
        "..",
    ],
)
def test_unsafe_names_are_refused(name: str) -> None:
    with pytest.raises(UnsafeFileName):
        safe_filename(name)


def test_safe_names_are_kept_readable() -> None:
    assert safe_filename("Lietuva 2024 (v2).csv") == "Lietuva 2024 _v2_.csv"
    assert safe_filename("Łódź-cases.XLSX", (".xlsx",)) == "Łódź-cases.XLSX"
    with pytest.raises(UnsafeFileName, match="accepted types"):
        safe_filename("cases.exe", (".csv", ".xlsx"))


def test_long_names_keep_their_suffix_and_fit_a_file_system() -> None:
    long = "Lietuvos atvejai " * 20 + ".csv"  # 344 characters
    kept = safe_filename(long, (".csv",))
    assert kept.endswith(".csv") and kept.startswith("Lietuvos atvejai")
    assert len(kept.encode()) <= 200
    # Multi-byte letters are cut between characters, not inside one.
    wide = safe_filename("Łódź " * 80 + ".xlsx", (".xlsx",))
    assert wide.endswith(".xlsx") and len(wide.encode()) <= 200
    wide.encode().decode()


def _app_with_upload(settings: Settings, db: Database, stored: list[Any]) -> TestClient:
    router = APIRouter(prefix="/api/v1")

    @router.post("/test-upload")
    @access(Access.contributor)
    def upload(file: UploadFile, settings: SettingsDep) -> dict[str, Any]:
        with received_upload(file, settings, suffixes=(".csv",)) as saved:
            stored.append((saved.name, saved.path.read_bytes()))
            return {"name": saved.name, "size": saved.size}

    app = create_app(settings, db)
    app.include_router(router)
    return TestClient(app)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_uploads_guarded_end_to_end(
    settings: Settings, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    settings = settings.model_copy(update={"max_upload_mb": 0.01})  # about 10 kB
    world = build_world(settings, db)
    stored: list[Any] = []
    client = _app_with_upload(settings, db, stored)
    h = bearer(world, "contributor")
    url = "/api/v1/test-upload"
    r = client.post(url, headers=h, files={"file": ("cases.csv", b"a,b\n1,2\n")})
    assert r.status_code == 200 and r.json() == {"name": "cases.csv", "size": 8}
    assert stored == [("cases.csv", b"a,b\n1,2\n")]
    # Too large: refused by the middleware before the route runs (Content-Length known).
    big = b"x" * 20_000
    r = client.post(url, headers=h, files={"file": ("cases.csv", big)})
    assert r.status_code == 413
    assert "0.01 MB limit" in r.json()["error"]["message"]
    assert "nothing was stored" in r.json()["error"]["message"]
    # Path traversal in the file name: refused with a clear message.
    for name in ("../../etc/cron.d/evil.csv", "..\\boot.csv"):
        r = client.post(url, headers=h, files={"file": (name, b"a\n")})
        assert r.status_code == 422, name
        assert "contains a path" in r.json()["error"]["message"]
    r = client.post(url, headers=h, files={"file": ("cases.exe", b"MZ")})
    assert r.status_code == 422 and "accepted types" in r.json()["error"]["message"]
    assert len(stored) == 1
    assert list(tmp_path.glob("thbhub-upload-*")) == []  # nothing left on disk
    # Public callers never reach an upload route.
    assert client.post(url, files={"file": ("cases.csv", b"a\n")}).status_code == 401


def test_guard_limit_and_cleanup(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guard enforces the limit itself too (bodies without a Content-Length, or a route
    that reads the file some other way), deleting what it had written."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    tight = settings.model_copy(update={"max_upload_mb": 0.001})  # about 1 kB

    def receive(data: bytes) -> None:
        upload = UploadFile(io.BytesIO(data), filename="cases.csv")
        with received_upload(upload, tight) as saved:
            assert saved.path.read_bytes() == data

    receive(b"a" * 500)
    with pytest.raises(UploadTooLarge, match="nothing was stored"):
        receive(b"a" * 5000)
    with pytest.raises(UserError, match="empty"):
        receive(b"")
    assert list(tmp_path.glob("thbhub-upload-*")) == []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_streamed_body_over_the_limit(settings: Settings, db: Database) -> None:
    """A body sent in chunks (no Content-Length) is cut off at the limit, for a page form
    (read by the CSRF check) and for an API route alike."""
    settings = settings.model_copy(update={"max_upload_mb": 0.01})
    world = build_world(settings, db)
    stored: list[Any] = []
    client = _app_with_upload(settings, db, stored)

    def chunks() -> Any:
        for _ in range(40):
            yield b"x" * 1000

    r = client.post(
        "/login", content=chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert r.status_code == 413 and "limit" in r.text
    r = client.post(
        "/api/v1/test-upload",
        content=chunks(),
        headers={
            **bearer(world, "contributor"),
            "Content-Type": "multipart/form-data; boundary=xyz",
        },
    )
    assert r.status_code == 413 and "limit" in r.json()["error"]["message"]
    assert stored == []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "name", ["C:\\x.csv", "c:\\Users\\me\\cases.csv", "\\\\server\\share\\x.csv", "D:x.csv"]
)
def test_windows_paths_are_refused_though_the_parser_cuts_them(
    settings: Settings, db: Database, name: str
) -> None:
    """The multipart parser hands ``C:\\x.csv`` to the route as ``x.csv``; the guard reads
    the name the client sent and refuses the path, as docs/access.md says."""
    world = build_world(settings, db)
    stored: list[Any] = []
    client = _app_with_upload(settings, db, stored)
    r = client.post(
        "/api/v1/test-upload",
        headers=bearer(world, "contributor"),
        files={"file": (name, b"a,b\n1,2\n")},
    )
    assert r.status_code == 422, r.text
    assert "contains a path" in r.json()["error"]["message"]
    assert stored == []
    # A plain name, non-ASCII letters included, still passes.
    r = client.post(
        "/api/v1/test-upload",
        headers=bearer(world, "contributor"),
        files={"file": ("Łódź 2024.csv", b"a,b\n1,2\n")},
    )
    assert r.status_code == 200 and r.json()["name"] == "Łódź 2024.csv"
