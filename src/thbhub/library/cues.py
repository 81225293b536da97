"""Words that make a mention not evidence, per language: hedges ("may be", "at risk of",
"vulnerable to": the text says a form could occur, not that it does) and negations ("no cases
of", "was not found").  "Reportedly" and "allegedly" are reports, not hedges: they count.

Each list is a regular expression over case-folded text; a cue is looked for in the words just
before a mention (within its clause) and, for modal verbs and negations, just after it."""

from __future__ import annotations

import re

_HEDGE: dict[str, str] = {
    "en": r"may|might|could|possibl[ey]|potential(?:ly)?|at risk|risks? of|vulnerable to|"
    r"susceptible to|prone to|likely",
    "de": r"kann|könnt?e?n?|können|möglicherweise|eventuell|gefährdet|anfällig|risiko|"
    r"potenziell|vermutlich",
    "sv": r"kan|kunna|skulle|riskerar|risk(?:en)? för|sårbara? för|möjligen|eventuellt|"
    r"potentiellt?",
    "da": r"kan|kunne|risikerer|risiko for|sårbare? over for|muligvis|eventuelt|potentielt?",
    "no": r"kan|kunne|risikerer|risiko for|sårbare? for|muligens|eventuelt|potensielt?",
    "fi": r"saattaa|saattavat|voi|voivat|voisi|voisivat|riski\w*|vaarassa|altti\w+|"
    r"mahdollisesti",
    "pl": r"może|mogą|mogłyby|mogliby|ryzyk\w*|zagrożon\w*|narażon\w*|podatn\w*|"
    r"potencjalnie|prawdopodobnie|ewentualnie",
    "et": r"võib|võivad|võiks|ohus|riski?\w*|haavatav\w*|võimalik\w*|potentsiaalselt",
    "lv": r"var|varētu|iespējams|risk\w*|pakļaut\w*|apdraudēt\w*|potenciāli",
    "lt": r"gali|galėtų|galbūt|rizik\w*|pažeidžiam\w*|gresia|potencialiai",
    "is": r"gæti|gætu|getur|geta|hætt\w*|áhætt\w*|berskjald\w*|mögulega|hugsanlega",
}

_NEGATION: dict[str, str] = {
    "en": r"no|not|never|none|neither|nor|without|n't",
    "de": r"nicht|kein\w*|nie|niemals|ohne",
    "sv": r"inte|ej|ingen|inga|inget|aldrig|utan",
    "da": r"ikke|ingen|intet|aldrig|uden",
    "no": r"ikke|ingen|intet|aldri|uten",
    "fi": r"ei|eivät|eikä|emme|ilman",
    "pl": r"nie|brak\w*|żadn\w*|bez",
    "et": r"ei|pole|mitte|ühtegi|ilma",
    "lv": r"nav|netika|nebija|nekonstatē\w*|neviens|nevienu|nevienā|bez",
    "lt": r"nėra|nebuvo|nenustatyt\w*|joki\w*|be",
    "is": r"ekki|engin|enginn|ekkert|aldrei|án",
}

#: "not only X but also Y" states X.
_NOT_NEGATION = re.compile(r"\bnot only\b|\bnicht nur\b|\binte bara\b|\bnie tylko\b")


def _compile(table: dict[str, str]) -> dict[str, re.Pattern[str]]:
    return {lang: re.compile(rf"(?<!\w)(?:{rx})(?!\w)") for lang, rx in table.items()}


HEDGES = _compile(_HEDGE)
_EN_AFTER = re.compile(r"(?<!\w)(?:is|was|were|are|has|have|had|been)\s+(?:not|never)(?!\w)|n't")
NEGATIONS = _compile(_NEGATION)
#: Words that start a new clause, per language: "men" is "but" in Swedish and a noun in English.
_CLAUSE_WORDS: dict[str, str] = {
    "en": r"but|while|whereas|although|however",
    "de": r"aber|während|obwohl|jedoch",
    "sv": r"men|medan|fast|dock",
    "da": r"men|mens|selvom|dog",
    "no": r"men|mens|selv om|dog",
    "fi": r"mutta|vaikka|kun taas",
    "pl": r"ale|lecz|jednak|chociaż|podczas gdy",
    "et": r"kuid|aga|samas",
    "lv": r"bet|taču|lai gan",
    "lt": r"bet|tačiau|nors",
    "is": r"þó|hins vegar",
}
_CLAUSES = {lang: re.compile(rf"[;:]|(?<!\w)(?:{rx})(?!\w)") for lang, rx in _CLAUSE_WORDS.items()}
_PUNCTUATION = re.compile(r"[;:]")


def clause_cuts(lang: str) -> re.Pattern[str]:
    """Where clauses begin in a text whose mention is in ``lang``."""
    return _CLAUSES.get(lang, _PUNCTUATION)


BEFORE_WORDS = 8
AFTER_WORDS = 3


def qualified(sentence: str, start: int, end: int, lang: str) -> str | None:
    """'hedged' or 'negated' when the mention at ``sentence[start:end]`` (case-folded) is not
    stated as a fact, else None."""
    before = sentence[:start]
    clause = clause_cuts(lang)
    cut = list(clause.finditer(before))
    if cut:
        before = before[cut[-1].end() :]
    before = _NOT_NEGATION.sub(" ", before)
    before = " ".join(before.split()[-BEFORE_WORDS:])
    after_clause = clause.split(sentence[end:], maxsplit=1)[0]
    after = " ".join(after_clause.split()[:AFTER_WORDS])
    hedge, negation = HEDGES.get(lang), NEGATIONS.get(lang)
    # English lists: "forced labour, not sex trafficking" negates what follows "not", so after
    # a mention only a negated verb counts.
    after_negation = _EN_AFTER if lang == "en" else negation
    if negation is not None and negation.search(before):
        return "negated"
    if after_negation is not None and after_negation.search(after):
        return "negated"
    if hedge is not None and (hedge.search(before) or hedge.search(after)):
        return "hedged"
    return None
