"""Imports every built-in importer module so that each registers itself."""
