"""Analyses of count series: trends, change points and alerts (docs/trends.md)."""
