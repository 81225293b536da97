"""Ingest: one importer module per source format, found through the registry."""
