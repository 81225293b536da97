"""Reproducible performance runs; each prints a ratio against a baseline measured in the
same run.  `python -m benchmarks` runs them all; `python -m benchmarks.<name>` runs one."""
