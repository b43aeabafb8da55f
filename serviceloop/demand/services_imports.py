"""CSV imports of measurements (into one capacity plan) and of cost lines.

Both work in two steps: ``read_table`` reads the file (UTF-8 or GB18030, comma, semicolon or
tab separated; the first row names the columns), then the import function checks every row
and names each bad one (a dry run: ``commit=False`` writes nothing). With ``commit=True`` the
rows are written in one transaction only when every row is good: one bad row and nothing is
imported. Row numbers are the spreadsheet's (the header is row 1).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from serviceloop.core.audit import audit_record
from serviceloop.demand.models import CapacityPlan, CostCategory, CostLine, CostSource
from serviceloop.demand.permissions import can_edit_service_records, can_record_measurements
from serviceloop.demand.services_budgets import clean_cost_fields
from serviceloop.demand.services_capacity import (
    FUTURE_TOLERANCE,
    PushResult,
    measurements_write,
)
from serviceloop.demand.validation import clean_decimal
from serviceloop.portfolio.models import Service

MAX_ROWS = 20_000
MAX_BYTES = 5 * 1024 * 1024
THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")

# column key → (label, accepted spellings besides the key), per import
MEASUREMENT_COLUMNS: dict[str, tuple] = {
    "at": (
        gettext_lazy("measured at"),
        ("time", "timestamp", "date", "datetime", "时间", "测量时间", "日期"),
    ),  # noqa: E501
    "value": (gettext_lazy("value"), ("值", "数值", "measurement")),
}
MEASUREMENT_REQUIRED = ("at", "value")
COST_COLUMNS: dict[str, tuple] = {
    "date": (gettext_lazy("date"), ("日期",)),
    "service": (gettext_lazy("service"), ("服务", "service code")),
    "category": (gettext_lazy("category"), ("类别", "分类")),
    "amount": (gettext_lazy("amount"), ("金额",)),
    "currency": (gettext_lazy("currency"), ("币种", "货币")),
    "supplier": (gettext_lazy("supplier"), ("供应商",)),
    "note": (gettext_lazy("note"), ("备注", "说明", "description")),
}
COST_REQUIRED = ("date", "service", "category", "amount")


@dataclass
class ImportRow:
    number: int
    values: dict[str, str]
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, message)
    parsed: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportReport:
    rows: list[ImportRow]
    columns: list[str]
    imported: int = 0
    duplicates: int = 0
    committed: bool = False
    batch: str = ""

    @property
    def bad_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if not row.ok]

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.bad_rows

    def messages(self) -> list[str]:
        """ "Row N, column: message" for every problem, in row order."""
        return [
            _("Row %(n)d, %(column)s: %(message)s")
            % {"n": row.number, "column": column, "message": message}
            for row in self.rows
            for column, message in row.errors
        ]


# --- Reading -------------------------------------------------------------------------------


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError(_("The file is not UTF-8 or GB18030 text."))


def _header_key(name: str, columns: dict) -> str:
    text = " ".join(str(name or "").strip().lower().replace("_", " ").split())
    for key, (label, aliases) in columns.items():
        spellings = {key, key.replace("_", " "), *(a.lower() for a in aliases)}
        if text in spellings:
            return key
        for language in ("en", "zh-hans"):
            with translation.override(language):
                if text == str(label).lower():
                    return key
    return text


def read_table(upload, columns: dict, required: tuple) -> list[tuple[int, dict[str, str]]]:
    """The rows of an uploaded CSV file as (row number, {column key: text}); ValidationError
    when the file cannot be read or lacks a required column."""
    raw = upload.read() if hasattr(upload, "read") else bytes(upload)
    if len(raw) > MAX_BYTES:
        raise ValidationError(_("The file is larger than 5 MB."))
    text = _decode(raw)
    if not text.strip():
        raise ValidationError(_("The file is empty."))
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    table = list(csv.reader(io.StringIO(text), dialect))
    header = [_header_key(name, columns) for name in table[0]]
    missing = [key for key in required if key not in header]
    if missing:
        raise ValidationError(
            _("The first row must name the columns; missing: %(columns)s.")
            % {"columns": ", ".join(missing)}
        )
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        rows.append(
            (
                number,
                {
                    key: (cells[i].strip() if i < len(cells) else "")
                    for i, key in enumerate(header)
                    if key in columns
                },
            )
        )
    if not rows:
        raise ValidationError(_("The file has no rows under its header."))
    if len(rows) > MAX_ROWS:
        raise ValidationError(_("Import at most %(n)d rows at once.") % {"n": MAX_ROWS})
    return rows


def _number(text: str) -> str:
    text = text.replace(" ", "").replace("\u00a0", "")
    return text.replace(",", "") if THOUSANDS.match(text) else text


def parse_instant(text: str) -> datetime.datetime | None:
    """ISO date-time (``2026-03-01 12:00``, with or without offset; naive is TIME_ZONE) or
    a date (midnight); slashes are accepted for dashes. None if unreadable."""
    text = text.strip().replace("/", "-")
    try:
        instant = parse_datetime(text)
        if instant is None:
            day = parse_date(text)
            if day is None:
                return None
            instant = datetime.datetime.combine(day, datetime.time())
    except ValueError:
        return None
    if timezone.is_naive(instant):
        instant = timezone.make_aware(instant)
    return instant


def parse_day(text: str) -> datetime.date | None:
    try:
        return parse_date(text.strip().replace("/", "-"))
    except ValueError:
        return None


# --- Measurements --------------------------------------------------------------------------


def measurement_import(
    *, actor, plan: CapacityPlan, rows: list[tuple[int, dict]], commit: bool, now=None
) -> ImportReport:
    """Check (and with ``commit``, import) measurement rows ``at,value`` into ``plan``.
    Bad rows: an unreadable time or value, a time in the future, a time twice in the file,
    or a time the plan already has a value for."""
    now = now or timezone.now()
    if actor is not None and not can_record_measurements(actor, plan):
        raise PermissionDenied
    report = ImportReport(rows=[], columns=list(MEASUREMENT_COLUMNS))
    seen: dict[datetime.datetime, int] = {}
    for number, values in rows:
        row = ImportRow(number=number, values=values)
        at = parse_instant(values.get("at", ""))
        if at is None:
            row.errors.append(("at", _("Enter a date or date and time, e.g. 2026-03-01 12:00.")))
        elif at > now + FUTURE_TOLERANCE:
            row.errors.append(("at", _("A measurement cannot lie in the future.")))
        elif at in seen:
            row.errors.append(("at", _("The same time is on row %(n)d already.") % {"n": seen[at]}))
        else:
            seen[at] = number
        errors: dict = {}
        value = clean_decimal(
            _number(values.get("value", "")),
            "value",
            errors,
            places=4,
            digits=18,
            required=_("Enter the measured value."),
        )
        if errors:
            row.errors.append(("value", errors["value"]))
        row.parsed = {"at": at, "value": value}
        report.rows.append(row)
    if seen:
        existing = set(plan.measurements.filter(at__in=list(seen)).values_list("at", flat=True))
        for row in report.rows:
            if row.parsed["at"] in existing:
                row.errors.append(("at", _("The plan already has a value at this time.")))
    if not plan.is_active:
        for row in report.rows:
            row.errors.append(("plan", _("This capacity plan is no longer active.")))
    if not commit or not report.ok:
        return report
    result: PushResult = measurements_write(
        actor=actor,
        items=[(plan, row.parsed["at"], row.parsed["value"]) for row in report.rows],
        source="csv",
        now=now,
    )
    report.imported, report.duplicates = result.created, result.duplicates
    report.committed, report.batch = True, result.batch
    return report


# --- Cost lines ----------------------------------------------------------------------------


# Chinese names accepted for the categories whatever the translations say.
CATEGORY_ALIASES = {
    "staff": ("人员", "人力", "人工"),
    "licence": ("许可", "许可证", "授权", "license"),
    "hardware": ("硬件", "设备"),
    "supplier": ("供应商", "外包", "供应商服务"),
    "facilities": ("设施", "机房", "能耗", "facility"),
    "other": ("其他",),
}


def _category_lookup() -> dict[str, str]:
    lookup = {alias: key for key, aliases in CATEGORY_ALIASES.items() for alias in aliases}
    for value, label in CostCategory.choices:
        lookup[value] = value
        for language in ("en", "zh-hans"):
            with translation.override(language):
                lookup[str(label).lower()] = value
    return lookup


def cost_line_import(
    *, actor, rows: list[tuple[int, dict]], commit: bool, now=None
) -> ImportReport:
    """Check (and with ``commit``, import) cost rows ``date,service,category,amount`` with
    optional ``currency`` (default CNY), ``supplier`` (a supplier's name) and ``note``. The
    service is named by its code or name; the actor must be allowed to record its costs."""
    from serviceloop.relationship.models import Supplier

    now = now or timezone.now()
    today = timezone.localdate(now)
    report = ImportReport(rows=[], columns=list(COST_COLUMNS))
    services = {}
    for service in Service.objects.all():
        services[service.code.lower()] = service
        services.setdefault(service.name.lower(), service)
    suppliers = {s.name.lower(): s for s in Supplier.objects.all()}
    categories = _category_lookup()
    for number, values in rows:
        row = ImportRow(number=number, values=values)
        service = services.get(values.get("service", "").strip().lower())
        if service is None:
            row.errors.append(("service", _("No service has this code or name.")))
        elif actor is not None and not can_edit_service_records(actor, service):
            row.errors.append(("service", _("You may not record costs of this service.")))
        day = parse_day(values.get("date", ""))
        if day is None:
            row.errors.append(("date", _("Enter a date, e.g. 2026-03-01.")))
        category = categories.get(values.get("category", "").strip().lower())
        if category is None:
            row.errors.append(
                (
                    "category",
                    _("Use one of: %(names)s.") % {"names": ", ".join(CostCategory.values)},
                )
            )
        supplier = None
        supplier_name = values.get("supplier", "").strip()
        if supplier_name:
            supplier = suppliers.get(supplier_name.lower())
            if supplier is None:
                row.errors.append(("supplier", _("No supplier has this name.")))
        errors: dict = {}
        cleaned = clean_cost_fields(
            {
                "amount": _number(values.get("amount", "")),
                "currency": values.get("currency", "").strip() or "CNY",
                "note": values.get("note", ""),
                **({"date": day} if day else {}),
            },
            errors,
            today=today,
        )
        row.errors.extend(errors.items())
        row.parsed = {
            **cleaned,
            "service": service,
            "date": day,
            "category": category,
            "supplier": supplier,
        }
        report.rows.append(row)
    if not commit or not report.ok:
        return report
    batch = uuid.uuid4().hex[:12]
    recorder = actor if getattr(actor, "pk", None) else None
    with transaction.atomic():
        lines = CostLine.objects.bulk_create(
            CostLine(
                source=CostSource.CSV,
                batch=batch,
                created_by=recorder,
                created_at=now,
                updated_at=now,
                **row.parsed,
            )
            for row in report.rows
        )
        totals: dict[str, Decimal] = {}
        for line in lines:
            totals[line.currency] = totals.get(line.currency, Decimal("0")) + line.amount
        audit_record(
            actor=actor,
            verb="cost_line.imported",
            object_type="demand.costline",
            object_id=batch,
            organisation=getattr(actor, "organisation", None),
            payload={
                "batch": batch,
                "count": len(lines),
                "services": sorted({line.service.code for line in lines}),
                "totals": totals,
            },
        )
    report.imported, report.committed, report.batch = len(lines), True, batch
    return report
