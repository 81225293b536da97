"""Case records: HTCDS v2.0 and CTDC import/export, validation, pseudonymisation, owned views."""
