"""Imports every built-in importer module so that each registers itself."""

from thbhub.ingest import eurostat, glotip, mapped_csv  # noqa: F401
