"""Disclosure control and privacy-preserving release (docs/privacy.md).

Every output derived from case records passes :func:`thbhub.privacy.gate.release_table`
(aggregate tables) or one of the release methods (k-anonymous microdata, differentially
private aggregates and synthetic records), all configured by one
:class:`thbhub.privacy.policy.DisclosurePolicy`.
"""
