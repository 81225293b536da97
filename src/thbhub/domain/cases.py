"""The case-record model: one victim record, mapped onto the taxonomy.  No I/O here.

Every categorical field holds taxonomy concept ids (``sex:female``, ``age:18-20``,
``country:PL``, ``form:labour-exploitation``, ``means:debt-bondage``, ``sector:f``) plus a
:class:`ValueStatus` saying whether it was observed or why not.  Missing is not zero: a CTDC
empty cell (the original -99), a literal ``Unknown`` and a literal ``Missing`` are three
different statuses, and none of them is a zero count.

Source codes are resolved through the taxonomy's mappings first (``concept_mappings`` with
source ``ctdc``/``htcds``/``iso3166``); the tables here are the fallback for codes the
taxonomy does not map yet, so an import never depends on a mapping being present.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from thbhub.domain.errors import shown_value


class ValueStatus(StrEnum):
    """Why a field has (or lacks) a value; maps onto the observation model's statuses."""

    observed = "observed"
    not_recorded = "not-recorded"  # empty cell (CTDC's original -99): nobody recorded it
    unknown = "unknown"  # recorded explicitly as "Unknown" / NonSpecifiedUnknown
    missing = "missing"  # recorded explicitly as "Missing" (CTDC)


#: How each status reads in the observation model of the statistics area: all three
#: non-observed statuses are *missing* there, never a zero.
OBSERVATION_STATUS: dict[ValueStatus, str] = {
    ValueStatus.observed: "value",
    ValueStatus.not_recorded: "missing",
    ValueStatus.unknown: "missing",
    ValueStatus.missing: "missing",
}


class Identification(StrEnum):
    presumed = "presumed"  # HTCDS PossibleVictimOfTrafficking; CTDC registrations
    identified = "identified"  # HTCDS ActualVictimOfTrafficking
    not_victim = "not-victim"  # HTCDS NotAVictimOfTrafficking


class Recruiter(StrEnum):
    family = "family"
    intimate_partner = "intimate-partner"
    friend = "friend"
    acquaintance = "acquaintance"
    stranger = "stranger"
    other = "other"


#: CTDC ageBroad bands ("Age range 2" of the 2017 dictionary), in order: (low, high, id).
AGE_BANDS: tuple[tuple[int, int | None, str], ...] = (
    (0, 8, "age:0-8"),
    (9, 17, "age:9-17"),
    (18, 20, "age:18-20"),
    (21, 23, "age:21-23"),
    (24, 26, "age:24-26"),
    (27, 29, "age:27-29"),
    (30, 38, "age:30-38"),
    (39, 47, "age:39-47"),
    (48, None, "age:48-plus"),
)


def age_band(age: int) -> str:
    for low, high, cid in AGE_BANDS:
        if age >= low and (high is None or age <= high):
            return cid
    raise ValueError(f"age {age} is negative")


def ctdc_band_code(concept_id: str) -> str:
    """``age:18-20`` -> ``18--20`` (the CTDC spelling), ``age:48-plus`` -> ``48+``."""
    tail = concept_id.split(":", 1)[1]
    return "48+" if tail == "48-plus" else tail.replace("-", "--")


#: The main forms: one boolean column each in the analysis frame (case_frame).
MAIN_FORMS: tuple[str, ...] = (
    "form:sexual-exploitation",
    "form:labour-exploitation",
    "form:domestic-servitude",
    "form:forced-begging",
    "form:forced-criminality",
    "form:benefit-fraud",
    "form:forced-marriage",
    "form:illegal-adoption",
    "form:surrogacy-exploitation",
    "form:organ-removal",
    "form:forced-military",
    "form:child-soldiering",
    "form:other",
)

#: The multi-valued fields: each list of "yes" concepts has a list of "no" concepts beside it.
MULTI_FIELDS: tuple[str, ...] = ("forms", "means", "sectors", "recruiter")


def no_column(field_name: str) -> str:
    """``forms`` -> ``forms_no``: the column of the concepts answered "no"."""
    return f"{field_name}_no"


#: The categorical dimensions of a record, in display order.
DIMENSIONS: tuple[str, ...] = (
    "year",
    "sex",
    "age",
    "citizenship",
    "country",
    "form",
    "means",
    "sector",
    "recruiter",
    "identification",
)


@dataclass
class CaseRecord:
    """One victim record as stored (after pseudonymisation and mapping)."""

    source_format: str
    source_row: int
    source_ref: str | None = None
    person_key: str | None = None
    year: int | None = None
    year_status: ValueStatus = ValueStatus.not_recorded
    sex: str | None = None
    sex_status: ValueStatus = ValueStatus.not_recorded
    age: str | None = None
    age_status: ValueStatus = ValueStatus.not_recorded
    age_years: int | None = None
    citizenship: str | None = None
    citizenship_status: ValueStatus = ValueStatus.not_recorded
    country: str | None = None
    country_status: ValueStatus = ValueStatus.not_recorded
    forms: list[str] = field(default_factory=list)
    forms_status: ValueStatus = ValueStatus.not_recorded
    means: list[str] = field(default_factory=list)
    means_status: ValueStatus = ValueStatus.not_recorded
    sectors: list[str] = field(default_factory=list)
    sectors_status: ValueStatus = ValueStatus.not_recorded
    recruiter: list[str] = field(default_factory=list)
    recruiter_status: ValueStatus = ValueStatus.not_recorded
    # The concepts of each multi-valued field that the source answered "no" (and nothing
    # listed as "yes" maps to): with the lists above, a concept is yes, no, or not recorded
    # (in neither).  Missing is not zero, item by item.
    forms_no: list[str] = field(default_factory=list)
    means_no: list[str] = field(default_factory=list)
    sectors_no: list[str] = field(default_factory=list)
    recruiter_no: list[str] = field(default_factory=list)
    # The source's own items as it answered them, by source code: CTDC's flag columns
    # (``typeOfLabourAquafarming``: 1, 0 or -99; an empty cell is absent).  Two source
    # categories mapped to one concept (Agriculture and Aquafarming -> sector:a) and the
    # "not specified"/"unknown" flags stay distinct here; the CTDC export writes them back.
    answers: dict[str, Any] = field(default_factory=dict)
    identification: str | None = None
    identification_status: ValueStatus = ValueStatus.not_recorded
    referral: dict[str, Any] = field(default_factory=dict)
    # Other coded fields of the source kept for a faithful export (HTCDS picklists).
    extra: dict[str, Any] = field(default_factory=dict)
    # Free text the contributor opted in for, by source field name.
    free_text: dict[str, str] = field(default_factory=dict)
    # Data-quality notes on this record (e.g. "ctdc-lt-2002").
    flags: list[str] = field(default_factory=list)
    # HTCDS historic trafficking events, in the file's order: {"type": "Recruitment" |
    # "Transit" | "Exploitation" | None, "country": "country:XX" | None, "year": int | None}
    # (+ "description" when opted in).  Nothing finer than a country, no day or month.
    events: list[dict[str, Any]] = field(default_factory=list)
    events_status: ValueStatus = ValueStatus.not_recorded
    # HTCDS support plans: {"type": spl_Type value name | None, "planned_end_year",
    # "actual_end_year": int | None} (+ "objectives", "action_plan" when opted in).
    support: list[dict[str, Any]] = field(default_factory=list)
    support_status: ValueStatus = ValueStatus.not_recorded


def route_values(events: list[dict[str, Any]]) -> list[str]:
    """The stages of a victim's route as ``<type>:<country>`` (``Recruitment:country:UA``),
    each once, in the record's order; a part not recorded reads ``not-recorded``."""
    out = [
        f"{e.get('type') or 'not-recorded'}:{e.get('country') or 'not-recorded'}" for e in events
    ]
    return list(dict.fromkeys(out))


def support_values(plans: list[dict[str, Any]]) -> list[str]:
    """The types of a record's support plans, each once (``not-recorded`` for a plan
    without a type)."""
    return list(dict.fromkeys(p.get("type") or "not-recorded" for p in plans))


@dataclass(frozen=True)
class Problem:
    """One broken rule, located: the unit of every validation report."""

    file: str
    row: int  # 1-based line in the file as a spreadsheet shows it (header = 1)
    column: str
    value: str | None
    rule: str
    severity: str = "error"  # error: the row is invalid; warning: kept, reported
    sheet: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "rule": self.rule,
            "severity": self.severity,
        }

    def __str__(self) -> str:
        where = f"{self.file}" + (f", sheet {self.sheet!r}" if self.sheet else "")
        return (
            f"{where}, row {self.row}, column {self.column!r}: {self.rule}{shown_value(self.value)}"
        )


# --- fallback code tables (used when the taxonomy has no mapping for a code) -------------

SEX_CODES: dict[str, str] = {
    # CTDC 2017 and v2024
    "Female": "sex:female",
    "Male": "sex:male",
    "Woman": "sex:female",
    "Man": "sex:male",
    "Trans/Transgender/NonConforming": "sex:other",
    # HTCDS v2.0 value names (prs_Gender)
    "Feminine": "sex:female",
    "Masculine": "sex:male",
    "TransgenderFeminine": "sex:transgender-feminine",
    "TransgenderMasculine": "sex:transgender-masculine",
    "NonConforming": "sex:non-conforming",
}

#: HTCDS export of sex concepts (the reverse of SEX_CODES for HTCDS).
SEX_TO_HTCDS: dict[str, str] = {
    "sex:female": "Feminine",
    "sex:male": "Masculine",
    "sex:transgender-feminine": "TransgenderFeminine",
    "sex:transgender-masculine": "TransgenderMasculine",
    "sex:non-conforming": "NonConforming",
    "sex:other": "NonConforming",
}
SEX_TO_CTDC: dict[str, str] = {
    "sex:female": "Female",
    "sex:male": "Male",
}

MEANS_CODES: dict[str, str] = {
    # HTCDS field-table value names; Field Definitions.md spells some differently
    # (MethodsOfControlThreats, ...UsesChildren, ...PsychoactiveSubstances): both accepted.
    "PhysicalThreats": "means:physical-threats",
    "Threats": "means:physical-threats",
    "ThreatsLawEnforcement": "means:threats-law-enforcement",
    "ThreatOfLawEnforcement": "means:threats-law-enforcement",
    "ThreatensChildrenFamily": "means:threatens-children-family",
    "UsesChildren": "means:threatens-children-family",
    "DebtBondage": "means:debt-bondage",
    "FalsePromises": "means:false-promises",
    "PhysicalAbuse": "means:physical-abuse",
    "SexualAbuse": "means:sexual-abuse",
    "TakesEarnings": "means:takes-earnings",
    "RestrictsFinancialAccess": "means:restricts-financial-access",
    "RestrictsMovement": "means:restricts-movement",
    "RestrictsMedicalCare": "means:restricts-medical-care",
    "WithholdsNecessities": "means:withholds-necessities",
    "PsychologicalAbuse": "means:psychological-abuse",
    "PsychoactiveSubstance": "means:psychoactive-substances",
    "PsychoactiveSubstances": "means:psychoactive-substances",
    "ExcessiveWorkingHours": "means:excessive-working-hours",
    "WithholdsDocuments": "means:withholds-documents",
    "Other": "means:other",
    # CTDC v2024 merged variables (codebook Appendix II): one concept per merged group
    # (means.yaml holds them; the constituents map the variables only as `broad`).
    "meansDebtBondageEarnings": "means:debt-bondage-or-takes-earnings",
    "meansThreats": "means:threats-any",
    "meansAbusePsyPhySex": "means:abuse-any",
    "meansFalsePromises": "means:false-promises",
    "meansDrugsAlcohol": "means:psychoactive-substances",
    "meansDenyBasicNeeds": "means:denies-basic-needs",
    "meansExcessiveWorkHours": "means:excessive-working-hours",
    "meansWithholdDocs": "means:withholds-documents",
    "meansWithholdDocuments": "means:withholds-documents",
}

FORM_CODES: dict[str, str] = {
    # CTDC flags
    "isForcedLabour": "form:labour-exploitation",
    "isSexualExploit": "form:sexual-exploitation",
    "isOtherExploit": "form:other",
    "isForcedMarriage": "form:forced-marriage",
    "isForcedMilitary": "form:forced-military",
    "isOrganRemoval": "form:organ-removal",
    "typeOfSexProstitution": "form:prostitution",
    "typeOfSexPornography": "form:pornography",
    "typeOfSexRemoteInteractiveServices": "form:remote-interactive-sexual-services",
    "typeOfSexPrivateSexualServices": "form:private-sexual-services",
    "typeOfLabourBegging": "form:forced-begging",
    "typeOfLabourIllicitActivities": "form:forced-criminality",
    "typeOfLabourDomesticWork": "form:domestic-servitude",
    # HTCDS vic_TypeOfExploitation / vic_TypeOfSexExploitation value names
    "ForcedLabour": "form:labour-exploitation",
    "SexualExploitation": "form:sexual-exploitation",
    "ChildLabour": "form:child-labour",
    "ForcedMarriage": "form:forced-marriage",
    "Servitude": "form:slavery-and-servitude",
    "ForcedMilitaryByNonStateActors": "form:forced-military",
    "OrganRemoval": "form:organ-removal",
    "ForcedBegging": "form:forced-begging",
    "ForcedAdoption": "form:illegal-adoption",
    "Surrogacy": "form:surrogacy-exploitation",
    "Other": "form:other",
    "Prostitution": "form:prostitution",
    "Pornography": "form:pornography",
    "RemoteInteractiveServices": "form:remote-interactive-sexual-services",
    "PrivateSexualServices": "form:private-sexual-services",
}

SECTOR_CODES: dict[str, str] = {
    # CTDC typeOfLabour* flags -> ISIC sections
    "typeOfLabourAgriculture": "sector:a",
    "typeOfLabourAquafarming": "sector:a",
    "typeOfLabourConstruction": "sector:f",
    "typeOfLabourDomesticWork": "sector:t",
    "typeOfLabourHospitality": "sector:i",
    "typeOfLabourManufacturing": "sector:c",
    "typeOfLabourMiningOrDrilling": "sector:b",
    "typeOfLabourPeddling": "sector:g",
    "typeOfLabourTransportation": "sector:h",
}
# HTCDS vic_ForcedLabourIndustry value names are "<ISIC letter>_<Name>".
for _letter in "ABCDEFGHIJKLMNOPQRSTU":
    SECTOR_CODES[_letter] = f"sector:{_letter.lower()}"

RECRUITER_CODES: dict[str, Recruiter] = {
    # CTDC RecruiterRelationship values and recruiterRelation* flags
    "Family/Relative": Recruiter.family,
    "Intimate Partner": Recruiter.intimate_partner,
    "Friend": Recruiter.friend,
    "Other": Recruiter.other,
    "recruiterRelationFamily": Recruiter.family,
    "recruiterRelationIntimatePartner": Recruiter.intimate_partner,
    "recruiterRelationFriend": Recruiter.friend,
    "recruiterRelationOther": Recruiter.other,
    # HTCDS vic_RelationshipToTrafficker (the standard spells "Unaquainted")
    "Familial": Recruiter.family,
    "Acquainted": Recruiter.acquaintance,
    "Unaquainted": Recruiter.stranger,
    "Unacquainted": Recruiter.stranger,
}

IDENTIFICATION_CODES: dict[str, Identification] = {
    "PossibleVictimOfTrafficking": Identification.presumed,
    "ActualVictimOfTrafficking": Identification.identified,
    "NotAVictimOfTrafficking": Identification.not_victim,
}
