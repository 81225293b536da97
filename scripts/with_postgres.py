"""Run a command with a throwaway PostgreSQL server, stopped again whatever happens.

    python scripts/with_postgres.py -- pytest ...

initdb into a temporary directory, trust auth on 127.0.0.1, a free port; the command sees
THBHUB_TEST_POSTGRES_URL.  Without PostgreSQL's server binaries the command still runs
(tests that need the server skip, or fail under CI=true).  As root, the server runs as the
`postgres` system user, because PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path


def find_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


def main(argv: list[str]) -> int:
    if "--" not in argv:
        print("usage: with_postgres.py -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    command = argv[argv.index("--") + 1 :]
    initdb, pg_ctl = find_bin("initdb"), find_bin("pg_ctl")
    if not (initdb and pg_ctl):
        print(
            "with_postgres: no PostgreSQL server binaries (initdb, pg_ctl); PostgreSQL tests "
            "will skip. Install them with: apt-get install postgresql",
            file=sys.stderr,
        )
        return subprocess.call(command)
    tmp = Path(tempfile.mkdtemp(prefix="thbhub-pg-"))
    data = tmp / "data"
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres")
    port = free_port()
    env = {**os.environ, "THBHUB_TEST_POSTGRES_URL": ""}
    started = False
    try:
        subprocess.run(
            as_server_user(
                [
                    initdb,
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        options = (
            f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            as_server_user(
                [pg_ctl, "-D", str(data), "-o", options, "-l", str(tmp / "log"), "-w", "start"]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        started = True
        env["THBHUB_TEST_POSTGRES_URL"] = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        print(f"with_postgres: PostgreSQL on 127.0.0.1:{port}", file=sys.stderr)
        return subprocess.call(command, env=env)
    except subprocess.CalledProcessError as exc:
        log = tmp / "log"
        detail = log.read_text()[-2000:] if log.exists() else ""
        print(f"with_postgres: could not start PostgreSQL ({exc}).\n{detail}", file=sys.stderr)
        return 1
    finally:
        if started:
            subprocess.run(
                as_server_user([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
