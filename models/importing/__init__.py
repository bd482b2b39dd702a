"""Spreadsheet import (and export) machinery, Qt-free.

``reader`` turns any .xlsx/.xls/.ods/.csv into a :class:`SheetData` (cells as Python values, spreadsheet
row numbers kept); ``spec`` describes each kind of importable data (fields, Spanish headers, aliases)
and guesses the column mapping; ``plan`` holds what an import would do (new, updated, unchanged,
rejected rows) as plain data; the per-kind modules (``establishments``, ``equivalences``) build plans
and apply them inside the caller's transaction, so an import is all or nothing.
"""
from models.importing.plan import ImportCancelled, ImportPlan, Progress, RowIssue  # noqa: F401
from models.importing.reader import ReadError, SheetData, list_sheets, read_sheet  # noqa: F401
