"""Phrasings of forms of exploitation that reports use and the taxonomy's labels do not ("forced
to beg", "child soldiers", "tvingas tigga"); the tagger matches them like labels.  A word ending
in ``*`` is a prefix (the region's languages inflect: "żebrania", "żebractwa").  The English
ones were written by reading the Factbook texts of the tuning set (docs/library.md), never the
held-out one.

Two kinds:

- ``PHRASINGS`` name a form on their own ("forced to beg").
- ``LIST_ITEMS`` name a form only when a coercion word (``TRIGGERS``: "forced", "exploited",
  "subjected to", "sold") stands before them in the same clause: in "forced to work in domestic
  service, cattle herding and begging" the words "domestic service" and "begging" are the forms,
  but "domestic service" alone ("migrants work in domestic service") is a job, not a crime.

A key joining two concept ids with ``+`` names both ("sex or labor trafficking").
"""

from __future__ import annotations

SEX = "form:sexual-exploitation"
LABOUR = "form:labour-exploitation"
DOMESTIC = "form:domestic-servitude"
BEGGING = "form:forced-begging"
CRIME = "form:forced-criminality"
MARRIAGE = "form:forced-marriage"
SOLDIER = "form:child-soldiering"
ORGANS = "form:organ-removal"

PHRASINGS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        LABOUR: (
            "forced to work",
            "forced labor*",
            "forced labour*",
            "forced manual",
            "forced agricultural",
            "forced to labo*",
            "into labo*",
            "bonded labo*",
            "indentured",
            "involuntary servitude",
            "labo* trafficking",
            "labo* exploitation",
            "exploitative labo*",
        ),
        f"{SEX}+{LABOUR}": ("sex and labo* trafficking", "sex or labo* trafficking"),
        BEGGING: ("forced into begging", "forced to beg", "as beggars", "forced begging"),
        SOLDIER: (
            "child soldier*",
            "child recruitment",
            "children as combatants",
            "children to fight",
            "serve as soldiers",
            "recruit* children",
            "recruited and used children",
        ),
        ORGANS: ("donate a kidney", "organ harvesting", "organ trafficking"),
        CRIME: ("committing crimes", "commit crimes", "criminal activities"),
        MARRIAGE: ("child brides", "as brides", "into marriage", "forced marriage*"),
        SEX: (
            "commercial sex",
            "sex trade",
            "sexual slavery",
            "sex traffick*",
            "sexually exploit*",
            "forced prostitut*",
        ),
        DOMESTIC: ("forced domestic*",),
    },
    "pl": {
        BEGGING: ("zmusz* do żebr*", "zmuszan* do żebr*", "żebractw* przymusow*"),
        LABOUR: ("zmusz* do pracy", "zmuszan* do pracy", "prac* niewolnicz*"),
        MARRIAGE: ("małżeńst* przymusow*", "przymusow* małżeńst*"),
    },
    "sv": {
        BEGGING: ("tvingas tigga", "tvingad* att tigga", "tvångstiggeri"),
        LABOUR: ("tvingas arbeta", "tvingad* att arbeta"),
        MARRIAGE: ("tvångsäktenskap*", "tvångsgift*"),
    },
    "de": {
        BEGGING: ("zum betteln gezwungen", "zur bettelei gezwungen", "zwangsbettelei"),
        LABOUR: ("zur arbeit gezwungen", "arbeitsausbeutung"),
        MARRIAGE: ("zwangsehe*", "zwangsverheirat*"),
    },
    "fi": {
        BEGGING: ("pakotet* kerjäämään", "pakkokerjä*"),
        LABOUR: ("pakotet* työskentelemään", "pakotet* töihin"),
        MARRIAGE: ("pakkoavioli*", "pakkonai*"),
    },
    "lv": {
        BEGGING: ("piespiedu ubago*", "piespiest* ubagot"),
        MARRIAGE: ("piespiedu laulīb*", "fiktīv* laulīb*"),
    },
    "lt": {
        BEGGING: ("priverst* elgetauti", "priverstin* elgetav*"),
        MARRIAGE: ("priverstin* santuok*", "fiktyv* santuok*"),
    },
}

LIST_ITEMS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        DOMESTIC: (
            "domestic service",
            "domestic servants",
            "domestic servant",
            "domestic work",
            "domestic labo*",
            "domestics",
            "housemaids",
        ),
        BEGGING: ("begging", "beg", "beggars", "street begging"),
        CRIME: (
            "thieves",
            "theft",
            "pickpocket*",
            "criminal activity",
            "criminal behavio*",
            "drug transport*",
            "drug smuggl*",
            "drug production",
            "drug couriers",
            "drug dealing",
            "carry drugs",
            "illegal drug*",
        ),
        MARRIAGE: ("marriage", "marriages", "brides", "wives", "arranged marriage*"),
        SOLDIER: ("combat", "combatants", "human shields"),
        SEX: ("prostitutes", "prostitution"),
        LABOUR: ("labor", "labour"),
    },
    "pl": {
        BEGGING: ("żebr*",),
        DOMESTIC: ("prac* domow*", "służb* domow*"),
        CRIME: ("przestęp*", "kradzież*", "kradzieży"),
        MARRIAGE: ("małżeńst*", "ślub*"),
    },
    "sv": {
        BEGGING: ("tigg*",),
        DOMESTIC: ("hushållsarbet*", "hemarbet*"),
        CRIME: ("brott*", "stöld*", "stölder"),
        MARRIAGE: ("äktenskap*",),
    },
    "de": {
        BEGGING: ("bettel*", "betteln"),
        DOMESTIC: ("hausarbeit*", "haushalt*"),
        CRIME: ("straftat*", "diebstahl*", "diebstähl*"),
        MARRIAGE: ("ehe", "ehen", "heirat*"),
    },
    "fi": {
        BEGGING: ("kerjä*",),
        DOMESTIC: ("kotitalou*", "kotityö*"),
        CRIME: ("rikok*", "rikollis*", "varkau*"),
        MARRIAGE: ("avioli*", "naimisiin"),
    },
    "lv": {
        BEGGING: ("ubago*",),
        CRIME: ("noziedz*", "zādzīb*"),
        MARRIAGE: ("laulīb*",),
    },
    "lt": {
        BEGGING: ("elgetau*", "elgetav*"),
        CRIME: ("nusikalt*", "vagyst*"),
        MARRIAGE: ("santuok*",),
    },
    "et": {BEGGING: ("kerja*",), CRIME: ("kuritegu*", "vargus*"), MARRIAGE: ("abielu*",)},
    "da": {BEGGING: ("tigge*", "tiggeri"), CRIME: ("kriminalitet", "tyveri*")},
    "no": {BEGGING: ("tigging", "tigge*"), CRIME: ("kriminalitet", "tyveri*")},
}

#: Words that make the list items after them in the clause forms of exploitation.
TRIGGERS: dict[str, str] = {
    "en": r"forc\w*|coerc\w*|compel\w*|exploit\w*|subject(?:ed)?|sold|sell\w*|lured|deceiv\w*|"
    r"abduct\w*|enslav\w*|used?|uses|end up|victims? of|endur\w*|experience|bonded|"
    r"traffick(?:ed|ers?)",
    "pl": r"zmusz\w*|zmuszan\w*|wykorzyst\w*|poddawan\w*|poddan\w*|sprzeda\w*|werbowan\w*",
    "sv": r"tvinga\w*|utnyttja\w*|exploater\w*|utsätt\w*|såld\w*|säljs",
    "de": r"gezwungen|zwing\w*|ausgebeutet|ausgenutzt|verkauft|unterworfen",
    "fi": r"pakot\w*|hyväksikäyt\w*|myyd\w*|myyt\w*|joutu\w*",
    "da": r"tvunget|tvinges|udnyttet|solgt",
    "no": r"tvunget|tvinges|utnyttet|solgt",
    "et": r"sunnit\w*|sunni\w*|ärakasuta\w*|müüdi\w*|müüakse",
    "lv": r"piespie\w*|izmanto\w*|pārdo\w*",
    "lt": r"privert\w*|išnaudo\w*|parduo\w*",
    "is": r"neydd\w*|misnot\w*|seld\w*",
}
