"""One guard for every upload: a size limit, a safe file name, nothing kept on failure.

Use it in any route that takes a file::

    @router.post("/api/v1/cases/import")
    @access(Access.contributor)
    async def upload(file: UploadFile, settings: SettingsDep, ...):
        async with received_upload(file, settings, suffixes=(".csv", ".xlsx")) as saved:
            result = import_file(db, principal, saved.path, original_name=saved.name)

The file is streamed to a private temporary directory (never under a name the client
chose) and deleted when the block ends, whatever happens; a file over
``settings.max_upload_mb`` or with a dangerous name is refused with a 413/422 UserError that
says what to fix.  The auth middleware also refuses bodies over the limit before they reach
any route.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import unicodedata
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import UploadFile

from thbhub.domain.errors import UserError
from thbhub.settings import Settings

_CHUNK = 1 << 20
_SAFE = re.compile(r"[^\w. -]+")  # letters of any script, digits, _ . - and space


class UploadTooLarge(UserError):
    status_code = 413


class UnsafeFileName(UserError):
    status_code = 422


def safe_filename(name: str | None, suffixes: Collection[str] = ()) -> str:
    """The client's file name if it is a plain name, else UnsafeFileName.

    Refused: empty names, any directory part (``/``, ``\\``, ``..``), drive letters, control
    characters, hidden files, and suffixes not in ``suffixes`` (when given).  Accepted names
    are normalised (NFC) and stripped of anything but letters, digits, ``. _ -`` and spaces.
    """
    raw = name or ""
    shown = raw[:80]
    if not raw.strip():
        raise UnsafeFileName("the upload has no file name")
    if any(ch in raw for ch in "/\\\x00") or ".." in raw or re.match(r"^[A-Za-z]:", raw):
        raise UnsafeFileName(
            f"file name {shown!r} contains a path; upload a file with a plain name"
        )
    if any(unicodedata.category(ch) == "Cc" for ch in raw):
        raise UnsafeFileName(f"file name {shown!r} contains control characters")
    if raw.startswith("."):
        raise UnsafeFileName(f"file name {shown!r} is a hidden file")
    clean = _SAFE.sub("_", unicodedata.normalize("NFC", raw)).strip()[:200]
    if suffixes and Path(clean).suffix.lower() not in {s.lower() for s in suffixes}:
        raise UnsafeFileName(
            f"file {shown!r} is not one of the accepted types: {', '.join(sorted(suffixes))}"
        )
    return clean


@dataclass(frozen=True)
class SavedUpload:
    name: str  # the cleaned client file name, for messages and records
    path: Path  # where the bytes are, inside a private temporary directory
    size: int


@asynccontextmanager
async def received_upload(
    upload: UploadFile, settings: Settings, suffixes: Collection[str] = ()
) -> AsyncIterator[SavedUpload]:
    name = safe_filename(upload.filename, suffixes)
    limit = int(settings.max_upload_mb * 1024 * 1024)
    workdir = Path(tempfile.mkdtemp(prefix="thbhub-upload-"))
    try:
        # Never the client's name on disk; only its (cleaned) suffix, which readers use to
        # tell CSV from Excel.
        path = workdir / ("upload" + Path(name).suffix.lower())
        size = 0
        with path.open("wb") as fh:
            while chunk := await upload.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise UploadTooLarge(
                        f"file {name!r} is larger than the {settings.max_upload_mb:g} MB limit "
                        "(THBHUB_MAX_UPLOAD_MB); nothing was stored"
                    )
                fh.write(chunk)
        if size == 0:
            raise UserError(f"file {name!r} is empty")
        yield SavedUpload(name=name, path=path, size=size)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
