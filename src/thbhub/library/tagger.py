"""Tag a text with taxonomy concepts, each with a score and its evidence (the sentence and page
that state it).

Matching uses the taxonomy's labels and synonyms in all of its languages: each word of a label
becomes a prefix pattern (its last two letters free, so that "forced labour" also finds "forced
labor" and "praca przymusowa" finds "pracy przymusowej"), country names match whole.  A mention
that is hedged or negated in its clause (:mod:`thbhub.library.cues`) is not evidence for a
form of exploitation, a means of control or a sector; for groups it still is (a text about
"children at risk of trafficking" is about children), but a negated one is not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from thbhub.domain.concepts import Concept, Taxonomy
from thbhub.library import cues
from thbhub.library.phrasings import LIST_ITEMS, PHRASINGS, TRIGGERS
from thbhub.taxonomy.loader import load_taxonomy

SCHEMES = ("form", "group", "means", "sector", "country", "objective")
#: Schemes where a hedged mention is no evidence.
STRICT = frozenset({"form", "means", "sector"})
_SKIP_IDS = re.compile(r":(?:other|not-specified)$")
_SENTENCE = re.compile(r"(?<=[.!?;])\s+(?=\S)|\n\s*\n")
MAX_EVIDENCE = 400


@dataclass(frozen=True)
class Tag:
    concept_id: str
    score: float
    evidence: str
    page: int | None
    mentions: int

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.concept_id,
            "score": self.score,
            "evidence": self.evidence,
            "page": self.page,
            "mentions": self.mentions,
        }


_TOKEN = re.compile(r"\w+")
#: A word test: (text, True) must equal the token, (text, False) must start it.
WordTest = tuple[str, bool]


def _word(word: str, lang: str, exact: bool) -> WordTest:
    # English inflects little ("labour"/"labor" comes as a second spelling); the region's
    # languages change endings ("praca" -> "pracy", "przymusowa" -> "przymusowej").
    if exact or len(word) <= (5 if lang == "en" else 4):
        return word, True
    cut = 1 if len(word) <= 7 else 2
    return word[: len(word) - cut], False


def _phrase(label: str, lang: str, exact: bool) -> tuple[WordTest, ...] | None:
    words = _TOKEN.findall(label.casefold())
    if not words or (len(words) == 1 and len(words[0]) < 4):
        return None
    return tuple(_word(w, lang, exact) for w in words)


def _terms(concept: Concept) -> dict[str, set[tuple[WordTest, ...]]]:
    """Label patterns per language."""
    exact = concept.scheme == "country"
    out: dict[str, set[tuple[WordTest, ...]]] = {}
    for lang, label in concept.labels.items():
        names = [label, *concept.alt_labels.get(lang, ())]
        if lang == "en":  # British spelling in the taxonomy, American in many reports
            names += [n.replace("our", "or") for n in names if "our" in n]
        if concept.scheme == "sector":  # "Agriculture, forestry and fishing": each part
            names = [p for n in names for p in re.split(r",|;| and ", n)]
        for name in names:
            if name.strip().casefold() in {"other", "threats"}:
                continue
            pattern = _phrase(name, lang, exact)
            if pattern:
                out.setdefault(lang, set()).add(pattern)
    return out


@dataclass(frozen=True)
class _Entry:
    words: tuple[WordTest, ...]
    concept_id: str  # two ids joined by "+" for a phrasing that names both
    scheme: str
    lang: str
    #: A list item ("begging"): a form only after a coercion word in its clause.
    listed: bool = False

    @property
    def concept_ids(self) -> list[str]:
        return self.concept_id.split("+")


_KEY = 4
_TRIGGERS = {lang: re.compile(rf"(?<!\w)(?:{rx})(?!\w)") for lang, rx in TRIGGERS.items()}


def _phrasing(text: str) -> tuple[WordTest, ...]:
    return tuple((w.rstrip("*"), not w.endswith("*")) for w in text.casefold().split())


@lru_cache(maxsize=1)
def taxonomy() -> Taxonomy:
    """The packaged taxonomy, read once per process (reading and checking it takes seconds)."""
    return load_taxonomy()


@lru_cache(maxsize=1)
def _index() -> dict[str, list[_Entry]]:
    """Entries by the first letters of their first word (longest phrase first)."""
    index: dict[str, list[_Entry]] = {}
    for scheme in taxonomy().schemes:
        if scheme.id not in SCHEMES:
            continue
        for c in scheme.concepts:
            if _SKIP_IDS.search(c.id):
                continue
            for lang, patterns in _terms(c).items():
                for words in patterns:
                    index.setdefault(words[0][0][:_KEY], []).append(
                        _Entry(words, c.id, c.scheme, lang)
                    )
    for table, listed in ((PHRASINGS, False), (LIST_ITEMS, True)):
        for lang, by_concept in table.items():
            for cid, phrasings in by_concept.items():
                for phrasing in phrasings:
                    words = _phrasing(phrasing)
                    index.setdefault(words[0][0][:_KEY], []).append(
                        _Entry(words, cid, "form", lang, listed)
                    )
    for entries in index.values():
        # Longest first; at equal length a phrasing before a list item.
        entries.sort(key=lambda e: (-len(e.words), e.listed))
    return index


def _fits(test: WordTest, token: str) -> bool:
    text, exact = test
    return token == text if exact else token.startswith(text)


def find_mentions(folded: str) -> list[tuple[int, int, _Entry]]:
    """(start, end, entry) of every label in ``folded`` (case-folded), longest match first at
    each place, without overlaps."""
    index = _index()
    tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(folded)]
    out = []
    i = 0
    while i < len(tokens):
        best: _Entry | None = None
        for entry in index.get(tokens[i][2][:_KEY], ()):
            n = len(entry.words)
            if i + n <= len(tokens) and all(
                _fits(t, tokens[i + k][2]) for k, t in enumerate(entry.words)
            ):
                best = entry
                break
        if best is None:
            i += 1
            continue
        n = len(best.words)
        out.append((tokens[i][0], tokens[i + n - 1][1], best))
        i += n
    return out


def _triggered(folded: str, start: int, lang: str) -> bool:
    """Whether a coercion word, itself neither hedged nor negated, stands before ``start`` in
    the same clause ("forced to work in agriculture and begging")."""
    trigger = _TRIGGERS.get(lang)
    if trigger is None:
        return False
    before = folded[:start]
    cut = list(cues.clause_cuts(lang).finditer(before))
    begin = cut[-1].end() if cut else 0
    return any(
        cues.qualified(folded, m.start(), m.end(), lang) is None
        for m in trigger.finditer(folded, begin, start)
    )


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def tag(pages: Sequence[tuple[int | None, str]], title: str = "") -> list[Tag]:
    """The concepts ``pages`` state, best first."""
    found: dict[str, list[tuple[int | None, str]]] = {}
    in_title = {
        c for _, _, e in find_mentions(title.casefold()) if not e.listed for c in e.concept_ids
    }
    for page, text in pages:
        for sentence in sentences(text):
            folded = sentence.casefold()
            for start, end, e in find_mentions(folded):
                why = cues.qualified(folded, start, end, e.lang)
                if why == "negated" or (why == "hedged" and e.scheme in STRICT):
                    continue
                if e.listed and not _triggered(folded, start, e.lang):
                    continue
                for cid in e.concept_ids:
                    found.setdefault(cid, []).append((page, sentence))
    tags = []
    for cid, mentions in found.items():
        score = 1 - 0.6 ** len(mentions) + (0.2 if cid in in_title else 0.0)
        page, sentence = mentions[0]
        evidence = sentence if len(sentence) <= MAX_EVIDENCE else sentence[:MAX_EVIDENCE] + "…"
        tags.append(Tag(cid, round(min(score, 1.0), 3), evidence, page, len(mentions)))
    tags.sort(key=lambda t: (-t.score, t.concept_id))
    return tags
