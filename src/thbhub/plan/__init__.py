"""The strategic plan monitor: the CBSS TF-THB Strategic Plan 2025-2030 as data (its
objectives and principles are taxonomy concepts), presidency priorities, projects,
activities, outputs, indicators and reviews; coverage and the review report."""
