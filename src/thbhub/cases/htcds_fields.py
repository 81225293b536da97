# ruff: noqa: E501  (the standard's labels are long; kept verbatim)
"""HTCDS v2.0 fields and code lists, from the standard's field table (value names and value
labels) with the spellings its other files use.

Where the standard's own files disagree, every spelling is accepted (docs/cases.md lists
them): the templates' ``vic_TraffickinStatusDecisionMakingOrg``; the XLSForm's
``prs_First_Name``, ``prs_Second_Name`` and ``vic_Methods_of_Control``; the single-select
template's ``Follow up`` and ``Migration Or Change Of Location``; ``Debt bondage `` with a
trailing space; labels with non-breaking spaces (XLSForm gender labels); Field
Definitions.md's ``Threats``, ``UsesChildren``, ``ThreatOfLawEnforcement`` and
``PsychoactiveSubstances``; ``Unaquainted`` as the standard spells it and ``Unacquainted``.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- code lists: (value name, value label) -----------------------------------------------

GENDER = [
    ("Feminine", "Feminine"),
    ("Masculine", "Masculine"),
    ("TransgenderFeminine", "Transgender Feminine"),
    ("TransgenderMasculine", "Transgender Masculine"),
    ("NonConforming", "Non-Conforming"),
    ("NonSpecifiedUnknown", "Not Specified/Unknown"),
]
TRAFFICKING_STATUS = [
    ("PossibleVictimOfTrafficking", "Possible victim of trafficking"),
    ("ActualVictimOfTrafficking", "Actual victim of trafficking"),
    ("NotAVictimOfTrafficking", "Not a victim of trafficking"),
]
DECISION_ORG = [
    ("Police", "Police"),
    ("NGO", "NGO"),
    ("CourtOrProsecution", "Court or prosecution"),
    ("NonPoliceGovernmentalOrganization", "Non-police governmental organization"),
    ("Other", "Other"),
]
RELATIONSHIP = [
    ("Familial", "Familial"),
    ("Acquainted", "Acquainted"),
    ("Unaquainted", "Unaquainted"),
    ("Unacquainted", "Unacquainted"),
]
APPS = [
    (n, n)
    for n in [
        "Facebook",
        "Instagram",
        "WhatsApp",
        "Telegram",
        "FacebookMessenger",
        "Viber",
        "SnapChat",
        "Line",
        "4Sale",
        "WeChat",
        "QQ",
        "QZone",
        "TikTok",
        "Twitter",
        "Other",
    ]
] + [("FacebookMessenger", "Facebook Messenger")]
RECRUITMENT = [
    ("AtAPlaceOfBusiness", "At a place of business"),
    ("AtAnEducationalInstitution", "At an educational institution"),
    ("AtWork", "At work"),
    ("ThroughOnlineSocialNetworks", "Through online social networks"),
    ("ThroughAnOnlineAdvertisement", "Through an online advertisement"),
    ("ThroughATelevisionAdvert", "Through a television advert"),
    ("ThroughANewspaperAdvert", "Through a newspaper advert"),
    ("ThroughFamilyOrFamilyEvents", "Through family or family events"),
    ("ThroughFriendsOrSocialEvents", "Through friends or social events"),
    ("Other", "Other"),
]
METHODS_OF_CONTROL = [
    ("PhysicalThreats", "Physical threats"),
    ("ThreatsLawEnforcement", "Threats of law enforcement"),
    ("ThreatensChildrenFamily", "Threatens children/family"),
    ("DebtBondage", "Debt bondage"),
    ("FalsePromises", "False promises"),
    ("PhysicalAbuse", "Physical abuse"),
    ("SexualAbuse", "Sexual abuse"),
    ("TakesEarnings", "Takes earnings"),
    ("RestrictsFinancialAccess", "Restricts financial access"),
    ("RestrictsMedicalCare", "Restricts medical care"),
    ("WithholdsNecessities", "Withholds necessities"),
    ("PsychologicalAbuse", "Psychological abuse"),
    ("PsychoactiveSubstance", "Psychoactive substance"),
    ("ExcessiveWorkingHours", "Excessive working hours"),
    ("WithholdsDocuments", "Withholds documents"),
    ("Other", "Other"),
    # Field Definitions.md spells these as MethodsOfControl<Name>
    ("Threats", "Threats"),
    ("UsesChildren", "Uses children"),
    ("ThreatOfLawEnforcement", "Threat of law enforcement"),
    ("PsychoactiveSubstances", "Psychoactive substances"),
    ("RestrictsMovement", "Restricts movement"),
]
TYPE_OF_EXPLOITATION = [
    ("ForcedLabour", "Forced labour"),
    ("SexualExploitation", "Sexual exploitation"),
    ("ChildLabour", "Child labour"),
    ("ForcedMarriage", "Forced marriage"),
    ("Servitude", "Servitude"),
    ("ForcedMilitaryByNonStateActors", "Forced military (by non-state actors)"),
    ("OrganRemoval", "Organ removal"),
    ("ForcedBegging", "Forced begging"),
    ("ForcedAdoption", "Forced adoption"),
    ("Surrogacy", "Surrogacy"),
    ("Other", "Other"),
]
INDUSTRY = [
    ("A_AgricultureForestryAndFishing", "Agriculture, forestry and fishing"),
    ("B_MiningAndQuarrying", "Mining and quarrying"),
    ("C_Manufacturing", "Manufacturing"),
    (
        "D_ElectricityGasSteamAndAirConditioningSupply",
        "Electricity, gas, steam and air conditioning supply",
    ),  # noqa: E501
    (
        "E_WaterSupplySewerageWasteManagement",
        "Water supply; sewerage, waste management and remediation",
    ),  # noqa: E501
    ("F_Construction", "Construction"),
    (
        "G_WholesaleAndRetailTradeRepairOfMotorVehicles",
        "Wholesale and retail trade; repair of motor vehicles and motorcycles",
    ),  # noqa: E501
    ("H_TransportationAndStorage", "Transportation and storage"),
    ("I_AccommodationAndFoodServiceActivities", "Accommodation and food service activities"),
    ("J_InformationAndCommunication", "Information and communication"),
    ("K_FinancialAndInsuranceActivities", "Financial and insurance activities"),
    ("L_RealEstateActivities", "Real estate activities"),
    (
        "M_ProfessionalScientificAndTechnicalActivities",
        "Professional, scientific and technical activities",
    ),  # noqa: E501
    (
        "N_AdministrativeAndSupportServiceActivities",
        "Administrative and support service activities",
    ),  # noqa: E501
    (
        "O_PublicAdministrationAndDefence",
        "Public administration and defence; compulsory social security",
    ),  # noqa: E501
    ("P_Education", "Education"),
    ("Q_HumanHealthAndSocialWorkActivities", "Human health and social work activities"),
    ("R_ArtsEntertainmentAndRecreation", "Arts, entertainment and recreation"),
    ("S_OtherServiceActivities", "Other service activities"),
    (
        "T_ActivitiesOfHouseholdsAsEmployers",
        "Activities of households as employers; undifferentiated goods- and services- producing activities of households for own use",
    ),  # noqa: E501
    (
        "U_ActivitiesOfExtraterritorialOrganizations",
        "Activities of extraterritorial organizations and bodies",
    ),  # noqa: E501
]
TYPE_OF_SEX = [
    ("Prostitution", "Prostitution"),
    ("Pornography", "Pornography"),
    ("RemoteInteractiveServices", "Remote Interactive Services"),
    ("PrivateSexualServices", "Private Sexual Services"),
]
VULNERABILITIES = [
    ("Addiction", "Addiction"),
    ("SocialGroup", "Social Group"),
    ("Discrimination", "Discrimination"),
    ("Poverty", "Poverty"),
    ("DisabilityAndPhysicalHealth", "Disability and physical health"),
    ("MentalHealth", "Mental health"),
    ("Migration", "Migration"),
    ("Homelessness", "Homelessness"),
    ("AbuseSocialMedia", "Abuse - social media"),
    ("AbusePhysical", "Abuse - physical"),
    ("Education", "Education"),
    ("WorkEnvironment", "Work environment"),
]
CASE_STATUS = [
    ("Active", "Active"),
    ("FollowUp", "Follow Up"),
    ("Closed", "Closed"),
    ("ClosedReferred", "Closed Referred"),
]
REFERRAL_REASON = [
    ("AdditionalServicesRequired", "Additional Services Required"),
    ("MigrationOrChangeOfLocation", "Migration or Change of Location"),
    ("Other", "Other"),
]
MARITAL = [
    ("Single", "Single"),
    ("Married", "Married"),
    ("Widowed", "Widowed"),
    ("Divorced", "Divorced"),
    ("Separated", "Separated"),
    ("RegisteredPartnership", "Registered Partnership"),
]
EDUCATION = [
    ("EarlyChildhoodEducation", "Early Childhood Education"),
    ("PrimaryEducation", "Primary Education"),
    ("LowerSecondaryEducation", "Lower Secondary Education"),
    ("UpperSecondaryEducation", "Upper Secondary Education"),
    ("PostSecondaryNonTertiaryEducation", "Post-secondary Non-tertiary Education"),
    ("ShortCycleTertiaryEducation", "Short-cycle Tertiary Education"),
    ("BachelorsOrEquivalentLevel", "Bachelor’s or Equivalent Level"),
    ("MastersOrEquivalentLevel", "Master’s or Equivalent Level"),
    ("DoctoralOrEquivalentLevel", "Doctoral or Equivalent Level"),
]
ROLE = [
    (n, n)
    for n in [
        "TravellingPartner",
        "Transporter",
        "RecruiterOrIntermediary",
        "BrokerTravelAgent",
        "TransferredIndividual",
        "HarbouredIndividual",
        "SoldIndividual",
        "BoughtIndividual",
        "ReceivedIndividual",
        "ControlledIndividual",
        "Smuggler",
        "Abuser",
        "Kidnapper",
        "Exploiter",
        "Other",
    ]
]
EVENT_TYPE = [
    ("Recruitment", "Recruitment"),
    ("Transit", "Transit"),
    ("Exploitation", "Exploitation"),
]
SUPPORT_PLAN_TYPE = [
    ("Education", "Education"),
    ("Financial", "Financial"),
    ("Health", "Health"),
    ("LabourExploitationRehabilitation", "Labour Exploitation Rehabilitation"),
    ("Legal", "Legal"),
    ("Livelihood", "Livelihood"),
    ("RightsBasedTraining", "Rights-based Training"),
    ("SexualExploitationRehabilitation", "Sexual Exploitation Rehabilitation"),
    ("SocialCare", "Social Care"),
]
YES_NO = [
    ("TRUE", "Yes"),
    ("FALSE", "No"),
    ("TRUE", "True"),
    ("FALSE", "False"),
    ("TRUE", "1"),
    ("FALSE", "0"),
]


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    # identifier | freetext | pick | multi | country | countries | number | date | bool | code |
    # org | key | band | event (a kept field of a historic trafficking event or support plan)
    kind: str
    codes: tuple[tuple[str, str], ...] = ()
    core: bool = False  # written by the export even when empty


def _f(
    name: str, label: str, kind: str, codes: list[tuple[str, str]] | None = None, core: bool = False
) -> Field:
    return Field(name, label, kind, tuple(codes or ()), core)


FIELDS: tuple[Field, ...] = (
    # Direct identifiers: turned into the person key (or an age band), never stored.
    _f("cas_CaseOwner", "Case Owner", "identifier"),
    _f("prs_Salutation", "Salutation", "identifier"),
    _f("prs_FirstName", "First Name", "identifier"),
    _f("prs_MiddleName", "Middle Name", "identifier"),
    _f("prs_SecondName", "Second Name", "identifier"),
    _f("prs_Birthdate", "Birthdate", "identifier"),
    _f("prs_IdentityNumber", "Identity Number", "identifier"),
    _f("prs_Title", "Title", "identifier"),
    _f("prs_Email", "Email", "identifier"),
    _f("prs_HomePhone", "Home Phone", "identifier"),
    _f("prs_MobilePhone", "Mobile Phone", "identifier"),
    _f("prs_MailingCity", "Mailing City", "identifier"),
    _f("prs_MailingCountry", "Mailing Country", "identifier"),
    _f("prs_MailingState", "Mailing State/Province", "identifier"),
    _f("prs_MailingStreet", "Mailing Street", "identifier"),
    _f("prs_MailingPostalCode", "Mailing Zip/Postal Code", "identifier"),
    _f("prs_MailingLongitude", "Longitude", "identifier"),
    _f("prs_MailingLatitude", "Latitude", "identifier"),
    _f("cas_ReferringPrimaryCaseWorker", "Referring Primary Case Worker", "identifier"),
    _f("cas_ReferredPrimaryCaseWorker", "Referred Primary Case Worker", "identifier"),
    # Coded fields
    _f("con_Consent", "Consent", "bool", YES_NO, core=True),
    _f("prs_Gender", "Gender", "pick", GENDER, core=True),
    _f("prs_Citizenship", "Citizenship", "countries", core=True),
    _f("prs_Deceased", "Deceased", "bool", YES_NO),
    _f("prs_MaritalStatus", "Marital Status", "pick", MARITAL),
    _f("prs_NumberOfChildren", "Number of Children", "number"),
    _f("prs_PrimaryLanguage", "Primary Language", "code"),
    _f("prs_SecondaryLanguage", "Secondary Language", "code"),
    _f("prs_HighestLevelOfEducation", "Highest Level of Education", "pick", EDUCATION),
    _f("vic_TraffickingStatus", "Trafficking Status", "pick", TRAFFICKING_STATUS, core=True),
    _f(
        "vic_TraffickingStatusDecisionMakingOrg",
        "Trafficking Status Decision Making Organization",
        "pick",
        DECISION_ORG,
        core=True,
    ),
    _f("vic_RelationshipToTrafficker", "Relationship to Trafficker", "pick", RELATIONSHIP),
    _f("vic_AgeWhenTrafficked", "Age when Trafficked", "number"),
    _f("vic_RecruitmentWebsitesAndApps", "Recruitment Websites and Apps", "multi", APPS),
    _f("vic_MethodOfRecruitment", "Method of Recruitment", "multi", RECRUITMENT, core=True),
    _f("vic_LocationOfRecruitment", "Location of Recruitment", "country", core=True),
    _f("vic_MethodsOfControl", "Methods of Control", "multi", METHODS_OF_CONTROL, core=True),
    _f("vic_TypeOfExploitation", "Type of Exploitation", "multi", TYPE_OF_EXPLOITATION, core=True),
    _f("vic_ForcedLabourIndustry", "Forced Labour Industry", "multi", INDUSTRY, core=True),
    _f("vic_TypeOfSexExploitation", "Type of Sex Exploitation", "multi", TYPE_OF_SEX, core=True),
    _f("vic_LocationOfExploitation", "Location of Exploitation", "country", core=True),
    _f("vic_ExploitationWebsitesAndApps", "Exploitation Websites and Apps", "multi", APPS),
    _f("vic_Vulnerabilities", "Vulnerabilities", "multi", VULNERABILITIES),
    _f("per_RoleInProcess", "Role in Process", "multi", ROLE),
    _f("cas_Status", "Status", "pick", CASE_STATUS, core=True),
    _f("cas_ReferringOrganisation", "Referring Organisation", "org", core=True),
    _f("cas_IncomingReferralDate", "Incoming Referral Date", "date", core=True),
    _f(
        "cas_ReasonForIncomingReferral",
        "Reason for Incoming Referral",
        "pick",
        REFERRAL_REASON,
        core=True,
    ),
    _f("cas_ReferredOrganisation", "Referred Organisation", "org", core=True),
    _f(
        "cas_ReasonForOutgoingReferral",
        "Reason for Outgoing Referral",
        "pick",
        REFERRAL_REASON,
        core=True,
    ),
    _f("cas_OutgoingReferralDate", "Outgoing Referral Date", "date", core=True),
    # Free text: dropped unless the contributor opts in for the field
    _f("cas_IncomingReferralDetails", "Incoming Referral Details", "freetext"),
    _f("cas_OutgoingReferralDetails", "Outgoing Referral Details", "freetext"),
    _f("cas_ReasonForCaseClosure", "Reason for Case Closure", "freetext"),
    _f("vic_DetailsOfVulnerabilities", "Details Of Vulnerabilities", "freetext"),
    _f("per_RoleDetails", "Role Details", "freetext"),
    _f("cco_CaseComment", "Case Comment", "freetext"),
    # Historic trafficking events and support plans: one-to-many with the case, so a file
    # may repeat them as numbered columns (hte_Type_2 ...); see htcds_events.py.  A place
    # finer than a country locates a person or a place of exploitation: never stored.
    _f("hte_Type", "Type", "event", EVENT_TYPE),
    _f("hte_Country", "Country", "event"),
    _f("hte_Date", "Date", "event"),
    _f("hte_City", "City", "identifier"),
    _f("hte_State", "State", "identifier"),
    _f("hte_Street", "Street", "identifier"),
    _f("hte_PostalCode", "PostalCode", "identifier"),
    _f("hte_Latitude", "Latitude", "identifier"),
    _f("hte_Longitude", "Longitude", "identifier"),
    _f("hte_Description", "Description", "freetext"),
    _f("spl_Type", "Type", "event", SUPPORT_PLAN_TYPE),
    _f("spl_PlannedEndDate", "Planned End Date", "event"),
    _f("spl_ActualEndDate", "Actual End Date", "event"),
    _f("spl_Objectives", "Objectives", "freetext"),
    _f("spl_ActionPlan", "Action Plan", "freetext"),
    # THB Hub extensions (written by the export so that a round trip loses nothing)
    _f("thb_PersonKey", "THB Hub person key", "key"),
    _f("thb_YearOfRegistration", "THB Hub year of registration", "number"),
    _f("thb_AgeBand", "THB Hub age band", "band"),
    _f("thb_QuarantineId", "THB Hub quarantine id", "number"),
)

BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}

#: Sections that are one-to-many with a case (historic trafficking events, support plans).
REPEATED_PREFIXES = ("hte_", "spl_")
REPEATED: frozenset[str] = frozenset(f.name for f in FIELDS if f.name.startswith(REPEATED_PREFIXES))

#: Fields of the HTCDS v2.0 field table that the hub does not keep (the organisation record
#: and a deprecated consent flag): named as such in the import notes, apart from columns that
#: are not HTCDS at all.
NOT_KEPT: frozenset[str] = frozenset(
    {
        "org_Name",
        "org_ShippingCity",
        "org_ShippingCountry",
        "org_ShippingState",
        "org_ShippingStreet",
        "org_ShippingPostalCode",
        "org_ShippingLongitude",
        "org_ShippingLatitude",
        "org_Phone",
        "org_Type",
        "vic_AgreementToManagePersonalData",
    }
)

#: Other spellings of field names found in the standard's own files.
ALIASES: dict[str, str] = {
    "vic_TraffickinStatusDecisionMakingOrg": "vic_TraffickingStatusDecisionMakingOrg",
    "prs_First_Name": "prs_FirstName",
    "prs_Second_Name": "prs_SecondName",
    "prs_Middle_Name": "prs_MiddleName",
    "vic_Methods_of_Control": "vic_MethodsOfControl",
}

#: Columns of an XLSForm (ODK / KoboToolbox) export that are form metadata, not data.
XLSFORM_META = frozenset(
    {
        "start",
        "end",
        "__version__",
        "instanceID",
        "meta/instanceID",
        "_id",
        "_uuid",
        "_submission_time",
        "_index",
        "_validation_status",
        "_notes",
        "_status",
        "_submitted_by",
        "_tags",
        "_parent_index",
        "_parent_table_name",
        "deviceid",
        "today",
        "KEY",
        "SubmissionDate",
    }
)
