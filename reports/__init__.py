"""PDF reports (ReportLab) built from ``models`` data. Imports no Qt; the GUI runs them in a worker.

The status and compliance reports arrive with their own issue; this package exists now so the layering
test covers it from the start.
"""
