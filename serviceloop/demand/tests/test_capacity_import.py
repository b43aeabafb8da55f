"""CSV imports (measurements into a plan, cost lines): the dry run names each bad row and
writes nothing; one bad row and nothing is imported; a good file is imported whole; and the
screens' upload → preview → confirm journey."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from serviceloop.core.models import AuditEvent
from serviceloop.demand.models import CostLine, Measurement
from serviceloop.demand.services_imports import (
    COST_COLUMNS,
    COST_REQUIRED,
    MEASUREMENT_COLUMNS,
    MEASUREMENT_REQUIRED,
    cost_line_import,
    measurement_import,
    read_table,
)

pytestmark = pytest.mark.usefixtures("english")


def rows_of(text, columns=MEASUREMENT_COLUMNS, required=MEASUREMENT_REQUIRED):
    return read_table(text.encode("utf-8"), columns, required)


def test_the_dry_run_names_each_bad_row_and_writes_nothing(people, demand_world):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    rows = rows_of(
        "at,value\n"
        f"{yesterday} 10:00,55.5\n"
        "not a date,40\n"
        f"{yesterday} 11:00,lots\n"
        f"{yesterday} 10:00,56\n"
        "2999-01-01 00:00,1\n"
    )

    report = measurement_import(actor=people.agent, plan=demand_world.plan, rows=rows, commit=False)

    assert [row.number for row in report.bad_rows] == [3, 4, 5, 6]
    messages = report.messages()
    assert messages[0].startswith("Row 3, at:")
    assert messages[1] == "Row 4, value: Enter a number."
    assert "row 2" in messages[2]  # the same time twice
    assert "future" in messages[3]
    assert not report.committed and Measurement.objects.count() == 0


def test_one_bad_row_and_nothing_is_imported(people, demand_world):
    rows = rows_of("at,value\n2026-01-01 10:00,50\n2026-01-02 10:00,\n")

    report = measurement_import(actor=people.agent, plan=demand_world.plan, rows=rows, commit=True)

    assert not report.committed and report.imported == 0
    assert Measurement.objects.count() == 0
    assert not AuditEvent.objects.filter(verb="measurement.imported").exists()


def test_a_good_file_is_imported_whole_with_one_audit_row(people, demand_world):
    plan = demand_world.plan
    rows = rows_of(
        "时间;值\n2026-01-01 10:00;50\n2026/01/02;51.5\n2026-01-03T10:00:00+00:00;1,052.25\n"
    )

    report = measurement_import(actor=people.agent, plan=plan, rows=rows, commit=True)

    assert report.committed and report.imported == 3
    values = list(plan.measurements.order_by("at").values_list("value", flat=True))
    assert values == [Decimal("50"), Decimal("51.5"), Decimal("1052.25")]
    assert set(plan.measurements.values_list("source", flat=True)) == {"csv"}
    [audit] = AuditEvent.objects.filter(verb="measurement.imported")
    assert audit.payload["count"] == 3 and audit.payload["source"] == "csv"


def test_values_the_plan_already_has_are_bad_rows(people, demand_world):
    plan = demand_world.plan
    measurement_import(
        actor=people.agent, plan=plan, rows=rows_of("at,value\n2026-01-01 10:00,50\n"), commit=True
    )

    report = measurement_import(
        actor=people.agent,
        plan=plan,
        rows=rows_of("at,value\n2026-01-01 10:00,50\n2026-01-02 10:00,51\n"),
        commit=True,
    )

    assert [row.number for row in report.bad_rows] == [2]
    assert plan.measurements.count() == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"when,how much\n1,2\n", "missing: at, value"),
        (b"at,value\n", "no rows"),
        ("at,value\n2026-01-01,1\n".encode("utf-16"), "UTF-8"),
    ],
)
def test_unreadable_files_are_refused_as_a_whole(content, message):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        read_table(content, MEASUREMENT_COLUMNS, MEASUREMENT_REQUIRED)

    assert message in " ".join(error.value.messages)


def test_the_import_screens_check_then_import(people, demand_world, client_for):
    plan = demand_world.plan
    client = client_for(people.agent)
    bad = SimpleUploadedFile("m.csv", b"at,value\n2026-01-01 10:00,50\n2026-01-02 10:00,x\n")

    upload = client.post(reverse("capacity_import", args=[plan.reference]), {"file": bad})
    preview = client.get(upload.url)
    html = preview.content.decode()

    assert upload.status_code == 302 and preview.status_code == 200
    assert "Row 3, value: Enter a number." in html
    assert 'data-testid="import-all"' not in html  # nothing to confirm
    token = preview.context["token"]
    refused = client.post(
        reverse("capacity_import_preview", args=[plan.reference]), {"token": token}
    )
    assert refused.status_code == 200 and Measurement.objects.count() == 0

    good = SimpleUploadedFile("m.csv", b"at,value\n2026-01-01 10:00,50\n2026-01-02 10:00,52\n")
    upload = client.post(reverse("capacity_import", args=[plan.reference]), {"file": good})
    preview = client.get(upload.url)
    assert 'data-testid="import-all"' in preview.content.decode()
    assert Measurement.objects.count() == 0  # the preview is a dry run
    done = client.post(
        reverse("capacity_import_preview", args=[plan.reference]),
        {"token": preview.context["token"]},
    )
    assert done.status_code == 302 and plan.measurements.count() == 2


def test_read_only_staff_and_customers_cannot_import(people, demand_world, client_for):
    url = reverse("capacity_import", args=[demand_world.plan.reference])

    assert client_for(people.auditor).get(url).status_code == 403
    assert client_for(people.a_manager).get(url).status_code == 404


# --- Cost lines ----------------------------------------------------------------------------


def cost_rows(text):
    return read_table(text.encode("utf-8"), COST_COLUMNS, COST_REQUIRED)


def test_the_cost_import_names_each_bad_row_and_imports_all_or_nothing(people, demand_world):
    text = (
        "date,service,category,amount,currency,supplier,note\n"
        "2026-01-31,mail,staff,12000,CNY,,January\n"
        "2026-01-31,nope,staff,1,CNY,,\n"
        "2026-02-30,MAIL,licence,1,CNY,,\n"
        "2026-02-28,Mail 邮件,snacks,1,CNY,,\n"
        "2026-02-28,mail,hardware,0,CNY,,\n"
        "2026-02-28,mail,hardware,5,yuan,,\n"
        "2026-02-28,mail,supplier,5,CNY,Nobody Ltd,\n"
    )

    report = cost_line_import(actor=people.admin, rows=cost_rows(text), commit=True)

    assert not report.committed and CostLine.objects.count() == 0
    bad = {row.number: [column for column, _m in row.errors] for row in report.bad_rows}
    assert bad == {
        3: ["service"],
        4: ["date"],
        5: ["category"],
        6: ["amount"],
        7: ["currency"],
        8: ["supplier"],
    }


def test_a_good_cost_file_is_imported_with_labels_in_either_language(people, demand_world):
    text = (
        "日期,服务,类别,金额,币种,备注\n"
        "2026-01-31,mail,Staff,12000,,January\n"
        "2026-02-28,ERP,许可证,-500.5,CNY,credit note\n"
    )

    report = cost_line_import(actor=people.admin, rows=cost_rows(text), commit=True)

    assert report.committed and report.imported == 2, report.messages()
    lines = list(CostLine.objects.order_by("date"))
    assert [(line.service.code, line.category, line.amount, line.currency) for line in lines] == [
        ("mail", "staff", Decimal("12000"), "CNY"),
        ("erp", "licence", Decimal("-500.5"), "CNY"),
    ]
    assert AuditEvent.objects.filter(verb="cost_line.imported").count() == 1


def test_a_service_owner_imports_only_his_own_services_costs(people, demand_world):
    text = "date,service,category,amount\n2026-01-31,mail,staff,1\n2026-01-31,erp,staff,1\n"

    report = cost_line_import(actor=people.agent, rows=cost_rows(text), commit=True)

    assert [row.number for row in report.bad_rows] == [3]
    assert "may not record costs" in report.messages()[0]
    assert CostLine.objects.count() == 0
