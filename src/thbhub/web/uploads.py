"""One guard for every upload: a size limit, a safe file name, nothing kept on failure.

Use it in any route that takes a file::

    @router.post("/api/v1/cases/import")
    @access(Access.contributor)
    def upload(file: UploadFile, settings: SettingsDep, ...):
        with received_upload(file, settings, suffixes=(".csv", ".xlsx")) as saved:
            result = import_file(db, principal, saved.path, original_name=saved.name)

The route is a plain ``def``: FastAPI runs it in its thread pool, so the import (seconds of
parsing and writing) never holds up the event loop that answers every other request
(tests/web/test_blocking.py checks that no route is ``async``).  By then FastAPI has already
received the whole multipart body into ``file`` (spooled to disk past 1 MB); the block copies
it with blocking reads, which is fine in a worker thread.

The file is streamed to a private temporary directory, under the client's name once
:func:`safe_filename` has made it a plain one, and deleted when the block ends, whatever
happens; a file over ``settings.max_upload_mb`` or with a dangerous name is refused with a
413/422 UserError that says what to fix.  The auth middleware also refuses bodies over the
limit before they reach any route.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import unicodedata
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import UploadFile

from thbhub.domain.errors import UserError
from thbhub.settings import Settings

_CHUNK = 1 << 20
_SAFE = re.compile(r"[^\w. -]+")  # letters of any script, digits, _ . - and space
_NAME_BYTES = 200  # file systems allow 255 bytes a name


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
    clean = _fit(_SAFE.sub("_", unicodedata.normalize("NFC", raw)).strip())
    if suffixes and Path(clean).suffix.lower() not in {s.lower() for s in suffixes}:
        raise UnsafeFileName(
            f"file {shown!r} is not one of the accepted types: {', '.join(sorted(suffixes))}"
        )
    return clean


_FILENAME = re.compile(r'(?:^|;)\s*filename\s*=\s*("(?:[^"]*)"|[^;]*)', re.IGNORECASE)


def sent_filename(upload: UploadFile) -> str | None:
    """The file name as the client sent it in the part's Content-Disposition.

    The multipart parser keeps only what follows the last backslash of a Windows path
    (``C:\\x.csv`` and ``\\\\host\\x.csv`` arrive as ``x.csv``, an Internet Explorer
    habit), which would hide the path from :func:`safe_filename`; so the name is read again
    from the raw header, and the parsed one is used only when the header has none."""
    disposition = upload.headers.get("content-disposition", "") if upload.headers else ""
    found = _FILENAME.search(disposition)
    if found is None:
        return upload.filename
    raw = found.group(1).strip()
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        raw = raw[1:-1]
    try:  # header bytes arrive decoded as Latin-1; clients send names in UTF-8
        return raw.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return raw


def _fit(name: str, limit: int = _NAME_BYTES) -> str:
    """``name`` shortened to ``limit`` bytes of UTF-8 by cutting its stem, so that a long
    name keeps its suffix (which decides how the file is read) and fits any file system."""
    if len(name.encode()) <= limit:
        return name
    suffix = Path(name).suffix
    if len(suffix.encode()) > 20:  # no real suffix is that long: cut the whole name
        suffix = ""
    stem = name[: len(name) - len(suffix)]
    room = limit - len(suffix.encode())
    return stem.encode()[:room].decode(errors="ignore").rstrip() + suffix


@dataclass(frozen=True)
class SavedUpload:
    name: str  # the cleaned client file name, for messages and records
    path: Path  # where the bytes are, inside a private temporary directory
    size: int


@contextmanager
def received_upload(
    upload: UploadFile, settings: Settings, suffixes: Collection[str] = ()
) -> Iterator[SavedUpload]:
    name = safe_filename(upload.filename, suffixes)
    sent = sent_filename(upload)
    if sent is not None and sent != upload.filename:
        safe_filename(sent)  # refuses the path the multipart parser cut off
    limit = int(settings.max_upload_mb * 1024 * 1024)
    workdir = Path(tempfile.mkdtemp(prefix="thbhub-upload-"))
    try:
        # The cleaned name (a plain name, no path, not hidden; see safe_filename) inside a
        # private directory: the readers' messages then name the user's file, not ours.
        path = workdir / name
        size = 0
        with path.open("wb") as fh:
            while chunk := upload.file.read(_CHUNK):
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
