"""Importing configuration items from CSV and XLSX: the dry run reports every bad row (row
number, column, translated message) and writes nothing; the import writes all rows or none,
or only the valid rows when asked, in one transaction with audit rows; the screens go
upload → preview → confirm."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from serviceloop.core.models import AuditEvent
from serviceloop.portfolio.cmdb_import import ci_import, read_rows
from serviceloop.portfolio.models import ConfigurationItem
from serviceloop.portfolio.tests.factories import CiTypeFactory

pytestmark = pytest.mark.usefixtures("english")

GOOD_AND_BAD = (
    "name,type,status,owner,location,organisation,attr:cpu_cores,attr:os\n"
    "db-srv-01,server,active,lead,DC1,,32,Linux\n"  # row 2: good
    ",server,active,,DC1,,8,Linux\n"  # row 3: no name
    "web-01,toaster,active,,DC1,,,\n"  # row 4: unknown type
    "web-02,server,broken,nobody,DC1,Nowhere Ltd,many,BeOS\n"  # row 5: many errors
    "lt-001,laptop,active,,HQ,CA,,\n"  # row 6: good, customer A's laptop
)


@pytest.fixture
def types(db):
    CiTypeFactory(
        code="server",
        name="Server",
        attributes=[
            {"key": "cpu_cores", "label": "CPU", "type": "number", "required": True, "choices": []},
            {
                "key": "os",
                "label": "OS",
                "type": "choice",
                "required": False,
                "choices": ["Linux", "Windows"],
            },
        ],
    )
    CiTypeFactory(code="laptop", name="Laptop")


def upload(text: str, name="items.csv", encoding="utf-8"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def xlsx_upload(rows) -> SimpleUploadedFile:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("items.xlsx", buffer.getvalue())


def errors_by_row(report):
    return {row.number: dict(row.errors) for row in report.bad_rows}


def test_the_dry_run_reports_each_bad_row_with_its_number_field_and_message(people, types):
    report = ci_import(actor=people.agent, rows=read_rows(upload(GOOD_AND_BAD)))

    assert [row.number for row in report.good_rows] == [2, 6]
    errors = errors_by_row(report)
    assert set(errors) == {3, 4, 5}
    assert errors[3] == {"name": "Give the item a name."}
    assert errors[4] == {"type": "No such type: “toaster”."}
    assert errors[5]["status"] == "No such status: “broken”."
    assert errors[5]["owner"] == "No such person: “nobody”."
    assert errors[5]["organisation"] == "No such customer: “Nowhere Ltd”."
    assert errors[5]["attr:cpu_cores"] == "Enter a number."
    assert errors[5]["attr:os"].startswith("Choose one of")
    assert not ConfigurationItem.objects.exists() and not AuditEvent.objects.exists()


def test_the_messages_are_translated(people, types):
    with translation.override("zh-hans"):
        report = ci_import(actor=people.agent, rows=read_rows(upload(GOOD_AND_BAD)))
        chinese = translation.gettext("Enter a number.")
    message = errors_by_row(report)[5]["attr:cpu_cores"]
    assert message == chinese and message != "Enter a number."


def test_with_any_bad_row_importing_all_writes_nothing(people, types):
    report = ci_import(actor=people.agent, rows=read_rows(upload(GOOD_AND_BAD)), commit=True)

    assert not report.committed and report.imported == 0
    assert not ConfigurationItem.objects.exists() and not AuditEvent.objects.exists()


def test_importing_only_the_valid_rows_writes_them_with_audit_rows(people, types):
    report = ci_import(
        actor=people.agent, rows=read_rows(upload(GOOD_AND_BAD)), commit=True, valid_only=True
    )

    assert report.committed and report.imported == 2
    server = ConfigurationItem.objects.get(name="db-srv-01")
    laptop = ConfigurationItem.objects.get(name="lt-001")
    assert server.attributes == {"cpu_cores": 32, "os": "Linux"}
    assert server.status == "active" and server.owner == people.lead
    assert laptop.organisation == people.customer_a and laptop.status == "active"
    created = AuditEvent.objects.filter(verb="ci.created").order_by("id")
    assert [row.payload["row"] for row in created] == [2, 6]
    assert {row.payload["import"] for row in created} == {report.batch}
    summary = AuditEvent.objects.get(verb="ci.imported")
    assert summary.payload == {"imported": 2, "skipped_rows": [3, 4, 5]}
    assert [row.reference for row in report.rows if row.reference] == [
        server.reference,
        laptop.reference,
    ]


def test_a_clean_file_imports_every_row_in_one_go(people, types):
    text = "name,type,attr:cpu_cores\na,server,1\nb,server,2\nc,laptop,\n"
    report = ci_import(actor=people.agent, rows=read_rows(upload(text)), commit=True)

    assert report.imported == 3
    assert set(ConfigurationItem.objects.values_list("status", flat=True)) == {"planned"}


def test_the_import_is_one_transaction(people, types, monkeypatch):
    from serviceloop.portfolio import cmdb_import

    calls = {"n": 0}
    real = cmdb_import._new_item

    def failing_third(**kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return real(**kwargs)

    monkeypatch.setattr(cmdb_import, "_new_item", failing_third)
    text = "name,type,attr:cpu_cores\na,server,1\nb,server,2\nc,server,3\n"
    with pytest.raises(RuntimeError):
        ci_import(actor=people.agent, rows=read_rows(upload(text)), commit=True)
    assert not ConfigurationItem.objects.exists() and not AuditEvent.objects.exists()


def test_headers_may_be_labels_in_either_language_and_bare_attribute_keys(people, types):
    text = "名称,类型,状态,cpu_cores\nx,Server,Active,4\ny,server,maintenance,4\n"
    report = ci_import(actor=people.agent, rows=read_rows(upload(text)), commit=True)
    assert not report.bad_rows and report.imported == 2
    assert ConfigurationItem.objects.get(name="x").attributes == {"cpu_cores": 4}
    assert ConfigurationItem.objects.get(name="y").status == "maintenance"


def test_gb18030_csv_and_xlsx_files_are_read(people, types):
    text = "name,type,attr:cpu_cores\n数据库服务器,server,8\n"
    assert read_rows(upload(text, encoding="gb18030"))[0][1]["name"] == "数据库服务器"
    rows = read_rows(
        xlsx_upload([["name", "type", "attr:cpu_cores"], ["x", "server", 16.0], [None, None, None]])
    )
    assert rows == [(2, {"name": "x", "type": "server", "attr:cpu_cores": "16"})]


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("", "empty"),
        ("name,location\nx,y\n", "needs the columns type"),
        ("name,type,name\nx,y,z\n", "appear twice"),
        ("name,type\n", "no rows"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(content, fragment):
    with pytest.raises(ValidationError) as error:
        read_rows(upload(content))
    assert fragment in error.value.messages[0]


def test_a_damaged_xlsx_is_refused():
    with pytest.raises(ValidationError) as error:
        read_rows(SimpleUploadedFile("x.xlsx", b"PK\x03\x04 not really a zip"))
    assert "XLSX" in error.value.messages[0]


# --- The screens ---------------------------------------------------------------------------


def test_upload_preview_and_confirm_only_the_valid_rows(people, types, client_for):
    client = client_for(people.agent)

    response = client.post(reverse("ci_import"), {"file": upload(GOOD_AND_BAD)})
    assert response.status_code == 302
    preview = client.get(response.url)
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "Row 5" in html and "No such person: “nobody”." in html
    assert 'data-testid="import-valid"' in html and 'data-testid="import-all"' not in html
    assert not ConfigurationItem.objects.exists()

    token = preview.context["token"]
    done = client.post(reverse("ci_import_preview"), {"token": token, "valid_only": "on"})
    assert done.status_code == 200 and 'data-testid="import-done"' in done.content.decode()
    assert ConfigurationItem.objects.count() == 2
    # the pending import is used up: confirming again finds nothing
    again = client.post(reverse("ci_import_preview"), {"token": token, "valid_only": "on"})
    assert again.status_code == 404 and ConfigurationItem.objects.count() == 2


def test_confirming_all_with_bad_rows_imports_nothing_and_says_why(people, types, client_for):
    client = client_for(people.agent)
    response = client.post(reverse("ci_import"), {"file": upload(GOOD_AND_BAD)})
    token = client.get(response.url).context["token"]

    again = client.post(reverse("ci_import_preview"), {"token": token})

    assert again.status_code == 200
    assert "Nothing was imported" in again.content.decode()
    assert not ConfigurationItem.objects.exists()


def test_an_unreadable_upload_shows_its_error_on_the_form(people, types, client_for):
    response = client_for(people.agent).post(
        reverse("ci_import"), {"file": upload("name,location\nx,y\n")}
    )
    assert response.status_code == 200
    assert "needs the columns type" in response.content.decode()


def test_another_sessions_token_is_not_found(people, types, client_for):
    first = client_for(people.agent)
    response = first.post(reverse("ci_import"), {"file": upload(GOOD_AND_BAD)})
    token = first.get(response.url).context["token"]
    other = client_for(people.lead)
    assert other.get(reverse("ci_import_preview"), {"token": token}).status_code == 404


@pytest.mark.parametrize("who, status", [("auditor", 403), ("top", 403), ("a_manager", 404)])
def test_the_import_is_for_those_who_write_the_cmdb(people, client_for, who, status):
    assert client_for(getattr(people, who)).get(reverse("ci_import")).status_code == status


def test_the_template_names_the_columns(people, client_for):
    response = client_for(people.agent).get(reverse("ci_import_template"))
    assert response.content.decode("utf-8-sig").startswith("name,type,status,owner")
