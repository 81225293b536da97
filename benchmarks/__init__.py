"""Reproducible performance runs; each prints a ratio against a baseline from the same run."""
