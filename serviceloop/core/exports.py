"""CSV and XLSX export of any list: the list view declares its columns once and hands its
filtered queryset (or any iterable of rows) to ``export_response``.

    COLUMNS = [Column(_("Reference"), "reference"), Column(_("Owner"), lambda s: s.owner or "")]
    fmt = export_format(request)          # "csv" | "xlsx" | None, from ?export=
    if fmt:
        return export_response(fmt, "services", COLUMNS, queryset)

The list's template includes ``core/_export_links.html``, which keeps the current filters.
CSV is UTF-8 with a byte-order mark (so spreadsheet programs read Chinese correctly); a cell
that would start a formula (``= + - @``) is prefixed with an apostrophe in both formats, so
text a user typed can never run as a formula in the reader's spreadsheet.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.encoding import force_str

FORMATS = ("csv", "xlsx")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 2000


@dataclass(frozen=True)
class Column:
    header: Any  # a (lazy) translatable label
    value: str | Callable[[Any], Any]  # attribute path ("owner.name") or a function of the row

    def of(self, row) -> Any:
        if callable(self.value):
            return self.value(row)
        current = row
        for part in self.value.split("."):
            current = (
                current.get(part) if isinstance(current, dict) else getattr(current, part, None)
            )
            if current is None:
                return None
            if callable(current) and not isinstance(current, type):
                current = current()
        return current


def export_format(request) -> str | None:
    """The format asked for by ``?export=csv|xlsx``; None for the ordinary HTML page."""
    fmt = request.GET.get("export", "")
    return fmt if fmt in FORMATS else None


def _plain(value) -> Any:
    """A cell value both formats can hold: numbers and dates stay typed, the rest is text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return force_str(value)
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None, microsecond=0)
    if isinstance(value, dt.date):
        return value
    if isinstance(value, list | tuple | set):
        return ", ".join(force_str(v) for v in value)
    text = force_str(value)
    if text.startswith(FORMULA_STARTS):
        text = "'" + text
    return text


def _rows(columns: list[Column], rows: Iterable) -> Iterable[list]:
    if isinstance(rows, QuerySet):
        rows = rows.iterator(chunk_size=CHUNK)
    for row in rows:
        yield [_plain(column.of(row)) for column in columns]


class _Echo:
    def write(self, value):
        return value


def _csv_stream(columns, rows):
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([force_str(c.header) for c in columns])
    for values in _rows(columns, rows):
        yield writer.writerow(
            [v.isoformat(sep=" ") if isinstance(v, dt.datetime) else v for v in values]
        )


def _xlsx_bytes(columns, rows, sheet_title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31] or "Sheet")
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=force_str(column.header))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for values in _rows(columns, rows):
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_response(fmt: str, name: str, columns: list[Column], rows: Iterable):
    """A download of ``rows`` as ``name-YYYYMMDD.csv|xlsx`` (CSV streams; XLSX is built whole)."""
    stamp = timezone.localdate().strftime("%Y%m%d")
    filename = f"{name}-{stamp}.{fmt}"
    if fmt == "csv":
        response = StreamingHttpResponse(
            _csv_stream(columns, rows), content_type="text/csv; charset=utf-8"
        )
    elif fmt == "xlsx":
        response = HttpResponse(
            _xlsx_bytes(columns, rows, name),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:  # pragma: no cover - export_format only returns the known formats
        raise ValueError(fmt)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
