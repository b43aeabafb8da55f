"""A service report as an XLSX workbook (openpyxl), drawn from its data snapshot only
(``present_reports``), in the report's language: one sheet per section with the same figures
as the PDF, typed (numbers stay numbers); text that would start a formula is prefixed with an
apostrophe, as in every ServiceLoop export."""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils import translation
from django.utils.encoding import force_str
from django.utils.translation import gettext as _

from serviceloop.core.exports import FORMULA_STARTS
from serviceloop.evaluation.present_reports import report_sections_view, scope_text

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return force_str(_("Yes") if value else _("No"))
    if isinstance(value, int | float | Decimal):
        return value
    text = force_str(value)
    if text.startswith(FORMULA_STARTS):
        text = "'" + text
    return text


def _sheet_title(title: str, used: set) -> str:
    for bad in "[]:*?/\\":
        title = title.replace(bad, " ")
    base = title[:28].strip() or "Sheet"
    name, n = base, 2
    while name in used:
        name, n = f"{base[:26]} {n}", n + 1
    used.add(name)
    return name


def report_xlsx(report) -> bytes:
    """A cover sheet (title, scope, period, checksum) and one sheet per section: its figures,
    then each table (typed values), then its notes or text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    bold = Font(bold=True)
    snapshot = report.snapshot
    with translation.override(report.language):
        workbook = Workbook()
        cover = workbook.active
        used: set = set()
        cover.title = _sheet_title(_("Report"), used)
        period = snapshot.get("period", {})
        for label, value in (
            (_("Report"), snapshot.get("title", "")),
            (_("Reference"), report.reference),
            (_("Version"), report.version),
            (_("Scope"), scope_text(snapshot)),
            (_("Period"), period.get("label", "")),
            (_("From"), period.get("first_day", "")),
            (_("To"), period.get("last_day", "")),
            (_("Time zone"), period.get("time_zone", "")),
            (_("Snapshot checksum (SHA-256)"), report.checksum),
        ):
            cover.append([_cell(label), _cell(value)])
            cover.cell(row=cover.max_row, column=1).font = bold
        for section in report_sections_view(snapshot, charts=False):
            sheet = workbook.create_sheet(_sheet_title(section["title"], used))
            sheet.append([section["title"]])
            sheet.cell(row=1, column=1).font = Font(bold=True, size=13)
            if not section["available"]:
                sheet.append([_cell(section["reason"] or _("Not available."))])
                continue
            if section["figures"]:
                sheet.append([])
                sheet.append([_("Figure"), _("Value"), _("Unit"), _("Status"), _("Note")])
                for cell in sheet[sheet.max_row]:
                    cell.font = bold
                for fig in section["figures"]:
                    sheet.append(
                        [_cell(fig["label"]), _cell(fig["raw"]), _cell(fig["unit"]),
                         _cell(fig["status"]), _cell(fig["note"])]
                    )  # fmt: skip
            for table in section["tables"]:
                sheet.append([])
                sheet.append([_cell(table["title"])])
                sheet.cell(row=sheet.max_row, column=1).font = bold
                sheet.append([_cell(h) for h in table.get("raw_headers", table["headers"])])
                for cell in sheet[sheet.max_row]:
                    cell.font = bold
                for row in table["rows"]:
                    sheet.append([_cell(v) for v in row["raw"]])
            for note in section["notes"]:
                sheet.append([])
                sheet.append([_cell(note)])
            if section["text"]:
                sheet.append([])
                for line in section["text"].splitlines():
                    sheet.append([_cell(line)])
            sheet.column_dimensions["A"].width = 36
        buffer = io.BytesIO()
        workbook.save(buffer)
    return buffer.getvalue()
