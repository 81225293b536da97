"""Settings, built once at the edge (CLI or server start) and passed down explicitly.

Values come from arguments, then ``THBHUB_*`` environment variables, then defaults.  Nothing
here is a module-level singleton: call :func:`build_settings` where the program starts.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir
from pydantic import Field, SecretStr
from pydantic import ValidationError as PydanticError
from pydantic_settings import BaseSettings, SettingsConfigDict

from thbhub.domain.errors import UserError

ENV_PREFIX = "THBHUB_"


def _default_data_dir() -> Path:
    return Path(user_data_dir("thbhub", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default SQLite in the data directory"
    )
    data_dir: Path = Field(default_factory=_default_data_dir)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    secret_key: SecretStr | None = None
    disclosure_threshold: int = Field(default=5, ge=2)
    # Privacy settings (docs/privacy.md): rounding of published counts from case records, and
    # the differential-privacy budget each organisation may spend per dataset.
    disclosure_rounding_base: int | None = Field(default=None)
    # The most a published count from case records is moved by the cell key method (empty:
    # the default for the threshold, 2 for k = 5; docs/privacy.md).
    disclosure_noise_bound: int | None = Field(default=None, ge=0)
    privacy_epsilon_budget: float = Field(default=10.0, gt=0)
    privacy_delta_budget: float = Field(default=1e-4, ge=0)
    # How often the web app checks, in the background, whether the public case-record tables
    # need protecting again (after an import or a publication); 0 leaves it to the first
    # visitor, who then waits for it (docs/privacy.md).
    public_tables_refresh_seconds: float = Field(default=30, ge=0)
    # Base URL the app is reached at; only used to build absolute links in outputs.
    public_url: str | None = None
    # Access control: session lifetime, lock-out after repeated failed log-ins, uploads.
    session_hours: float = Field(default=12, gt=0)
    lockout_failures: int = Field(default=5, ge=1)
    lockout_minutes: float = Field(default=15, gt=0)
    max_upload_mb: float = Field(default=25, gt=0)
    # Spreadsheets (.xlsx): the whole workbook uncompressed, and rows and columns of a sheet;
    # checked before and while a workbook is read (thbhub.ingest.workbook, docs/cases.md).
    sheet_max_mb: float = Field(default=100, gt=0)
    sheet_max_rows: int = Field(default=250_000, ge=1)
    sheet_max_columns: int = Field(default=2_000, ge=1)
    # The web server: threads that run handlers and database work (FastAPI's thread pool),
    # and how many rendered public pages are kept per data version (0: no page cache).
    web_threads: int = Field(default=40, ge=1, le=1000)
    page_cache_entries: int = Field(default=500, ge=0)
    # Send cookies only over HTTPS; set when the hub is served behind TLS.
    cookie_secure: bool = False
    # Case-record insights: protected in the background of the web server, so a request
    # never waits for a new data version's audit (it answers 503 "being computed"
    # meanwhile). False: the first request computes them (a small hub; the route tests).
    insights_background: bool = True

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'thbhub.db'}"

    def secret(self) -> str:
        if self.secret_key is None:
            raise RuntimeError("secret key not initialised; call ensure_secret_key first")
        return self.secret_key.get_secret_value()


def build_settings(**overrides: Any) -> Settings:
    """Build settings from overrides (``None`` values ignored), environment and defaults."""
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except PydanticError as exc:
        raise UserError(_setting_problem(exc, given)) from None


#: What a setting must be, in a user's words, by Pydantic's error type.
_EXPECTED = {
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_parsing": "a number",
    "bool_parsing": "true or false",
    "string_type": "text",
    "path_type": "a path",
}


def _setting_problem(exc: PydanticError, given: dict[str, Any]) -> str:
    """The first invalid setting as one line: the variable (or option), its value, what it
    must be."""
    error = exc.errors()[0]
    name = str(error["loc"][0]) if error["loc"] else "?"
    where = name if name in given else f"{ENV_PREFIX}{name.upper()}"
    value = str(error.get("input", ""))
    shown = value if len(value) <= 40 else value[:37] + "..."
    if "secret" in name:
        shown = "..."
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind in _EXPECTED:
        expected = _EXPECTED[kind]
    elif kind == "greater_than_equal":
        expected = f"a number of at least {ctx.get('ge')}"
    elif kind == "greater_than":
        expected = f"a number above {ctx.get('gt')}"
    elif kind == "less_than_equal":
        expected = f"a number of at most {ctx.get('le')}"
    elif kind == "less_than":
        expected = f"a number below {ctx.get('lt')}"
    else:
        expected = str(error["msg"])
    return f"setting {where}={shown!r} is not valid: expected {expected}"


def ensure_secret_key(settings: Settings) -> Settings:
    """Return settings with a secret key: the configured one, or one generated once and kept.

    The generated key lives in ``<data_dir>/secret_key`` (mode 0600) so that sessions and
    pseudonyms stay valid across restarts; it never leaves the server.
    """
    if settings.secret_key is not None:
        return settings
    path = settings.data_dir / "secret_key"
    if path.exists():
        key = path.read_text(encoding="utf-8").strip()
    else:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(key + "\n")
    return settings.model_copy(update={"secret_key": SecretStr(key)})
