"""Receive an uploaded file into a private temporary file, with a hard size limit.

(The access-control branch adds a shared upload guard; until then case uploads use this.)
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from fastapi import UploadFile

from thbhub.domain.errors import UserError

MAX_CASE_UPLOAD_BYTES = 50 * 1024 * 1024
ALLOWED_SUFFIXES = (".csv", ".xlsx")


class UploadTooLarge(UserError):
    status_code = 413


def safe_name(name: str | None) -> str:
    """The file's base name with anything but letters, digits, dot, dash and underscore
    replaced; used in reports only, never as a path."""
    base = Path(name or "upload").name
    return re.sub(r"[^A-Za-z0-9._-]+", "_", base)[:120] or "upload"


async def receive(upload: UploadFile, directory: Path, limit: int = MAX_CASE_UPLOAD_BYTES) -> Path:
    name = safe_name(upload.filename)
    suffix = Path(name).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise UserError(f"{name}: upload a .csv or .xlsx file")
    fd, raw = tempfile.mkstemp(suffix=suffix, dir=directory)
    path = Path(raw)
    size = 0
    with open(fd, "wb") as out:
        while chunk := await upload.read(1 << 20):
            size += len(chunk)
            if size > limit:
                out.close()
                path.unlink(missing_ok=True)
                raise UploadTooLarge(f"{name}: larger than the {limit // (1024 * 1024)} MB limit")
            out.write(chunk)
    return path
