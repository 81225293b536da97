"""The server under load, as users meet it: a real `thbhub serve` over the `make run` sample
data, concurrent clients replaying the issue's mix (one in five a logged-in contributor on
`/cases` and `/api/v1/cases`, the rest public pages and API), and a CLI import of the CTDC
file (47,106 rows) in the middle of it; on SQLite and, under scripts/with_postgres.py, on
PostgreSQL.

The baseline, measured in the same run on the same server: each page alone, unloaded,
one request after another, rendered (as a logged-in user, whom the cache never serves) and
from the cache (as an anonymous visitor).
Printed: requests/s, errors, and per page the median and 95th percentile under load beside
its time alone, and whether the issue's targets are met (0 errors at 50 clients, >= 100
requests/s for the public mix, p95 <= 500 ms for every public page, the import succeeds).

    .venv/bin/python scripts/with_postgres.py -- .venv/bin/python -m benchmarks.load
    THBHUB_LOAD_SECONDS=30 THBHUB_LOAD_CLIENTS=20,50 ... (defaults 20 s; 20,50 clients)

The clients run in this process (threads over keep-alive connections) on the same machine
as the server, so they take CPU from it: the numbers are a floor.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import create_engine, text

from thbhub.access import users
from thbhub.storage import Database

ROOT = Path(__file__).resolve().parents[1]
THBHUB = str(Path(sys.executable).parent / "thbhub")
CTDC = ROOT.parent / "shared/data/ctdc-global-2018/ctdc_global_individual_database_2018.csv"
DEMO_ORG = "CTDC global dataset (demo)"
PASSWORD = "load benchmark password"
PUBLIC = (
    "/",
    "/countries/LV",
    "/countries",
    "/explore",
    "/explore?country=LT&by=sex",
    "/topics",
    "/statistics/case-records",
    "/api/v1/overview",
    "/api/v1/observations?indicator=victims&country=LV",
    "/api/v1/countries/LV/statistics",
    "/api/v1/privacy/case-tables?by=sex",
)
PRIVATE = ("/cases", "/api/v1/cases")
TARGET_RPS = 100
TARGET_P95 = 0.5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Client:
    """One visitor: a keep-alive connection and the cookies the server gave it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=sent)
                response = self.conn.getresponse()
                data = response.read()  # not decoded: the clients share the CPU with the server
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                if attempt:
                    raise
        for value in response.headers.get_all("set-cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response.status, data

    def log_in(self, email: str) -> None:
        _, page = self.request("GET", "/login")
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.decode())
        assert found, "no log-in form"
        body = urlencode({"email": email, "password": PASSWORD, "csrf_token": found.group(1)})
        status, _ = self.request(
            "POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert status == 303, f"log-in failed: {status}"


@dataclass
class Results:
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, path: str, seconds: float, status: int | None, detail: str = "") -> None:
        with self.lock:
            self.times[path].append(seconds)
            if status is None or status >= 400:
                self.errors[path] += 1
                if len(self.samples) < 5:
                    self.samples.append(f"{path}: {status} {detail[:120]}")


def _visit(client: Client, path: str, results: Results) -> None:
    start = time.perf_counter()
    try:
        status, body = client.request("GET", path)
    except Exception as exc:  # a refused or dropped connection is an error of the run
        results.add(path, time.perf_counter() - start, None, repr(exc))
        return
    results.add(path, time.perf_counter() - start, status, body[:200].decode(errors="replace"))


def _load(
    port: int,
    clients: int,
    seconds: float,
    email: str,
    import_cmd: list[str] | None,
    env: dict[str, str],
) -> tuple[Results, float, dict[str, object]]:
    results = Results()
    stop = threading.Event()
    ready = threading.Barrier(clients + 1)

    def visitor(n: int) -> None:
        rng = random.Random(n)
        client = Client(port)
        private = n % 5 == 0
        if private:
            client.log_in(email)
        ready.wait()
        while not stop.is_set():
            pages = PRIVATE if private else PUBLIC
            _visit(client, rng.choice(pages), results)

    threads = [threading.Thread(target=visitor, args=(n,), daemon=True) for n in range(clients)]
    for t in threads:
        t.start()
    ready.wait()
    start = time.perf_counter()
    imported: dict[str, object] = {}
    if import_cmd is not None:
        time.sleep(min(2.0, seconds / 4))
        began = time.perf_counter()
        done = subprocess.run(import_cmd, capture_output=True, text=True, check=False, env=env)
        try:
            message = f"{json.loads(done.stdout)['rows_stored']:,} records stored"
        except (ValueError, KeyError, TypeError):
            message = (done.stderr or done.stdout).strip().splitlines()[-1:]
        imported = {
            "code": done.returncode,
            "seconds": time.perf_counter() - began,
            "message": message,
        }
    time.sleep(max(0.0, seconds - (time.perf_counter() - start)))
    stop.set()
    for t in threads:
        t.join(timeout=180)
    return results, time.perf_counter() - start, imported


def _baseline(port: int, email: str, repeats: int = 5) -> dict[str, tuple[float, float]]:
    """Each page alone, one request after another: (rendered, cached), medians.  Rendered:
    as the logged-in contributor, who is never served from the cache (after one warm-up
    request, which pays for imports and the first chart); cached: as an anonymous visitor,
    after the first request filled the cache (the contributor's pages: rendered only)."""
    visitor, contributor = Client(port), Client(port)
    contributor.log_in(email)

    def median(who: Client, path: str, n: int) -> float:
        times = []
        for _ in range(n):
            start = time.perf_counter()
            who.request("GET", path)
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    alone = {}
    for path in (*PUBLIC, *PRIVATE):
        median(contributor, path, 1)
        rendered = median(contributor, path, 3)
        if path in PRIVATE:
            alone[path] = (rendered, rendered)
            continue
        median(visitor, path, 1)
        alone[path] = (rendered, median(visitor, path, repeats))
    return alone


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def _setup(url: str, data_dir: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "THBHUB_DATABASE_URL": url,
        "THBHUB_DATA_DIR": str(data_dir),
        "THBHUB_SECRET_KEY": "load-benchmark-secret-key",
    }
    subprocess.run([THBHUB, "init", "--sample"], env=env, check=True, capture_output=True)
    db = Database(url)
    op = users.operator()
    users.add_user(db, op, "load@bench.example", DEMO_ORG, "contributor", PASSWORD)
    users.add_organisation(db, op, "Load benchmark NGO", "PL", "ngo")
    db.dispose()
    return env


def _run(url: str, data_dir: Path, seconds: float, sizes: list[int]) -> None:
    env = _setup(url, data_dir)
    port = _free_port()
    server = subprocess.Popen(
        [THBHUB, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    dialect = url.split(":", 1)[0].split("+", 1)[0]
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if Client(port).request("GET", "/api/v1/health")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(f"the server did not start: {server.stderr}")
            time.sleep(0.2)
        alone = _baseline(port, "load@bench.example")
        print(
            f"\n## {dialect}: baseline, each page alone, median: rendered (as a logged-in "
            "user, never cached) and cached (anonymous)"
        )
        for path, (rendered, from_cache) in alone.items():
            print(
                f"  {path:<52} rendered {rendered * 1000:7.1f} ms   "
                f"cached {from_cache * 1000:6.1f} ms"
            )
        for clients in sizes:
            cmd = None
            if clients == max(sizes) and CTDC.exists():
                cmd = [THBHUB, "import", "cases", str(CTDC), "--org", "Load benchmark NGO"]
                cmd += ["--again", "--quarantine", "--report", "json"]
            results, elapsed, imported = _load(
                port, clients, seconds, "load@bench.example", cmd, env
            )
            _report(dialect, clients, results, elapsed, alone, imported, cmd is not None)
    finally:
        server.terminate()
        server.wait(timeout=30)


def _report(
    dialect: str,
    clients: int,
    results: Results,
    elapsed: float,
    alone: dict[str, tuple[float, float]],
    imported: dict[str, object],
    with_import: bool,
) -> None:
    public = sum(len(results.times[p]) for p in PUBLIC)
    total = sum(len(v) for v in results.times.values())
    errors = sum(results.errors.values())
    print(
        f"\n## {dialect}: {clients} clients for {elapsed:.0f} s: {total / elapsed:.0f} "
        f"requests/s in all, {public / elapsed:.0f}/s public; {errors} errors"
    )
    print(
        f"  {'page':<52} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'rendered':>9} {'p95/rendered':>12}"
    )
    worst = 0.0
    for path in (*PUBLIC, *PRIVATE):
        times = results.times.get(path) or []
        if not times:
            continue
        p95 = _p95(times)
        base = alone.get(path, (0.0, 0.0))[0]
        ratio = f"{p95 / base:12.2f}" if base else f"{'-':>12}"
        if path in PUBLIC:
            worst = max(worst, p95)
        print(
            f"  {path:<52} {len(times):>6} {statistics.median(times) * 1000:8.1f} "
            f"{p95 * 1000:8.1f} {base * 1000:9.1f} {ratio}"
        )
    for sample in results.samples:
        print(f"  error: {sample}")
    if with_import:
        print(
            f"  CLI import of the CTDC file during the load: exit {imported.get('code')} in "
            f"{float(imported.get('seconds', 0)):.1f} s ({imported.get('message')})"
        )
    met = {
        "0 errors": errors == 0,
        f">= {TARGET_RPS} public requests/s": public / elapsed >= TARGET_RPS,
        f"p95 <= {TARGET_P95 * 1000:.0f} ms on every public page": worst <= TARGET_P95,
    }
    if with_import:
        met["the CLI import succeeds"] = imported.get("code") == 0
    print("  targets: " + "; ".join(f"{k}: {'met' if v else 'NOT met'}" for k, v in met.items()))


def main() -> None:
    seconds = float(os.environ.get("THBHUB_LOAD_SECONDS", "20"))
    sizes = [int(n) for n in os.environ.get("THBHUB_LOAD_CLIENTS", "20,50").split(",")]
    print(f"load: {os.cpu_count()} CPUs; {seconds:g} s per run; clients {sizes}")
    with tempfile.TemporaryDirectory() as tmp:
        _run(f"sqlite:///{tmp}/load.db", Path(tmp) / "sqlite", seconds, sizes)
        admin_url = os.environ.get("THBHUB_TEST_POSTGRES_URL")
        if not admin_url:
            print("\n(no PostgreSQL: run under scripts/with_postgres.py for both backends)")
            return
        name = f"thbhub_load_{uuid.uuid4().hex[:8]}"
        engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            _run(admin_url.rsplit("/", 1)[0] + "/" + name, Path(tmp) / "pg", seconds, sizes)
        finally:
            with engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            engine.dispose()


if __name__ == "__main__":
    main()
