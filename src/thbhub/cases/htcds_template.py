"""Case records written into the two Excel templates of HTCDS v2.0 exactly as IOM publishes
them: "HTCDS Excel Spreadsheet v2.0.xlsx" (``plain``: value names, multi-selects joined with
";") and "HTCDS Excel Spreadsheet single select with validation v2.0.xlsx" (``single-select``:
value labels and country names, one value per cell, lists on a "validation" sheet).

The layout is rebuilt here with openpyxl (IOM's files are not copied into the package).  What
a template has no column for is left out and counted; docs/cases.md ("Export and the round
trip") lists it and says why a single-select cell keeps the first of several values.
"""

from __future__ import annotations

import os
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from thbhub.cases.export import MEANS_TO_HTCDS, htcds_row, keep_as_text, xlsx_value
from thbhub.cases.htcds_fields import BY_NAME, GENDER
from thbhub.cases.htcds_table import LABELS, field_for
from thbhub.cases.vocab import norm
from thbhub.domain.cases import MEANS_CODES
from thbhub.storage.cases import code_table, country_names

TEMPLATES = ("plain", "single-select")
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ATTRIBUTION = (
    "Human Trafficking Case Data Standard (HTCDS) v2.0 by IOM, licensed under CC BY 4.0 "
    "(http://creativecommons.org/licenses/by/4.0/); template layout rebuilt and filled by "
    "THB Hub. IOM does not endorse THB Hub or the data in this file."
)

#: Rows 1 and 2 of both published templates from column B on (column A numbers the rows):
#: the field name as published (None where the template leaves it blank) and the label under
#: it.  The labels of the mailing address are in another order than the names above them.
PUBLISHED_HEADER: tuple[tuple[str | None, str], ...] = (
    ("cas_CaseOwner", "Case Owner"),
    ("prs_Salutation", "Salutation"),
    ("prs_FirstName", "First Name"),
    ("prs_SecondName", "Second Name"),
    ("con_Consent", "Consent"),
    ("prs_Birthdate", "Birthdate"),
    ("prs_Gender", "Gender"),
    ("prs_Citizenship", "Citizenship"),
    ("prs_Title", "Title"),
    ("prs_Email", "Email"),
    ("prs_HomePhone", "Home Phone"),
    ("prs_MobilePhone", "Mobile Phone"),
    ("prs_MailingCity", "Mailing Street"),
    ("prs_MailingCountry", "Mailing City"),
    ("prs_MailingState", "Mailing State/Province"),
    ("prs_MailingStreet", "Mailing Zip/Postal Code"),
    ("prs_MailingPostalCode", "Mailing Country"),
    ("vic_TraffickingStatus", "Trafficking Status"),
    ("vic_TraffickinStatusDecisionMakingOrg", "Trafficking Status Decision Making Organization"),
    ("vic_MethodOfRecruitment", "Method of Recruitment"),
    ("vic_LocationOfRecruitment", "Location of Recruitment"),
    ("vic_MethodsOfControl", "Methods of Control"),
    ("vic_TypeOfExploitation", "Type of Exploitation"),
    ("vic_ForcedLabourIndustry", "Forced Labour Industry"),
    ("vic_TypeOfSexExploitation", "Type of Sex Exploitation"),
    ("vic_LocationOfExploitation", "Location of Exploitation"),
    ("cas_Status", "Status"),
    ("cas_ReferringOrganisation", "Referring Organisation"),
    ("cas_IncomingReferralDate", "Incoming Referral Date"),
    ("cas_ReferringPrimaryCaseWorker", "Referring Primary Case Worker"),
    ("cas_ReasonForIncomingReferral", "Reason for Incoming Referral"),
    ("cas_IncomingReferralDetails", "Incoming Referral Details"),
    ("cas_ReferredOrganisation", "Referred Organisation"),
    ("cas_ReferredPrimaryCaseWorker", "Referred Primary Case Worker"),
    (None, "Reason for Outgoing Referral"),
    ("cas_OutgoingReferralDate", "Outgoing Referral Date"),
    ("cas_OutgoingReferralDetails", "Outgoing Referral Details"),
    ("cas_ReasonForCaseClosure", "Reason for Case Closure"),
)


def _column_field(name: str | None, label: str) -> str:
    # the importer's own rule: the name says which field, else (blank name) the label
    found = field_for(name)[0] if name else LABELS.get(norm(label))
    assert found is not None, (name, label)
    return found


#: The field each column holds, column B first.
COLUMNS: tuple[str, ...] = tuple(_column_field(n, lab) for n, lab in PUBLISHED_HEADER)
NUMBERED_ROWS = 1000  # the published templates number 1000 empty rows
DATE_FORMAT = "mm-dd-yy"  # Excel's built-in short date (shown in the reader's locale)


@dataclass(frozen=True)
class Layout:
    sheet: str
    title: str
    labels: bool  # value labels and country names instead of value names and codes


LAYOUTS = {
    "plain": Layout("Sheet1", "HTCDS Excel Spreadsheet v2.0", labels=False),
    "single-select": Layout(
        "Case Sheet", "HTCDS Excel Spreadsheet single select with validation v2.0", labels=True
    ),
}

# --- value labels as the single-select template spells them ----------------------------------

#: Where the single-select template's lists differ from the field table's labels: its gender
#: list holds the value names, and it writes "Follow up", "Debt bondage " (with the trailing
#: space) and "Migration Or Change Of Location".  Written its way so that its lists (and
#: IOM's own copy of the workbook) accept the values; the importer reads both spellings.
_SPELLING: dict[str, dict[str, str]] = {
    "prs_Gender": {n: n for n, _ in GENDER},
    "vic_MethodsOfControl": {"DebtBondage": "Debt bondage "},
    "cas_Status": {"FollowUp": "Follow up"},
    "cas_ReasonForIncomingReferral": {
        "MigrationOrChangeOfLocation": "Migration Or Change Of Location"
    },
    "cas_ReasonForOutgoingReferral": {
        "MigrationOrChangeOfLocation": "Migration Or Change Of Location"
    },
}


def canonical(field_name: str, name: str) -> str:
    """The field table's value name for a synonym the importer accepts (Field Definitions.md's
    ``Threats`` is ``PhysicalThreats``): the same concept, as the template's list spells it."""
    if field_name == "vic_MethodsOfControl":
        return MEANS_TO_HTCDS.get(MEANS_CODES.get(name, ""), name)
    return name


@cache
def template_values(field_name: str) -> Mapping[str, str]:
    """value name -> the text the single-select template holds, in the field table's order
    (synonyms left out: they are written as the value they stand for)."""
    out: dict[str, str] = {}
    spelling = _SPELLING.get(field_name, {})
    for name, label in BY_NAME[field_name].codes:
        if canonical(field_name, name) == name and name not in out:
            out[name] = spelling.get(name, label)
    return out


def country_names_for_template(conn: Connection) -> dict[str, str]:
    """country concept id -> the name the single-select template uses: the HTCDS name where
    the taxonomy maps one (IOM's list, e.g. "Bolivia (Plurinational State of)"), else the
    English label.  Every name resolves back to its id through the importer's lookup."""
    out: dict[str, str] = {}
    for code, ids in sorted(code_table(conn, "htcds").items()):
        if len(code) > 3 or not code.isupper():  # a name, not an ISO code
            for cid in ids:
                if cid.startswith("country:"):
                    out.setdefault(cid, code)
    # country_names lists each concept's English label before its alternative labels
    for name, cid in country_names(conn).items():
        out.setdefault(cid, name)
    return out


# --- the "validation" sheet -------------------------------------------------------------------

#: The published "validation" sheet: one list per column from B, header in row 3, values from
#: row 4 (None: not a field's code list).
LOOKUPS: tuple[tuple[str, str | None], ...] = (
    ("Gender", "prs_Gender"),
    ("Date Start", None),
    ("Country Code", None),
    ("Country", None),
    ("Method of Recruitment", "vic_MethodOfRecruitment"),
    ("Methods of Control", "vic_MethodsOfControl"),
    ("Type of Exploitation", "vic_TypeOfExploitation"),
    ("Forced Labour Industry", "vic_ForcedLabourIndustry"),
    ("Type of Sex Exploitation", "vic_TypeOfSexExploitation"),
    ("Vulnerabilities", "vic_Vulnerabilities"),
    ("Status", "cas_Status"),
    ("Reason for Incoming Referral", "cas_ReasonForIncomingReferral"),
    ("Reason for Outgoing Referral", "cas_ReasonForOutgoingReferral"),
    ("Trafficking Status", "vic_TraffickingStatus"),
    ("Trafficking Status Decision Making Organization", "vic_TraffickingStatusDecisionMakingOrg"),
)
_FIRST_VALUE_ROW = 4


def _sort_key(name: str) -> str:
    # alphabetical as a reader expects: "Åland Islands" beside "Albania"
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()


def lookup_lists(countries: Mapping[str, str]) -> list[tuple[str, list[Any]]]:
    """(header, values) of each column of the validation sheet, column B first."""
    ordered = sorted(countries.items(), key=lambda kv: _sort_key(kv[1]))
    out: list[tuple[str, list[Any]]] = []
    for header, source in LOOKUPS:
        if source is not None:
            out.append((header, list(template_values(source).values())))
        elif header == "Date Start":  # the bounds of the date validation
            out.append((header, [date(1900, 1, 1), "Date Finish", date(2100, 1, 1)]))
        elif header == "Country Code":
            out.append((header, [cid.split(":", 1)[1] for cid, _ in ordered]))
        else:
            out.append((header, [name for _, name in ordered]))
    return out


# --- writing -----------------------------------------------------------------------------------


@dataclass
class TemplateExport:
    rows: int = 0
    #: field -> records with a value the template has no column for
    left_out: Counter[str] = field(default_factory=Counter)
    #: field -> records of which a single-select cell kept the first of several values
    single_valued: Counter[str] = field(default_factory=Counter)


def describe(counts: Mapping[str, int]) -> str:
    """``thb_PersonKey (2 records), vic_AgeWhenTrafficked (1 record)``, by field name."""
    return ", ".join(f"{f} ({n} record{'' if n == 1 else 's'})" for f, n in sorted(counts.items()))


def _texts(field_name: str, value: Any, layout: Layout, countries: Mapping[str, str]) -> list[Any]:
    values = value if isinstance(value, list) else [value]
    kind = BY_NAME[field_name].kind
    if kind == "date":
        return [date.fromisoformat(str(v)[:10]) for v in values]
    if kind == "bool":
        # an Excel boolean, as a cell typed TRUE in the template holds it
        return [v is True or v == "TRUE" for v in values]
    if not layout.labels:
        return [v if isinstance(v, int) else str(v) for v in values]
    if kind in ("country", "countries"):
        return list(dict.fromkeys(countries.get(f"country:{v}", str(v)) for v in values))
    if kind in ("pick", "multi"):
        labels = template_values(field_name)
        return list(dict.fromkeys(labels.get(canonical(field_name, v), v) for v in values))
    return [str(v) for v in values]


def _left_out(mapped: dict[str, Any]) -> list[str]:
    """Fields of one record with a value the template has no column for."""
    out = []
    for name, value in mapped.items():
        if name in COLUMNS or value in (None, "", []):
            continue
        # the importer takes the year of the incoming referral date when no year is given
        incoming = str(mapped.get("cas_IncomingReferralDate") or "")
        if name == "thb_YearOfRegistration" and incoming[:4] == str(value):
            continue
        out.append(name)
    return out


def _case_sheet(ws: Any, layout: Layout) -> None:
    from openpyxl.styles import Alignment, Font

    ws.title = layout.sheet
    header = Font(name="Arial", size=10, bold=True)
    wrap = Alignment(horizontal="left", vertical="top", wrap_text=True)
    for col, (name, label) in enumerate(PUBLISHED_HEADER, start=2):
        ws.cell(row=1, column=col, value=name)
        cell = ws.cell(row=2, column=col, value=label)
        cell.font, cell.alignment = header, wrap
    # as published: the field names sit in a hidden row 1, the labels show in row 2
    ws.row_dimensions[1].hidden = True
    ws.row_dimensions[2].height = 84
    ws.sheet_view.topLeftCell = "A2"


def _validation(wb: Any, ws: Any, countries: Mapping[str, str]) -> None:
    """The "validation" sheet and the data validation of the case sheet's columns."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    lists = wb.create_sheet("validation")
    lists["A1"] = "Validation Lookups"
    lists["A1"].font = Font(bold=True)
    where: dict[str, str] = {}  # header -> the range of its values
    for col, (header, values) in enumerate(lookup_lists(countries), start=2):
        letter = get_column_letter(col)
        lists.cell(row=3, column=col, value=header).font = Font(bold=True)
        for i, value in enumerate(values):
            cell = lists.cell(row=_FIRST_VALUE_ROW + i, column=col, value=value)
            if isinstance(value, date):
                cell.number_format = DATE_FORMAT
        last = _FIRST_VALUE_ROW + len(values) - 1
        where[header] = f"validation!${letter}${_FIRST_VALUE_ROW}:${letter}${last}"
        lists.column_dimensions[letter].width = 46 if header == "Country" else 22
    lists.column_dimensions["A"].width = 3.3
    by_field = {source: header for header, source in LOOKUPS if source}
    by_field["prs_Citizenship"] = "Country"
    for col, name in enumerate(COLUMNS, start=2):
        span = f"{get_column_letter(col)}3:{get_column_letter(col)}1048576"
        if name in by_field:
            dv = DataValidation(type="list", formula1=where[by_field[name]], allow_blank=True)
        elif BY_NAME[name].kind == "date":
            # the published file points its date rule at the wrong cells (F4, F6); the bounds
            # are the Date Start and Date Finish of column C
            dv = DataValidation(
                type="date",
                operator="between",
                formula1="validation!$C$4",
                formula2="validation!$C$6",
                allow_blank=True,
            )
        else:
            continue
        dv.showErrorMessage = dv.showInputMessage = True
        dv.add(span)
        ws.add_data_validation(dv)


def _about(wb: Any, report: TemplateExport) -> None:
    from openpyxl.styles import Font

    about = wb.create_sheet("about", 1)
    lines = ["Microsoft Excel HTCDS 2.0", "https://github.com/UNMigration/HTCDS", ATTRIBUTION]
    if report.left_out:
        lines.append(
            "Not in this template (kept in THB Hub; export without a template to keep them): "
            + describe(report.left_out)
        )
    if report.single_valued:
        lines.append(
            "Single-select cells hold the first of several values; the others are in the "
            "cell's comment: " + describe(report.single_valued)
        )
    for i, line in enumerate(lines, start=1):
        about.cell(row=i, column=1, value=line).font = Font(bold=i <= 2)


def write_template(
    rows: Sequence[dict[str, Any]],
    path: Path,
    template: str,
    countries: Mapping[str, str] | None = None,
) -> TemplateExport:
    """Write stored records into the published template ``template`` at ``path`` (.xlsx).

    ``countries`` (concept id -> name) is needed for the single-select template; see
    :func:`country_names_for_template`.  The file appears whole or not at all.
    """
    import openpyxl
    from openpyxl.comments import Comment

    layout = LAYOUTS[template]
    names = countries or {}
    report = TemplateExport(rows=len(rows))
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    _case_sheet(ws, layout)
    for i, record in enumerate(rows):
        line = 3 + i
        mapped = htcds_row(record)
        report.left_out.update(_left_out(mapped))
        for col, name in enumerate(COLUMNS, start=2):
            value = mapped.get(name)
            if value in (None, "", []):
                continue
            texts = _texts(name, value, layout, names)
            cell = ws.cell(row=line, column=col)
            if layout.labels and len(texts) > 1:
                # one value per cell: the first recorded; the others stay visible beside it
                report.single_valued[name] += 1
                others = "\n".join(f"- {xlsx_value(str(t))}" for t in texts[1:])
                cell.comment = Comment(
                    f"THB Hub: this single-select cell holds one value. Also recorded:\n"
                    f"{others}\nExport with --template plain to keep every value.",
                    "THB Hub",
                )
                texts = texts[:1]
            cell.value = xlsx_value(texts[0] if len(texts) == 1 else ";".join(map(str, texts)))
            if isinstance(cell.value, date):
                cell.number_format = DATE_FORMAT
            keep_as_text(cell)
    for number in range(1, max(NUMBERED_ROWS, len(rows)) + 1):
        ws.cell(row=2 + number, column=1, value=number)
    if layout.labels:
        _about(wb, report)
        _validation(wb, ws, names)
    wb.properties.title = layout.title
    wb.properties.creator = "THB Hub"
    wb.properties.description = ATTRIBUTION
    # save beside the target, then rename: a failed export leaves no half-written file
    partial = path.with_name(f".{path.name}.partial")
    try:
        wb.save(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return report
