"""Reports: country profiles, the regional overview, topic briefs and the plan review."""
