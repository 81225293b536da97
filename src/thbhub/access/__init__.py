"""Access control: who may read and write what, and the audit log of case-record access."""
