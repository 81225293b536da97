"""Domain types: concepts, records, observations and errors. No I/O here."""
