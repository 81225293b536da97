"""THB Hub: the evidence and knowledge hub against trafficking in human beings."""

__version__ = "0.1.0"
