"""Helpers shared by tests (importable as `support`; conftest.py holds the fixtures)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from thbhub.settings import Settings

IN_CI = os.environ.get("CI", "").lower() == "true"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def require(condition: bool, reason: str) -> None:
    """Skip locally when a service is missing; under CI=true a missing service is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


def shared_file(relative: str) -> Path:
    """A file from ../shared/data; tests that need one skip with a reason when it is absent."""
    path = SHARED / "data" / relative
    if not path.exists():
        pytest.skip(f"{path} is not here (the shared real-data folder sits beside the repo)")
    return path


def make_settings(tmp_path: Path, url: str) -> Settings:
    return Settings(database_url=url, data_dir=tmp_path, secret_key="test-secret-key-0123456789")
