"""CSV/XLSX export of lists: same rows as the screen, no formulas, customers see only theirs."""

import csv
import io

import pytest
from openpyxl import load_workbook

from serviceloop.core.exports import Column, _plain

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _csv_rows(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_organisation_list_exports_csv_with_the_visible_rows(people, client_for):
    response = client_for(people.agent).get("/organisations/?export=csv")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="organisations-')
    rows = _csv_rows(response)
    assert rows[0][:3] == ["Name", "Kind", "Time zone"]
    names = {row[0] for row in rows[1:]}
    assert {people.customer_a.name, people.customer_b.name} <= names


def test_customer_export_holds_only_their_own_organisation(people, client_for):
    response = client_for(people.a_manager).get("/organisations/?export=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert values == [people.customer_a.name]


def test_cells_that_would_run_as_formulas_are_neutralised():
    assert _plain('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert _plain("-1+2") == "'-1+2"
    assert _plain(-3) == -3  # numbers stay numbers
    assert Column("x", "a.b").of({"a": {"b": 5}}) == 5
    assert Column("x", "a.b").of({"a": None}) is None
