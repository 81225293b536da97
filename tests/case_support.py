"""Helpers for the case-record tests: organisations, principals and small case files."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from thbhub.cases.export import CTDC_COLUMNS
from thbhub.domain.principals import Principal, Role
from thbhub.storage import Database
from thbhub.storage.cases import add_organisation


def make_org(db: Database, name: str, country: str = "PL") -> int:
    with db.begin() as conn:
        return add_organisation(conn, name, country=country)


def member(org_id: int, role: Role = Role.contributor, user_id: int = 1) -> Principal:
    return Principal(
        role=role,
        user_id=user_id,
        email=f"u{user_id}@org{org_id}.example",
        organisation_id=org_id,
        origin="web",
    )


def publish(db: Database, owner: Principal, import_id: int) -> None:
    """Submit an import as its owner's contributor and publish it as an admin: only then do
    its records count in the public tables."""
    from thbhub.cases.publication import move_import

    admin = Principal(role=Role.admin, email="admin@secretariat.example", origin="web")
    move_import(db, owner, import_id, "submitted")
    move_import(db, admin, import_id, "published")


def write_csv(path: Path, header: list[str], rows: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, extrasaction="raise")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in header})
    return path


def ctdc_row(**values: Any) -> dict[str, Any]:
    """One CTDC global-dataset row: a female adult from UA exploited in PL, sexual
    exploitation, with the given cells overriding."""
    row = dict.fromkeys(CTDC_COLUMNS, "")
    row.update(
        {
            "X": "1",
            "yearOfRegistration": "2015",
            "Datasource": "Case Management",
            "gender": "Female",
            "ageBroad": "18--20",
            "majorityStatus": "Adult",
            "citizenship": "UA",
            "CountryOfExploitation": "PL",
            "isSexualExploit": "1",
            "isForcedLabour": "0",
            "RecruiterRelationship": "Unknown",
            "recruiterRelationUnknown": "1",
        }
    )
    row.update(values)
    return row


def write_ctdc(path: Path, rows: list[dict[str, Any]]) -> Path:
    return write_csv(path, CTDC_COLUMNS, rows)


#: Identifiers planted in HTCDS rows; none may ever reach the database.
PLANTED = {
    "prs_FirstName": "Zbigniewa",
    "prs_SecondName": "Qwertyńska",
    "prs_MiddleName": "Xanthippe",
    "prs_Birthdate": "1994-03-17",
    "prs_Email": "zbig.qwerty@example.org",
    "prs_MobilePhone": "+48 601 555 017",
    "prs_HomePhone": "+48 22 555 0199",
    "prs_IdentityNumber": "ABX123987",
    "prs_MailingStreet": "Ulica Zmyslona 17",
    "prs_MailingCity": "Kwiatkowo",
    "prs_MailingPostalCode": "00-950",
    "cas_CaseOwner": "Officer Kowalczykowa",
    "cas_ReferringPrimaryCaseWorker": "Worker Brzęczyszczykiewicz",
    "cas_IncomingReferralDetails": "Met Zbigniewa at the Kwiatkowo station",
    "cco_CaseComment": "Call Zbigniewa on +48 601 555 017",
    # where a historic trafficking event took place, finer than its country
    "hte_Street": "Fabryczna 9",
    "hte_City": "Wolomierzyce",
    "hte_State": "Zachodniopomorze Gorne",
    "hte_PostalCode": "62-871",
    "hte_Latitude": "52.40692",
    "hte_Longitude": "16.92993",
    "hte_Description": "Held above the bakery on Fabryczna 9",
    "spl_Objectives": "Move Zbigniewa away from Wolomierzyce",
    "spl_ActionPlan": "Shelter bed booked via the Wolomierzyce parish",
}

HTCDS_HEADER = [
    "prs_FirstName",
    "prs_MiddleName",
    "prs_SecondName",
    "prs_Birthdate",
    "prs_Gender",
    "prs_Citizenship",
    "prs_Email",
    "prs_MobilePhone",
    "prs_HomePhone",
    "prs_IdentityNumber",
    "prs_MailingStreet",
    "prs_MailingCity",
    "prs_MailingPostalCode",
    "cas_CaseOwner",
    "con_Consent",
    "vic_TraffickingStatus",
    "vic_TraffickingStatusDecisionMakingOrg",
    "vic_RelationshipToTrafficker",
    "vic_AgeWhenTrafficked",
    "vic_MethodOfRecruitment",
    "vic_MethodsOfControl",
    "vic_TypeOfExploitation",
    "vic_ForcedLabourIndustry",
    "vic_TypeOfSexExploitation",
    "vic_LocationOfExploitation",
    "cas_Status",
    "cas_ReferringOrganisation",
    "cas_IncomingReferralDate",
    "cas_ReferringPrimaryCaseWorker",
    "cas_ReasonForIncomingReferral",
    "cas_IncomingReferralDetails",
    "cco_CaseComment",
    "hte_Type",
    "hte_Country",
    "hte_Date",
    "hte_Street",
    "hte_City",
    "hte_State",
    "hte_PostalCode",
    "hte_Latitude",
    "hte_Longitude",
    "hte_Description",
    "spl_Type",
    "spl_PlannedEndDate",
    "spl_Objectives",
    "spl_ActionPlan",
]


def htcds_rows() -> list[dict[str, Any]]:
    """Three HTCDS rows in canonical value names; the first carries the planted identifiers."""
    first = {
        **PLANTED,
        "prs_Gender": "Feminine",
        "prs_Citizenship": "UA",
        "con_Consent": "TRUE",
        "vic_TraffickingStatus": "ActualVictimOfTrafficking",
        "vic_TraffickingStatusDecisionMakingOrg": "Police",
        "vic_RelationshipToTrafficker": "Acquainted",
        "vic_AgeWhenTrafficked": "29",
        "vic_MethodOfRecruitment": "ThroughOnlineSocialNetworks;AtWork",
        "vic_MethodsOfControl": "DebtBondage;WithholdsDocuments;ExcessiveWorkingHours",
        "vic_TypeOfExploitation": "ForcedLabour",
        "vic_ForcedLabourIndustry": "F_Construction",
        "vic_LocationOfExploitation": "PL",
        "cas_Status": "Active",
        "cas_ReferringOrganisation": "La Strada Polska",
        "cas_IncomingReferralDate": "2023-05-02",
        "cas_ReasonForIncomingReferral": "AdditionalServicesRequired",
        # dates as the export writes them back: their year only
        "hte_Type": "Exploitation",
        "hte_Country": "PL",
        "hte_Date": "2023",
        "spl_Type": "LabourExploitationRehabilitation",
        "spl_PlannedEndDate": "2024",
    }
    second = {
        "prs_FirstName": "Anna",
        "prs_SecondName": "Example",
        "prs_Gender": "Masculine",
        "prs_Citizenship": "LT",
        "vic_TraffickingStatus": "PossibleVictimOfTrafficking",
        "vic_AgeWhenTrafficked": "16",
        "vic_MethodsOfControl": "PsychologicalAbuse",
        "vic_TypeOfExploitation": "SexualExploitation;ForcedBegging",
        "vic_TypeOfSexExploitation": "Prostitution",
        "vic_LocationOfExploitation": "SE",
        "cas_Status": "FollowUp",
        "cas_IncomingReferralDate": "2024-01-15",
    }
    third = {
        "prs_Gender": "NonSpecifiedUnknown",
        "vic_TraffickingStatus": "ActualVictimOfTrafficking",
        "vic_TypeOfExploitation": "Other",
        "cas_IncomingReferralDate": "2024-11-30",
    }
    return [first, second, third]
