"""`thbhub import documents`, `thbhub tag`, `thbhub search`: the knowledge library."""

from __future__ import annotations

import getpass
from pathlib import Path

import typer

from thbhub.cli.context import state
from thbhub.cli.output import Format, FormatOption, emit, info
from thbhub.cli.progress import progress_bar
from thbhub.domain.errors import UserError
from thbhub.domain.principals import Principal, Role
from thbhub.library import service
from thbhub.storage.library import MARK_END, MARK_START

PathsArg = typer.Argument(..., exists=True, help="Files or folders (folders are read recursively).")


def import_documents(
    ctx: typer.Context,
    paths: list[Path] = PathsArg,
    doc_type: str | None = typer.Option(
        None, "--type", help="Document type (doctype concept, e.g. report, handbook)."
    ),
    lang: str | None = typer.Option(
        None, "--lang", help="Language (ISO 639-1); detected if omitted."
    ),
    country: str | None = typer.Option(None, "--country", help="Country the documents are about."),
    licence: str | None = typer.Option(None, "--licence", help="Licence, e.g. CC BY 4.0."),
    access: str = typer.Option("public", "--access", help="public, member or owner."),
    org: str | None = typer.Option(
        None, "--org", help="Owning organisation (name or id); default: the hub itself."
    ),
    fmt: FormatOption = Format.table,
) -> None:
    """Import PDF, DOCX, HTML, Markdown, text and JSONL documents into the library."""
    st = state(ctx)
    who = Principal(role=Role.admin, email=f"cli:{getpass.getuser()}", origin="cli")
    options = service.ImportOptions(
        doc_type=doc_type,
        language=lang,
        country=country,
        licence=licence,
        access=access,
        organisation=org,
    )
    with progress_bar("Importing documents") as progress:
        summary = service.import_documents(st.db(), who, paths, options, progress=progress)
    if fmt is not Format.table:
        emit(summary.as_dict(), fmt)
    else:
        info(
            f"{summary.files} files: {summary.stored} documents stored, "
            f"{summary.already} already in the library, {summary.linked} linked to a "
            f"near-duplicate, {len(summary.skipped)} files skipped."
        )
        for skipped in summary.skipped:
            info(f"  skipped: {skipped['reason']}")
    if summary.skipped and not summary.stored and not summary.already:
        raise UserError(f"no document imported: {summary.skipped[0]['reason']}")


def tag(
    ctx: typer.Context,
    paths: list[Path] = PathsArg,
    fmt: FormatOption = Format.json,
) -> None:
    """Print the taxonomy concepts each file states, with score and evidence; stores nothing."""
    result = service.tag_files(paths)
    if fmt is Format.json:
        emit(result, fmt)
        return
    rows = [
        {"file": r["file"], "record": r.get("record"), **c} for r in result for c in r["concepts"]
    ]
    emit(rows, fmt, columns=["file", "record", "id", "score", "page", "evidence"])


def search(
    ctx: typer.Context,
    query: str = typer.Argument("", help="Words to find (all of them); empty: every document."),
    doc_type: str | None = typer.Option(None, "--type", help="Document type."),
    lang: str | None = typer.Option(None, "--lang", help="Language (ISO 639-1)."),
    country: str | None = typer.Option(None, "--country", help="Country (code or name)."),
    concept: str | None = typer.Option(
        None, "--concept", help="Taxonomy concept id it is tagged with."
    ),
    year_from: int | None = typer.Option(None, "--from", help="Published in or after this year."),
    year_to: int | None = typer.Option(None, "--to", help="Published in or before this year."),
    limit: int = typer.Option(20, "--limit", min=1, max=1000),
    fmt: FormatOption = Format.table,
) -> None:
    """Search the library's public documents (full text, facets)."""
    filters = service.SearchFilters(doc_type, lang, country, concept, year_from, year_to)
    st = state(ctx)
    # The command line reads what an anonymous visitor may read: it has no login.
    result = service.search(
        st.db(), Principal(role=Role.public, origin="cli"), query, filters, limit
    )
    for r in result["results"]:
        if r["snippet"]:
            r["snippet"] = r["snippet"].replace(MARK_START, "[").replace(MARK_END, "]")
    if fmt is Format.json:
        emit(result, fmt)
        return
    if result.get("limited"):
        info(f"the best {result['total']} matching documents (more match: narrow the query)")
    else:
        info(f"{result['total']} documents")
    info(_semantic_note(result["semantic"]))
    emit(
        result["results"],
        fmt,
        columns=["id", "title", "doc_type", "language", "year", "score", "snippet"],
    )


def _semantic_note(semantic: dict[str, object]) -> str:
    if semantic["state"] == "ready":
        return "ranked by full text, concepts and meaning (embeddings)"
    return (
        f"ranked by full text and concepts; meaning: {semantic['embedded']} of "
        f"{semantic['documents']} documents embedded (`thbhub embed` or `thbhub serve` "
        "computes the rest)"
    )


def embed(
    ctx: typer.Context,
    limit: int | None = typer.Option(None, "--limit", min=1, help="At most this many documents."),
    fmt: FormatOption = Format.table,
) -> None:
    """Compute the multilingual embeddings of documents that have none yet (`thbhub serve`
    also does it in the background)."""
    from thbhub.library import embeddings

    st = state(ctx)
    with progress_bar("Embedding documents") as progress:
        done = embeddings.embed_pending(st.db(), limit=limit, progress=progress)
    result = {"embedded_now": done, **embeddings.coverage(st.db())}
    if fmt is not Format.table:
        emit(result, fmt)
    else:
        info(
            f"{done} documents embedded now; {result['embedded']} of {result['documents']} "
            "in the library have embeddings."
        )


def register(app: typer.Typer) -> None:
    app.command("tag")(tag)
    app.command("search")(search)
    app.command("embed")(embed)
