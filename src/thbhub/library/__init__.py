"""The knowledge library: documents in, tagged with the taxonomy, found again by full text."""
