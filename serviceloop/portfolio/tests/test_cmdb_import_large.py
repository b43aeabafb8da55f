"""A 10,000-row spreadsheet with a few malformed rows: the preview names every bad row and
nothing is half-imported; the valid rows then import in one go (the issue's check)."""

import time

import pytest

from serviceloop.portfolio.cmdb_import import ci_import, read_rows
from serviceloop.portfolio.models import ConfigurationItem
from serviceloop.portfolio.tests.test_cmdb_import import types, xlsx_upload  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("english")]

BAD = {777: "no name", 4321: "unknown type", 9999: "bad number"}


def spreadsheet(count=10_000):
    rows = [["name", "type", "status", "location", "attr:cpu_cores", "attr:os"]]
    for number in range(2, count + 2):
        if BAD.get(number) == "no name":
            rows.append(["", "server", "active", "DC1", "8", "Linux"])
        elif BAD.get(number) == "unknown type":
            rows.append([f"srv-{number}", "toaster", "active", "DC1", "8", "Linux"])
        elif BAD.get(number) == "bad number":
            rows.append([f"srv-{number}", "server", "active", "DC1", "many", "Linux"])
        else:
            rows.append([f"srv-{number}", "server", "active", f"DC{number % 3}", "16", "Linux"])
    return xlsx_upload(rows)


def test_ten_thousand_rows_preview_names_every_bad_row_then_import_the_valid_ones(
    people,
    types,  # noqa: F811
):
    rows = read_rows(spreadsheet())
    assert len(rows) == 10_000

    started = time.perf_counter()
    report = ci_import(actor=people.owner, rows=rows, commit=True)  # all-or-nothing
    preview_seconds = time.perf_counter() - started
    assert sorted(row.number for row in report.bad_rows) == sorted(BAD)
    assert ConfigurationItem.objects.count() == 0  # nothing half-imported

    started = time.perf_counter()
    report = ci_import(actor=people.owner, rows=rows, commit=True, valid_only=True)
    import_seconds = time.perf_counter() - started
    assert ConfigurationItem.objects.count() == 10_000 - len(BAD)
    print(f"10,000 rows: check {preview_seconds:.1f} s, import {import_seconds:.1f} s")
