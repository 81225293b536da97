"""Multiple systems estimation: the number of victims no list saw, from the overlap of
several agencies' lists (docs/estimation.md)."""
