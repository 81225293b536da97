"""Settings come from arguments, then THBHUB_ variables, then defaults; the key is kept."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from thbhub.domain.errors import UserError
from thbhub.settings import build_settings, ensure_secret_key


def test_environment_and_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("THBHUB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("THBHUB_PORT", "8123")
    monkeypatch.setenv("THBHUB_DISCLOSURE_THRESHOLD", "11")
    s = build_settings()
    assert s.port == 8123 and s.disclosure_threshold == 11
    assert s.resolved_database_url == f"sqlite:///{tmp_path / 'thbhub.db'}"
    s2 = build_settings(port=9000, database_url="postgresql+psycopg://u@h/db", host=None)
    assert s2.port == 9000 and s2.host == "127.0.0.1"
    assert s2.resolved_database_url == "postgresql+psycopg://u@h/db"


def test_threshold_must_be_at_least_two(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THBHUB_DISCLOSURE_THRESHOLD", "1")
    with pytest.raises(UserError) as err:
        build_settings()
    assert str(err.value) == (
        "setting THBHUB_DISCLOSURE_THRESHOLD='1' is not valid: expected a number of at least 2"
    )


def test_secret_key_generated_once_and_private(tmp_path: Path) -> None:
    s = ensure_secret_key(build_settings(data_dir=tmp_path))
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    again = ensure_secret_key(build_settings(data_dir=tmp_path))
    assert s.secret() == again.secret() and len(s.secret()) >= 40
    other = ensure_secret_key(build_settings(data_dir=tmp_path / "other"))
    assert other.secret() != s.secret()


def test_configured_secret_wins(tmp_path: Path) -> None:
    s = ensure_secret_key(build_settings(data_dir=tmp_path, secret_key="configured"))
    assert s.secret() == "configured"
    assert not (tmp_path / "secret_key").exists()
