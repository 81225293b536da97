"""Exports of an organisation's case records and of its quarantine (policy-checked,
audited): the same calls serve the CLI, the API and the pages."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from thbhub.access import audit
from thbhub.cases.export import CTDC_COLUMNS, write_ctdc, write_htcds
from thbhub.cases.service import FORMATS, _check_read, quarantine, resolve_org
from thbhub.domain.errors import UserError
from thbhub.domain.principals import Principal
from thbhub.storage import Database
from thbhub.storage import cases as store


def export_cases(
    db: Database, principal: Principal, org: str | int, fmt: str, path: Path
) -> dict[str, Any]:
    """Write the owner's records as HTCDS (CSV, or Excel for .xlsx) or CTDC CSV; audited."""
    if fmt not in FORMATS:
        raise UserError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    with db.begin() as conn:
        org_id = resolve_org(conn, org)
        _check_read(conn, principal, org_id)
        rows = store.record_rows(conn, org_id)
        written = write_htcds(rows, path) if fmt == "htcds" else write_ctdc(rows, path)
        audit.record(
            conn,
            principal,
            "export",
            "case_records",
            organisation_id=org_id,
            rows=written,
            detail={"format": fmt, "file": path.name},
        )
    return {"file": str(path), "format": fmt, "rows": written, "organisation_id": org_id}


def export_quarantine(
    db: Database, principal: Principal, org: str | int, path: Path
) -> dict[str, Any]:
    """Write the unresolved quarantined rows as a CSV to fix and re-import: the row's cells
    in its source format, ``thb_QuarantineId`` (resolves the entry once the row imports)
    and ``thb_Problems`` (what to fix; ignored on import)."""
    rows = quarantine(db, principal, org)
    formats = {r["source_format"] for r in rows}
    if len(formats) > 1:
        raise UserError(
            "the quarantine holds rows of several formats "
            f"({', '.join(sorted(formats))}); fix them per import with `thbhub cases quarantine`"
        )
    fmt = formats.pop() if formats else "ctdc"
    columns: list[str] = list(CTDC_COLUMNS) if fmt.startswith("ctdc") else []
    for r in rows:
        columns += [c for c in r["cells"] if c not in columns]
    if not fmt.startswith("ctdc"):
        columns.append("thb_PersonKey")
    columns += ["thb_QuarantineId", "thb_Problems"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        for r in rows:
            problems = "; ".join(
                f"{p['column']}: {p['rule']}" + (f" (was {p['value']!r})" if p["value"] else "")
                for p in r["problems"]
            )
            extra = {"thb_QuarantineId": r["id"], "thb_Problems": problems}
            if not fmt.startswith("ctdc"):
                extra["thb_PersonKey"] = r["person_key"] or ""
            writer.writerow({**r["cells"], **extra})
    return {"file": str(path), "rows": len(rows), "format": fmt}
