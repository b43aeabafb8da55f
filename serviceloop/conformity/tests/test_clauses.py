"""The clause model: loaded from the shipped clause list (numbers and titles only) with our own
guidance, idempotently; the clause screens and the clause API (staff read, customers 404)."""

import csv
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from serviceloop.conformity.models import Clause, clause_group_number
from serviceloop.conformity.services_clauses import (
    CLAUSES_CSV,
    GUIDANCE_CSV,
    clause_rows,
    clauses_load,
)

SHARED_CSV = Path(__file__).resolve().parents[3].parent / "shared" / "iso20000-1-clauses.csv"


def csv_rows(path=CLAUSES_CSV):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


# --- Loading -------------------------------------------------------------------------------


@pytest.fixture
def no_clauses(db):
    """An empty clause table (the data migration loads the list into every new database)."""
    # the data migration loads the list into every new database; children go first
    for level in sorted(set(Clause.objects.values_list("level", flat=True)), reverse=True):
        Clause.objects.filter(level=level).delete()


def test_the_loader_creates_one_clause_per_row_with_the_list_numbers_and_titles(no_clauses):
    counts = clauses_load()

    rows = csv_rows()
    assert counts == {"created": len(rows), "updated": 0, "unchanged": 0}
    assert Clause.objects.count() == len(rows) == 77
    stored = {c.number: (c.title_en, c.title_zh, c.area) for c in Clause.objects.all()}
    assert stored == {r["clause"]: (r["title_en"], r["title_zh"], r["app"]) for r in rows}
    assert list(Clause.objects.in_order().values_list("number", flat=True)) == [
        r["clause"] for r in rows
    ]


@pytest.mark.skipif(not SHARED_CSV.exists(), reason="the shared clause list is not beside the repo")
def test_the_shipped_copy_matches_the_shared_clause_list():
    assert CLAUSES_CSV.read_bytes() == SHARED_CSV.read_bytes()


def test_the_loader_builds_the_tree(db):
    clauses_load()
    by_number = {c.number: c for c in Clause.objects.select_related("parent")}

    assert by_number["4"].parent is None and by_number["4"].level == 1
    assert by_number["8.3.4.1"].parent.number == "8.3.4" and by_number["8.3.4.1"].level == 4
    assert by_number["5.2"].is_leaf is False and by_number["5.2.1"].is_leaf is True
    assert Clause.objects.leaves().count() == 57
    assert sorted(c.number for c in by_number["8.6"].children.all()) == ["8.6.1", "8.6.2", "8.6.3"]
    assert [clause_group_number(n) for n in ("4.2", "5.2.1", "8", "8.3.4.1", "10.1")] == [
        "4", "5", "8", "8.3", "10",
    ]  # fmt: skip


def test_the_loader_is_idempotent_and_keeps_primary_keys(db):
    clauses_load()
    before = dict(Clause.objects.values_list("number", "pk"))

    counts = clauses_load()

    assert counts == {"created": 0, "updated": 0, "unchanged": 77}
    assert dict(Clause.objects.values_list("number", "pk")) == before


def test_a_changed_list_updates_in_place(db, tmp_path):
    clauses_load()
    pk = Clause.objects.get(number="8.6.1").pk
    changed = tmp_path / "clauses.csv"
    changed.write_text(
        CLAUSES_CSV.read_text(encoding="utf-8").replace("Incident management", "Incident handling"),
        encoding="utf-8",
    )

    counts = clauses_load(clauses_path=changed)

    assert counts == {"created": 0, "updated": 1, "unchanged": 76}
    clause = Clause.objects.get(number="8.6.1")
    assert clause.pk == pk and clause.title_en == "Incident handling"


@pytest.mark.parametrize(
    "text, message",
    [
        ("clause,title_en,title_zh,app\n4,A,甲,planning\n4,B,乙,planning\n", "appears twice"),
        ("clause,title_en,title_zh,app\n4.1,A,甲,planning\n", "before its parent"),
        ("clause,title_en,title_zh,app\n4.x,A,甲,planning\n", "bad clause number"),
        ("clause,title_en,title_zh,app\n4,A,,planning\n", "both titles"),
        ("clause,title,app\n4,A,planning\n", "missing columns"),
    ],
)
def test_a_malformed_list_is_refused_and_nothing_is_written(no_clauses, tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(ValueError, match=message):
        clauses_load(clauses_path=path)
    assert not Clause.objects.exists()


def test_every_clause_has_our_guidance_in_both_languages_and_no_other_clause_does():
    guidance = csv_rows(GUIDANCE_CSV)
    numbers = [row.number for row in clause_rows()]

    assert [row["clause"] for row in guidance] == numbers
    for row in guidance:
        assert 40 < len(row["guidance_en"]) < 400, row["clause"]
        assert 15 < len(row["guidance_zh"]) < 200, row["clause"]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in row["guidance_zh"]), row["clause"]


def test_title_and_guidance_follow_the_active_language(clauses):
    clause = clauses["8.3.3"]

    with translation.override("zh-hans"):
        assert clause.title == "服务级别管理" and "SLA" in clause.guidance
        assert str(clause) == "8.3.3 服务级别管理"
    with translation.override("en"):
        assert clause.title == "Service level management" and "SLA in force" in clause.guidance


# --- Screens -------------------------------------------------------------------------------


def test_staff_read_the_clause_tree_with_guidance(people, client_for, clauses, english):
    response = client_for(people.auditor).get(reverse("clause_list"))

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('data-clause="') == 77
    assert "Context of the organization" in html
    assert "Keep a signed scope statement" in html  # guidance of 4.3
    assert 'class="ps-5 ms-3 py-2 border-bottom" data-clause="8.3.4.1"' in html


def test_the_tree_filters_by_top_level_clause_and_text(people, client_for, clauses, english):
    client = client_for(people.agent)

    nine = client.get(reverse("clause_list"), {"top": "9"}).content.decode()
    found = client.get(reverse("clause_list"), {"q": "change"}).content.decode()

    assert nine.count('data-clause="') == 5
    assert 'data-clause="8.5.1"' in found and 'data-clause="9.2"' not in found


def test_a_clause_page_shows_its_path_children_and_guidance(people, client_for, clauses, english):
    html = client_for(people.top).get(reverse("clause_detail", args=["8.6"])).content.decode()

    assert "Resolution and fulfilment" in html
    assert reverse("clause_detail", args=["8"]) in html  # breadcrumb
    assert reverse("clause_detail", args=["8.6.3"]) in html  # sub-clause
    assert "解决和履行" in html  # the other language beside it


def test_customers_get_404_and_visitors_sign_in(people, client_for, clauses):
    for user in (people.a_manager, people.a_user, people.outsider):
        client = client_for(user)
        assert client.get(reverse("clause_list")).status_code == 404
        assert client.get(reverse("clause_detail", args=["4"])).status_code == 404
    anonymous = client_for(None).get(reverse("clause_list"))
    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("login"))
    assert client_for(people.agent).get(reverse("clause_detail", args=["99"])).status_code == 404


def test_the_clause_list_exports(people, client_for, clauses):
    client = client_for(people.owner)

    csv_export = b"".join(client.get(reverse("clause_list"), {"export": "csv"}).streaming_content)
    xlsx = client.get(reverse("clause_list"), {"export": "xlsx"})

    lines = csv_export.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 78 and lines[1].startswith("4,1,")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


# --- API -----------------------------------------------------------------------------------


def test_the_api_lists_clauses_in_order_for_staff(people, api_client_for, clauses):
    client = api_client_for(people.auditor)

    everything = client.get("/api/v1/clauses/").json()
    first = client.get("/api/v1/clauses/", {"page_size": 50}).json()
    second = client.get(first["next"]).json()
    one = client.get("/api/v1/clauses/8.3.4.1/").json()

    numbers = [c["number"] for c in first["results"] + second["results"]]
    assert numbers == [row["clause"] for row in csv_rows()]
    assert len(everything["results"]) == 77 and everything["next"] is None
    assert one["parent"] == "8.3.4" and one["level"] == 4 and one["is_leaf"] is True
    assert one["title_zh"] == "外部供方的管理" and one["guidance_en"].startswith("Keep contracts")


def test_the_api_is_read_only_and_404_to_customers(people, api_client_for, clauses):
    staff = api_client_for(people.owner)
    customer = api_client_for(people.a_manager)

    assert staff.post("/api/v1/clauses/", {"number": "11"}, format="json").status_code == 405
    assert staff.patch("/api/v1/clauses/4/", {"title_en": "x"}, format="json").status_code == 405
    assert customer.get("/api/v1/clauses/").status_code == 404
    assert customer.get("/api/v1/clauses/4/").status_code == 404
    assert api_client_for(None).get("/api/v1/clauses/").status_code in (401, 403)
