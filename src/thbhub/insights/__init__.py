"""Insights from case records: profiles, modus operandi and journeys, every number from
the disclosure gate (docs/insights.md)."""
