"""Exports of an organisation's case records and of its quarantine (policy-checked,
audited): the same calls serve the CLI, the API and the pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from thbhub import csvio
from thbhub.access import audit
from thbhub.cases.export import CTDC_COLUMNS, write_ctdc, write_htcds
from thbhub.cases.htcds_template import TEMPLATES, country_names_for_template, write_template
from thbhub.cases.service import FORMATS, _check_read, quarantine, resolve_org
from thbhub.domain.errors import UserError
from thbhub.domain.principals import Principal
from thbhub.storage import Database
from thbhub.storage import cases as store


def check_template(fmt: str, template: str, path: Path) -> None:
    """Refuse, before anything is read or written, a template that cannot be written."""
    if template not in TEMPLATES:
        raise UserError(f"unknown template {template!r}; use one of {', '.join(TEMPLATES)}")
    if fmt != "htcds":
        raise UserError(
            f"--template fills an HTCDS Excel template; CTDC has none: drop --template or "
            f"use --format htcds (got --format {fmt})"
        )
    if path.suffix.lower() != ".xlsx":
        raise UserError(
            f"{path.name}: --template {template} writes an Excel workbook; "
            "name the output file .xlsx"
        )


#: The file types each export writes.
_SUFFIXES = {"htcds": (".csv", ".xlsx"), "ctdc": (".csv",), "fix": (".csv",)}


def prepare_output(path: Path, kind: str) -> None:
    """Refuse, before anything is read (or audited), an output the export cannot write, and
    create it readable by its owner only: case records are personal data, and a file left
    readable by every account on the machine is a leak (the umask would make it so)."""
    if path.is_dir():
        raise UserError(f"{path}: is a directory; give a file name")
    if not path.parent.is_dir():
        raise UserError(f"{path}: the directory {path.parent} does not exist")
    allowed = _SUFFIXES[kind]
    if path.suffix.lower() not in allowed:
        what = "the fix file" if kind == "fix" else f"--format {kind}"
        raise UserError(
            f"{path.name}: {what} is written as {' or '.join(allowed)}; name the file so"
        )
    try:
        path.touch(mode=0o600)
        path.chmod(0o600)
    except OSError as exc:
        raise UserError(f"{path}: cannot be written ({exc.strerror})") from exc


def export_cases(
    db: Database,
    principal: Principal,
    org: str | int,
    fmt: str,
    path: Path,
    template: str | None = None,
) -> dict[str, Any]:
    """Write the owner's records as HTCDS (CSV, or Excel for .xlsx) or CTDC CSV; audited.

    ``template`` (``plain`` or ``single-select``) fills the published HTCDS Excel template
    exactly instead of the hub layout; ``left_out`` then counts, per field, the records with
    a value the template has no column for, and ``single_valued`` the records of which a
    single-select cell kept only the first of several values.
    """
    if fmt not in FORMATS:
        raise UserError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if template is not None:
        check_template(fmt, template, path)
    created = not path.exists()
    prepare_output(path, fmt)
    try:
        return _export(db, principal, org, fmt, path, template)
    except BaseException:
        if created:  # nothing of a failed export is left behind
            path.unlink(missing_ok=True)
        raise


def _export(
    db: Database, principal: Principal, org: str | int, fmt: str, path: Path, template: str | None
) -> dict[str, Any]:
    left_out: dict[str, int] = {}
    single_valued: dict[str, int] = {}
    with db.read() as conn:
        org_id = resolve_org(conn, org)
        _check_read(conn, principal, org_id)
        rows = store.record_rows(conn, org_id)
        if template is not None:
            countries = country_names_for_template(conn) if template == "single-select" else {}
            report = write_template(rows, path, template, countries)
            written = report.rows
            left_out, single_valued = dict(report.left_out), dict(report.single_valued)
        else:
            written = write_htcds(rows, path) if fmt == "htcds" else write_ctdc(rows, path)
        detail: dict[str, Any] = {"format": fmt, "file": path.name}
        if template is not None:
            detail["template"] = template
        audit.record(
            conn,
            principal,
            "export",
            "case_records",
            organisation_id=org_id,
            rows=written,
            detail=detail,
        )
    return {
        "file": str(path),
        "format": fmt,
        "template": template,
        "rows": written,
        "organisation_id": org_id,
        "left_out": dict(sorted(left_out.items())),
        "single_valued": dict(sorted(single_valued.items())),
    }


def export_quarantine(
    db: Database, principal: Principal, org: str | int, path: Path
) -> dict[str, Any]:
    """Write the unresolved quarantined rows as a CSV to fix and re-import: the row's cells
    in its source format, ``thb_QuarantineId`` (resolves the entry once the row imports)
    and ``thb_Problems`` (what to fix; ignored on import)."""
    created = not path.exists()
    prepare_output(path, "fix")
    try:
        rows = quarantine(db, principal, org)
    except BaseException:
        if created:
            path.unlink(missing_ok=True)
        raise
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
        writer = csvio.DictWriter(fh, fieldnames=columns)
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
