"""Bad command-line input and settings: one line on stderr, exit 1, nothing created."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from thbhub.cli import app

runner = CliRunner()


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Traceback" not in err, err
    assert "a bug" not in err, err
    return lines[0]


@pytest.mark.parametrize("port", ["-1", "0", "99999"])
def test_serve_port_out_of_range(tmp_path: Path, port: str) -> None:
    code, _, err = run("--db", f"sqlite:///{tmp_path / 'x.db'}", "serve", "--port", port)
    assert code == 1
    assert one_line(err) == f"error: --port {port}: a port is a number from 1 to 65535"


def test_serve_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, out, err = run("--db", f"sqlite:///{tmp_path / 'x.db'}", "serve", "--port", str(port))
    assert code == 1, err
    assert f"cannot listen on 127.0.0.1:{port}: the port is in use" in one_line(err)
    assert "THB Hub at" not in out + err


@pytest.mark.parametrize(
    ("host", "says"),
    [
        ("no-such-host.invalid", "not a known host name or address"),
        ("192.0.2.1", "not one of this machine's"),  # TEST-NET-1: never a local address
    ],
)
def test_serve_bad_host(tmp_path: Path, host: str, says: str) -> None:
    code, _, err = run("--db", f"sqlite:///{tmp_path / 'x.db'}", "serve", "--host", host)
    assert code == 1
    assert says in one_line(err) and host in err
