"""Spreadsheets in and out: every import reads through :mod:`core.sheets.reader`, every export
writes through :mod:`core.sheets.writer` (see each module for what they guarantee)."""
from core.sheets.cells import as_date, as_decimal, as_int, clean_code, clean_text
from core.sheets.reader import (
    DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS, MAX_REPORTED, Columns, Limits, Row, Table, bounded, cap, file_error,
    iter_rows, more_message, paused_gc, read_table, refuse,
)
from core.sheets.writer import MIMETYPES, Column, Sheet, csv_bytes, download, iter_csv, sheet_name, write, xlsx_bytes

__all__ = [
    "DEFAULT_MAX_BYTES", "DEFAULT_MAX_ROWS", "MAX_REPORTED", "MIMETYPES", "Column", "Columns", "Limits", "Row",
    "Sheet", "Table", "as_date", "as_decimal", "as_int", "bounded", "cap", "clean_code", "clean_text", "csv_bytes", "download",
    "file_error", "iter_csv", "iter_rows", "more_message", "paused_gc", "read_table", "refuse", "sheet_name",
    "write", "xlsx_bytes",
]
