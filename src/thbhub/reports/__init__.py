"""Reports generated from the evidence base: country profiles, the regional overview, topic
briefs and the plan review, in HTML, Markdown and PDF (docs/reports.md).

Each report type is a context builder (one module each) that turns the services' answers into
a :class:`thbhub.reports.model.Report`; the renderers turn any report into a file.
"""
