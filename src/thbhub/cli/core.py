"""Commands for the hub as a whole: init, status, sources, serve."""

from __future__ import annotations

import errno
import gc
import socket
from typing import Any

import typer

from thbhub.cli.context import state
from thbhub.cli.output import Format, FormatOption, emit, info
from thbhub.domain.errors import UserError
from thbhub.hub import health, init_hub, overview, require_current_schema


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("status")(status)
    app.command("sources")(sources)
    app.command("serve")(serve)


def init(
    ctx: typer.Context,
    sample: bool = typer.Option(
        False, "--sample", help="Also load the bundled real sample data if the database is empty."
    ),
    fmt: FormatOption = Format.table,
) -> None:
    """Create or upgrade the database schema and install the taxonomy (safe to repeat)."""
    st = state(ctx)
    from thbhub.cli.progress import progress_bar

    st.db(create=True).check()  # the migrations reach the engine directly: check first
    with progress_bar("Loading sample data") as progress:
        result = init_hub(st.db(), st.settings(), sample=sample, progress=progress)
    if fmt is Format.table:
        tax = result["taxonomy"]
        info(
            f"Database {result['database']} at schema {result['schema']} "
            f"(was {result['schema_before'] or 'empty'}); taxonomy: {tax['concepts']} concepts "
            f"in {tax['schemes']} schemes."
        )
        if "sample" in result:
            sample = result["sample"]
            info(f"Sample data: {sample if isinstance(sample, str) else 'loaded'}.")
    else:
        emit(result, fmt)


def status(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """Show the database's health and what the hub holds."""
    db = state(ctx).db()
    h = health(db)
    o = overview(db)
    emit({**h, **{f"count_{k}": v for k, v in o["counts"].items()}}, fmt)


def sources(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """List the registered data sources with publisher, version and licence."""
    emit(
        overview(state(ctx).db())["sources"],
        fmt,
        columns=["key", "publisher", "title", "version", "licence"],
    )


def serve(
    ctx: typer.Context,
    host: str | None = typer.Option(None, help="Interface to listen on (default 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port, 1-65535 (default 8000)."),
) -> None:
    """Serve the web application and the API."""
    import uvicorn

    from thbhub.library.embeddings import start_worker as start_embedding_worker
    from thbhub.web.app import create_app

    st = state(ctx)
    settings = st.settings().model_copy(
        update={k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    )
    # Everything that can be wrong with the address is found before anything starts, and
    # the socket is bound here: uvicorn would print a traceback (port out of range) or log
    # the error and exit 3 after the "THB Hub at" line (port in use).
    address = listen_address(settings.host, settings.port)
    require_current_schema(st.db())
    sock = listen_socket(address, settings.host, settings.port)
    try:
        app = create_app(settings, st.db())
        start_embedding_worker(st.db())  # the library's embeddings, in the background
        # The ~270,000 objects alive once the app is built live as long as the server: kept
        # out of the collector's full passes, which otherwise stopped a request for 0.1-0.35 s
        # every few dozen requests (benchmarks/insights_speed.py measures pages so too).
        gc.freeze()
        info(f"THB Hub at http://{settings.host}:{settings.port}/  (Ctrl+C to stop)")
        config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning")
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()


Address = tuple[socket.AddressFamily, socket.SocketKind, int, str, Any]


def listen_address(host: str, port: int) -> Address:
    """Where to listen (the first address ``host`` resolves to), or a one-line UserError
    saying what is wrong with the host or port."""
    if not 1 <= port <= 65535:
        raise UserError(f"--port {port}: a port is a number from 1 to 65535")
    if not host.strip():
        raise UserError("--host is empty: give an address such as 127.0.0.1 or 0.0.0.0")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, socket.gaierror) else str(exc)
        raise UserError(f"--host {host!r}: not a known host name or address ({reason})") from None
    return infos[0]


def listen_socket(address: Address, host: str, port: int) -> socket.socket:
    """A socket bound to ``address``, or a one-line UserError saying why it cannot be."""
    family, kind, proto, _, where = address
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(where)
        sock.set_inheritable(True)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            why = "the port is in use (is THB Hub or another server already running?)"
        elif exc.errno == errno.EADDRNOTAVAIL:
            why = "that address is not one of this machine's"
        elif exc.errno == errno.EACCES:
            why = "permission denied (ports below 1024 need administrator rights)"
        else:
            why = exc.strerror or str(exc)
        raise UserError(f"cannot listen on {host}:{port}: {why}") from None
    return sock
