"""Storage: the only package that imports database drivers or knows SQL dialects."""

from thbhub.storage.database import Database

__all__ = ["Database"]
