"""Importing configuration items from a CSV or XLSX file: read, check every row (a dry run
that writes nothing), then import all rows, or only the valid ones, in one transaction.

The first row holds the column names: ``name`` and ``type`` (the type's code or name) are
needed; ``status``, ``owner`` (username), ``location``, ``supplier``, ``version``,
``organisation`` (a customer's short name or name) and ``description`` are optional, as are
attribute columns (``attr:<key>``, or the bare key when it is not one of the above). Column
names are also recognised by their English and Chinese labels. Row numbers are the
spreadsheet's (the header is row 1).
"""

from __future__ import annotations

import csv
import datetime
import io
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from serviceloop.core.audit import audit_record
from serviceloop.core.models import Organisation, OrganisationKind, User
from serviceloop.portfolio.models import CiStatus, CiType
from serviceloop.portfolio.permissions import can_write_cmdb
from serviceloop.portfolio.services_cmdb import _item_payload, _new_item, clean_ci_fields

MAX_ROWS = 20_000
MAX_BYTES = 10 * 1024 * 1024

# column key → (label shown in the preview, accepted header spellings besides the key)
COLUMNS: dict[str, tuple] = {
    "name": (gettext_lazy("name"), ("名称", "name")),
    "type": (gettext_lazy("type"), ("类型", "ci type", "ci_type")),
    "status": (gettext_lazy("status"), ("状态",)),
    "owner": (gettext_lazy("owner"), ("负责人", "所有者")),
    "location": (gettext_lazy("location"), ("位置",)),
    "supplier": (gettext_lazy("supplier"), ("供应商",)),
    "version": (gettext_lazy("version"), ("版本", "version_label")),
    "organisation": (gettext_lazy("customer"), ("客户", "customer", "organization")),
    "description": (gettext_lazy("description"), ("描述", "说明")),
}
# the field of clean_ci_fields each column feeds (for messages keyed by field)
FIELD_COLUMN = {
    "name": "name",
    "ci_type": "type",
    "status": "status",
    "owner": "owner",
    "location": "location",
    "supplier": "supplier",
    "version_label": "version",
    "organisation": "organisation",
    "description": "description",
}


@dataclass
class RowResult:
    number: int  # the spreadsheet row (the header is row 1)
    values: dict[str, str]
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, message)
    reference: str = ""  # once imported

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportReport:
    rows: list[RowResult]
    columns: list[str]
    imported: int = 0
    committed: bool = False
    batch: str = ""

    @property
    def bad_rows(self) -> list[RowResult]:
        return [row for row in self.rows if not row.ok]

    @property
    def good_rows(self) -> list[RowResult]:
        return [row for row in self.rows if row.ok]


# --- Reading the file ----------------------------------------------------------------------


def _cell(value) -> str:
    """A cell as text, the way the user typed it (numbers without a trailing .0, dates ISO)."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(Decimal(str(value)))
    return str(value).strip()


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError(_("The file is not UTF-8 or GB18030 text."))


def _table_from_csv(raw: bytes) -> list[list[str]]:
    text = _decode(raw)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [[_cell(v) for v in row] for row in csv.reader(io.StringIO(text), dialect)]


def _table_from_xlsx(raw: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ValidationError(_("The file could not be read as an XLSX workbook.")) from exc
    try:
        sheet = workbook.worksheets[0]
        table = []
        for row in sheet.iter_rows(values_only=True):
            table.append([_cell(v) for v in row])
            if len(table) > MAX_ROWS + 1:
                break
        return table
    finally:
        workbook.close()


def _column_key(header: str) -> str:
    text = header.strip()
    lowered = text.lower()
    for prefix in ("attr:", "attr.", "attribute:"):
        if lowered.startswith(prefix):
            return "attr:" + lowered[len(prefix) :].strip()
    for key, (label, aliases) in COLUMNS.items():
        with translation.override("en"):
            english = str(label).lower()
        if lowered in (key, english, *(a.lower() for a in aliases)) or text == str(label):
            return key
    return "attr:" + lowered


def read_rows(uploaded) -> list[tuple[int, dict[str, str]]]:
    """``[(row number, {column key: text})]`` from an uploaded CSV or XLSX file; empty rows
    are skipped. ValidationError when the file cannot be read or lacks name/type columns."""
    name = (getattr(uploaded, "name", "") or "").lower()
    if getattr(uploaded, "size", 0) > MAX_BYTES:
        raise ValidationError(_("The file is larger than 5 MB."))
    raw = uploaded.read()
    if name.endswith(".xlsx") or raw[:2] == b"PK":
        table = _table_from_xlsx(raw)
    elif name.endswith((".csv", ".txt")) or not name:
        table = _table_from_csv(raw)
    else:
        raise ValidationError(_("Upload a CSV or XLSX file."))
    if not table or not any(table[0]):
        raise ValidationError(_("The file is empty: its first row must name the columns."))
    keys = [_column_key(h) if h else "" for h in table[0]]
    missing = [k for k in ("name", "type") if k not in keys]
    if missing:
        raise ValidationError(
            _("The file needs the columns %(columns)s.") % {"columns": ", ".join(missing)}
        )
    duplicates = sorted({k for k in keys if k and keys.count(k) > 1})
    if duplicates:
        raise ValidationError(
            _("These columns appear twice: %(columns)s.") % {"columns": ", ".join(duplicates)}
        )
    rows = []
    for number, row in enumerate(table[1:], start=2):
        values = {key: (row[i] if i < len(row) else "") for i, key in enumerate(keys) if key}
        if any(values.values()):
            rows.append((number, values))
    if not rows:
        raise ValidationError(_("The file has no rows under its header."))
    if len(rows) > MAX_ROWS:
        raise ValidationError(_("Import at most %(n)d rows at once.") % {"n": MAX_ROWS})
    return rows


# --- Checking the rows ---------------------------------------------------------------------


class _Lookups:
    """The types, people, customers and statuses the rows name, loaded once."""

    def __init__(self):
        self.types = {}
        for ci_type in CiType.objects.all():
            self.types[ci_type.code.lower()] = ci_type
            self.types[ci_type.name.lower()] = ci_type
        self.statuses = {}
        for value, label in CiStatus.choices:
            self.statuses[value] = value
            for language in ("en", "zh-hans"):
                with translation.override(language):
                    self.statuses[str(label).lower()] = value
        self._people: dict[str, User | None] = {}
        self._organisations: dict[str, Organisation | None] = {}

    def person(self, username: str):
        if username not in self._people:
            self._people[username] = User.objects.filter(username=username).first()
        return self._people[username]

    def organisation(self, text: str):
        if text not in self._organisations:
            self._organisations[text] = (
                Organisation.objects.filter(kind=OrganisationKind.CUSTOMER)
                .filter(Q(short_name__iexact=text) | Q(name__iexact=text))
                .first()
            )
        return self._organisations[text]


def _check_row(number: int, values: dict, lookups: _Lookups) -> tuple[RowResult, dict, str]:
    result = RowResult(number, values)
    fields: dict = {
        "name": values.get("name", ""),
        "location": values.get("location", ""),
        "supplier": values.get("supplier", ""),
        "version_label": values.get("version", ""),
        "description": values.get("description", ""),
    }
    type_text = values.get("type", "").strip()
    ci_type = lookups.types.get(type_text.lower()) if type_text else None
    if ci_type is None:
        result.errors.append(
            ("type", _("No such type: “%(type)s”.") % {"type": type_text})
            if type_text
            else ("type", _("Name the item's type."))
        )
    else:
        fields["ci_type"] = ci_type
    status = CiStatus.PLANNED
    status_text = values.get("status", "").strip()
    if status_text:
        status = lookups.statuses.get(status_text.lower(), "")
        if not status:
            result.errors.append(
                ("status", _("No such status: “%(status)s”.") % {"status": status_text})
            )
    owner_text = values.get("owner", "").strip()
    fields["owner"] = None
    if owner_text:
        owner = lookups.person(owner_text)
        if owner is None:
            result.errors.append(("owner", _("No such person: “%(name)s”.") % {"name": owner_text}))
        else:
            fields["owner"] = owner
    organisation_text = values.get("organisation", "").strip()
    fields["organisation"] = None
    if organisation_text:
        organisation = lookups.organisation(organisation_text)
        if organisation is None:
            result.errors.append(
                (
                    "organisation",
                    _("No such customer: “%(name)s”.") % {"name": organisation_text},
                )
            )
        else:
            fields["organisation"] = organisation
    attributes = {
        key[len("attr:") :]: text for key, text in values.items() if key.startswith("attr:")
    }
    if ci_type is not None:
        # only the type's own attributes, plus any other column the row filled in
        fields["attributes"] = {
            key: text
            for key, text in attributes.items()
            if text or key in {d["key"] for d in ci_type.attributes}
        }
    cleaned, errors = clean_ci_fields(fields)
    for name, message in errors.items():
        if name.startswith("attributes."):
            column = "attr:" + name.split(".", 1)[1]
        else:
            column = FIELD_COLUMN.get(name, name)
        for text in message if isinstance(message, list) else [message]:
            result.errors.append((column, text))
    return result, cleaned, status


def ci_import(
    *,
    actor,
    rows: list[tuple[int, dict[str, str]]],
    commit: bool = False,
    valid_only: bool = False,
) -> ImportReport:
    """Check every row; with ``commit``, import in ONE transaction: all rows, or nothing when
    any row is bad, or (``valid_only``) the good rows only. Each item gets its ``ci.created``
    audit row (with the import's batch id) and the import one ``ci.imported`` row."""
    if actor is not None and not can_write_cmdb(actor):
        raise PermissionDenied
    lookups = _Lookups()
    checked = [_check_row(number, values, lookups) for number, values in rows]
    columns = []
    for _number, values in rows:
        for key in values:
            if key not in columns:
                columns.append(key)
    report = ImportReport(rows=[result for result, _c, _s in checked], columns=columns)
    if not commit:
        return report
    if report.bad_rows and not valid_only:
        return report
    report.batch = uuid.uuid4().hex[:12]
    with transaction.atomic():
        for result, cleaned, status in checked:
            if not result.ok:
                continue
            item = _new_item(actor=actor, cleaned=cleaned, status=status)
            audit_record(
                actor=actor,
                verb="ci.created",
                obj=item,
                payload={**_item_payload(item), "import": report.batch, "row": result.number},
            )
            result.reference = item.reference
            report.imported += 1
        audit_record(
            actor=actor,
            verb="ci.imported",
            object_type="portfolio.import",
            object_id=report.batch,
            payload={
                "imported": report.imported,
                "skipped_rows": [row.number for row in report.bad_rows],
            },
        )
    report.committed = True
    return report
