"""How long reports take, against drawing the same charts alone (same run).

Builds a database on the user's path (`thbhub init --sample` in a temporary directory), then:
1. `thbhub report country LV --format pdf` and the other types as a user runs them (the
   installed command, its own process; wall time includes starting Python);
2. in one process, each report type's phases: context (the services' queries and analyses),
   HTML (charts drawn to SVG + template), PDF (WeasyPrint typesetting the HTML), against the
   baseline of drawing the report's charts alone with vl-convert;
3. all ten country profiles and the regional overview as PDF, one after the other;
4. the country profile typeset by WeasyPrint from its HTML instead of by Typst, when
   WeasyPrint is installed (it is not a dependency), for the choice of renderer
   (docs/reports.md).

Run: nice -n 19 .venv/bin/python -m benchmarks.reports_speed
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from thbhub.domain.concepts import CBSS_MEMBER_STATES
from thbhub.privacy.public import ProtectedTables
from thbhub.reports import service
from thbhub.reports.charts import svg
from thbhub.reports.model import Figure
from thbhub.reports.render import html, pdf
from thbhub.settings import build_settings, ensure_secret_key
from thbhub.storage import Database

KINDS = (
    ("country", "LV"),
    ("region", None),
    ("topic", "form:forced-criminality"),
    ("review", None),
)


def cli(env: dict[str, str], *args: str) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, all threads) of one `thbhub` command."""
    exe = Path(sys.executable).with_name("thbhub")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([str(exe), *args], check=True, env=env, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def ratio(value: float, base: float) -> str:
    return f"{value / base:.1f}" if base > 0.005 else "n/a"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/hub.db"
        env = {**os.environ, "THBHUB_DATABASE_URL": url, "THBHUB_DATA_DIR": tmp}
        cli(env, "init", "--sample")
        print(f"cores available: {len(os.sched_getaffinity(0))}, load: {os.getloadavg()[0]:.1f}")
        print("\n1. the user's command (own process; baseline `thbhub status`, the same start)")
        base_wall, base_cpu = cli(env, "status")
        print(f"  {'thbhub status':50s} wall {base_wall:6.2f} s  cpu {base_cpu:6.2f} s")
        for kind, subject in KINDS:
            for fmt in ("html", "pdf"):
                args = ["report", kind, *([subject] if subject else []), "-f", fmt]
                wall, cpu = cli(env, *args, "-o", f"{tmp}/r.{fmt}")
                print(
                    f"  thbhub {' '.join(args):43s} wall {wall:6.2f} s  cpu {cpu:6.2f} s"
                    f"  ({ratio(wall, base_wall)} x status)"
                )

        settings = ensure_secret_key(build_settings(database_url=url, data_dir=tmp))
        db = Database(url, create=False)
        tables = ProtectedTables()
        service.build_report(db, settings, "region", tables=tables)  # warm the gated tables
        svg(
            next(
                b
                for s in service.build_report(db, settings, "region", tables=tables).sections
                for b in s.blocks
                if isinstance(b, Figure)
            ).spec
        )  # start vl-convert's engine
        print("\n2. phases in one process (wall s); baseline: the report's charts drawn alone")
        print(
            f"  {'report':30s} {'context':>8s} {'charts':>8s} {'HTML':>8s} {'PDF':>8s}"
            f" {'HTML/charts':>12s} {'PDF/charts':>11s}"
        )
        for kind, subject in KINDS:
            t0 = time.perf_counter()
            report = service.build_report(db, settings, kind, subject, tables=tables)
            t1 = time.perf_counter()
            figures = [b for s in report.sections for b in s.blocks if isinstance(b, Figure)]
            for f in figures:
                svg(f.spec)
            t2 = time.perf_counter()
            html(report)
            t3 = time.perf_counter()
            pdf(report)
            t4 = time.perf_counter()
            print(
                f"  {report.key:30s} {t1 - t0:8.2f} {t2 - t1:8.2f} {t3 - t2:8.2f} {t4 - t3:8.2f}"
                f" {ratio(t3 - t2, t2 - t1):>12s} {ratio(t4 - t3, t2 - t1):>11s}"
                f"   ({len(figures)} charts)"
            )

        start = time.perf_counter()
        for code in CBSS_MEMBER_STATES:
            report = service.build_report(db, settings, "country", code, tables=tables)
            pdf(report)
        report = service.build_report(db, settings, "region", tables=tables)
        pdf(report)
        print(
            f"\n3. all ten country profiles and the regional overview as PDF: "
            f"{time.perf_counter() - start:.1f} s"
        )

        import typst

        from thbhub.reports.typst_pdf import source

        report = service.build_report(db, settings, "country", "LV", tables=tables)
        code = source(report).encode("utf-8")  # the charts drawn, as both typesettings need
        page = html(report)
        t0 = time.perf_counter()
        data = typst.compile(code, format="pdf", ignore_system_fonts=True, pdf_standards=["ua-1"])
        t1 = time.perf_counter()
        try:
            import weasyprint  # not a dependency: pip install weasyprint to compare
        except ImportError:
            print(
                f"\n4. Typst typesets the LV profile in {t1 - t0:.2f} s; WeasyPrint is not "
                "installed: no comparison"
            )
            return
        t2 = time.perf_counter()
        weasy = weasyprint.HTML(string=page).write_pdf(pdf_variant="pdf/ua-1")
        t3 = time.perf_counter()
        print(
            f"\n4. typesetting the LV profile (charts drawn beforehand): Typst {t1 - t0:.2f} s "
            f"({len(data or b''):,} bytes), WeasyPrint (from the HTML) {t3 - t2:.2f} s "
            f"({len(weasy or b''):,} bytes): WeasyPrint / Typst {(t3 - t2) / (t1 - t0):.1f}"
        )
        db.dispose()


if __name__ == "__main__":
    main()
