"""Exports of the dashboard's tables (``tables.py``) as CSV and Excel: the same table the
chart draws and the page shows, for the same reader (the gate decides whose rows)."""

from __future__ import annotations

import csv
import io

from django.http import HttpResponse
from openpyxl import Workbook

FORMATS = ("csv", "xlsx")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _safe(cell):
    """Text that a spreadsheet would run as a formula is kept as text (CSV injection)."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return "" if cell is None else cell


def table_response(table: dict, fmt: str, filename: str) -> HttpResponse:
    """``table`` (``columns``, ``rows``) as a download: CSV (UTF-8 with a byte-order mark, so
    Excel reads the Chinese) or an Excel workbook of one sheet."""
    rows = [table["columns"], *table["rows"]]
    if fmt == "csv":
        text = io.StringIO()
        writer = csv.writer(text)
        for row in rows:
            writer.writerow([_safe(cell) for cell in row])
        response = HttpResponse("\ufeff" + text.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        book = Workbook()
        sheet = book.active
        sheet.title = str(table.get("key", "table"))[:31]
        for row in rows:
            sheet.append([_safe(cell) for cell in row])
        data = io.BytesIO()
        book.save(data)
        response = HttpResponse(data.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
