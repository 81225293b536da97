"""English phrasings of forms of exploitation that reports use and the taxonomy's labels do not
("forced to beg", "child soldiers"); the tagger matches them like labels.  A word ending in
``*`` is a prefix.  Found by reading Factbook texts of the development set (docs/library.md),
not the held-out one."""

from __future__ import annotations

PHRASINGS: dict[str, tuple[str, ...]] = {
    "form:labour-exploitation": (
        "forced to work",
        "forced labor*",
        "forced labour*",
        "forced manual",
        "forced agricultural",
    ),
    "form:forced-begging": (
        "forced into begging",
        "forced to beg",
        "as beggars",
        "forced begging",
    ),
    "form:child-soldiering": (
        "child soldier*",
        "child recruitment",
        "children as combatants",
        "children to fight",
        "serve as soldiers",
        "recruit* children",
        "recruited and used children",
    ),
    "form:organ-removal": ("donate a kidney", "organ harvesting", "organ trafficking"),
    "form:forced-criminality": ("committing crimes", "commit crimes", "criminal activities"),
    "form:forced-marriage": ("child brides", "as brides", "into marriage", "forced marriage*"),
    "form:sexual-exploitation": ("commercial sex", "sex trade", "sexual slavery"),
}
