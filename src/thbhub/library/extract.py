"""Text out of a file: PDF (page by page), DOCX, HTML (main content), Markdown, plain text and
JSONL records.  Each reader returns :class:`Extracted` items or raises :class:`BadFile` with a
one-line reason; nothing here touches the database."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from thbhub.domain.errors import UserError

SUFFIXES: dict[str, str] = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".jsonl": "jsonl",
}

#: JSONL fields read as the text of a record, in this order (the Factbook export has no
#: `text`: its texts are in the two `*_text` fields).
_TEXT_FIELDS = ("text", "body", "content", "current_situation_text", "tier_rating_text")


class BadFile(UserError):
    """A file (or one JSONL record) that cannot be read as a document."""


@dataclass
class Extracted:
    """One document's text: ``pages`` are (page number or None, text)."""

    title: str
    pages: list[tuple[int | None, str]]
    checksum: str
    media_type: str
    record: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    #: Why this JSONL record is not a document (the file's other records still are).
    problem: str | None = None

    @property
    def text(self) -> str:
        return "\n\n".join(t for _, t in self.pages)


def media_type(path: Path) -> str | None:
    return SUFFIXES.get(path.suffix.lower())


def extract(path: Path) -> Iterator[Extracted]:
    """The documents in ``path`` (one, or one per JSONL record)."""
    kind = media_type(path)
    if kind is None:
        raise BadFile(f"{path.name}: not a document type the library reads ({_accepted()})")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadFile(f"{path.name}: cannot be read ({exc.strerror or exc})") from None
    if not data.strip():
        raise BadFile(f"{path.name}: the file is empty")
    if kind == "jsonl":
        yield from _jsonl(path, data)
        return
    checksum = hashlib.sha256(data).hexdigest()
    reader = {"pdf": _pdf, "docx": _docx, "html": _html, "markdown": _markdown, "text": _text}
    title, pages, meta = reader[kind](path, data)
    pages = [(n, _tidy(t)) for n, t in pages if _tidy(t)]
    if not pages:
        raise BadFile(f"{path.name}: no text could be extracted (a scanned PDF needs OCR first)")
    yield Extracted(
        title=(title or _first_line(pages[0][1]) or path.stem)[:500],
        pages=pages,
        checksum=checksum,
        media_type=kind,
        meta=meta,
    )


def _accepted() -> str:
    return ", ".join(sorted(SUFFIXES))


def _tidy(text: str) -> str:
    text = text.replace("\x00", "").replace("\r\n", "\n")
    text = re.sub(r"[ \t\f\v]+", " ", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line.lstrip("# ").strip()[:200]


Pages = list[tuple[int | None, str]]


def _pdf(path: Path, data: bytes) -> tuple[str, Pages, dict[str, Any]]:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            # An empty owner-only password is common and harmless; any other is refused.
            try:
                if not reader.decrypt(""):
                    raise BadFile(f"{path.name}: the PDF is encrypted (password protected)")
            except Exception as exc:
                if isinstance(exc, BadFile):
                    raise
                raise BadFile(f"{path.name}: the PDF is encrypted (password protected)") from None
        pages: Pages = [(n, page.extract_text() or "") for n, page in enumerate(reader.pages, 1)]
        info: Any = reader.metadata or {}
        title = str(info.get("/Title") or "").strip()
    except BadFile:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise BadFile(f"{path.name}: not a readable PDF ({str(exc)[:100]})") from None
    return title, pages, {}


def _docx(path: Path, data: bytes) -> tuple[str, Pages, dict[str, Any]]:
    import io
    import zipfile

    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise BadFile(f"{path.name}: not a readable DOCX file ({str(exc)[:100]})") from None
    paragraphs = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            paragraphs.append(" | ".join(c.text for c in row.cells))
    title = (document.core_properties.title or "").strip()
    return title, [(None, "\n\n".join(paragraphs))], {}


def _html(path: Path, data: bytes) -> tuple[str, Pages, dict[str, Any]]:
    import trafilatura

    html = data.decode("utf-8", errors="replace")
    text = trafilatura.extract(html, include_comments=False, favor_recall=True) or ""
    meta = trafilatura.extract_metadata(html)
    title = (meta.title if meta and meta.title else "") or ""
    found: dict[str, Any] = {}
    if meta and meta.date:
        found["date"] = meta.date
    return title, [(None, text)], found


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadFile(f"{path.name}: not UTF-8 text") from None


def _markdown(path: Path, data: bytes) -> tuple[str, Pages, dict[str, Any]]:
    text = _decode(path, data)
    heading = re.search(r"^#\s+(.+)$", text, re.MULTILINE)
    # Markup that is not words: links keep their text, emphasis marks go.
    plain = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    plain = re.sub(r"^#{1,6}\s*", "", plain, flags=re.MULTILINE)
    plain = re.sub(r"[*_`]{1,3}", "", plain)
    return (heading.group(1).strip() if heading else ""), [(None, plain)], {}


def _text(path: Path, data: bytes) -> tuple[str, Pages, dict[str, Any]]:
    return "", [(None, _decode(path, data))], {}


def _jsonl(path: Path, data: bytes) -> Iterator[Extracted]:
    text = _decode(path, data)
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadFile(f"{path.name}: line {number}: not JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise BadFile(f"{path.name}: line {number}: a record must be a JSON object")
        parts = [record[f] for f in _TEXT_FIELDS if isinstance(record.get(f), str) and record[f]]
        if not parts:
            yield Extracted(
                title="",
                pages=[],
                checksum="",
                media_type="jsonl",
                record=number,
                problem=f"{path.name}: line {number}: no text "
                f"(fields {', '.join(_TEXT_FIELDS)} are empty or missing)",
            )
            continue
        title = record.get("title") or _record_title(record) or f"{path.stem} {number}"
        canonical = json.dumps(record, sort_keys=True, ensure_ascii=False)
        yield Extracted(
            title=str(title)[:500],
            pages=[(None, _tidy(p)) for p in parts],
            checksum=hashlib.sha256(canonical.encode()).hexdigest(),
            media_type="jsonl",
            record=number,
            meta={k: v for k, v in record.items() if k not in _TEXT_FIELDS},
        )


def _record_title(record: dict[str, Any]) -> str:
    # The Factbook export: one record per country and snapshot.
    country, date = record.get("country"), record.get("snapshot_date")
    if country and date:
        return f"Trafficking in persons: {country} ({str(date)[:4]})"
    return ""
