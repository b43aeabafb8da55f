"""The availability screens: who sees what (404 for customers, 403 for read-only staff on
writes), the forms, exports, the customer's own report, and the ticket page's panel."""

import datetime
import io
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from serviceloop.assurance.models import AvailabilityTarget, Outage, OutageEventKind, SpofFinding
from serviceloop.assurance.services_availability import outage_create
from serviceloop.assurance.tests.factories import OutageFactory
from serviceloop.desk.lifecycle import Status
from serviceloop.desk.models import EventKind
from serviceloop.desk.tests.factories import TicketEventFactory, TicketFactory
from serviceloop.portfolio.tests.factories import ConfigurationItemFactory, ServiceComponentFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text):
    return datetime.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def outage(people, world):
    return outage_create(
        actor=people.agent,
        service=world.erp,
        title="ERP down",
        start=at("2025-10-14 10:00:00"),
        end=at("2025-10-14 11:00:00"),
    )


STAFF_PAGES = [
    ("availability_home", {}),
    ("outage_list", {}),
    ("outage_new", {}),
    ("outage_from_incident", {}),
    ("outage_from_change", {}),
    ("availability_target_list", {}),
    ("spof_list", {}),
]


@pytest.mark.parametrize(("name", "kwargs"), STAFF_PAGES)
def test_staff_pages_open_for_agents_and_are_hidden_from_customers(
    name, kwargs, people, world, client_for
):
    url = reverse(name, kwargs=kwargs)

    assert client_for(people.agent).get(url).status_code == 200
    answer = client_for(people.a_manager).get(url)
    assert answer.status_code in (302, 404)  # the home page sends customers to their report
    if answer.status_code == 302:
        assert answer.url == reverse("availability_report")


def test_read_only_staff_read_but_may_not_record(people, world, outage, client_for):
    auditor = client_for(people.auditor)

    assert auditor.get(reverse("availability_home")).status_code == 200
    assert auditor.get(reverse("outage_detail", args=[outage.reference])).status_code == 200
    assert auditor.get(reverse("outage_new")).status_code == 403
    response = auditor.post(
        reverse("outage_adjust", args=[outage.reference]),
        {"start": "2025-10-14T09:00:00", "end": "2025-10-14T11:00:00", "reason": "x"},
    )
    assert response.status_code == 403
    outage.refresh_from_db()
    assert outage.start == at("2025-10-14 10:00")


def test_the_home_page_shows_the_availability_of_every_live_service(
    people, world, outage, client_for
):
    response = client_for(people.agent).get(
        reverse("availability_home"), {"first": "2025-10-14", "last": "2025-10-14"}
    )

    rows = {row.service.code: row for row in response.context["rows"]}
    assert set(rows) == {"erp", "mail"}
    assert rows["erp"].result.downtime_seconds == 3600
    assert rows["erp"].result.agreed_seconds == 8 * 3600
    assert "87.500 %" in response.content.decode()


def test_the_home_page_exports_csv_and_xlsx(people, world, outage, client_for):
    client = client_for(people.agent)
    params = {"first": "2025-10-14", "last": "2025-10-14"}

    csv = client.get(reverse("availability_home"), {**params, "export": "csv"})
    xlsx = client.get(reverse("availability_home"), {**params, "export": "xlsx"})

    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert "ERP" in text and "87.500" in text and "3600" in text
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == 3  # the header and the two live services
    assert {sheet.cell(row, 1).value for row in (2, 3)} == {"ERP", "Mail"}
    assert 87.5 in [sheet.cell(row, 6).value for row in (2, 3)]


def test_one_services_page_with_customers_outages_and_the_daily_chart(
    people, world, outage, client_for
):
    response = client_for(people.agent).get(
        reverse("availability_service", args=[world.erp.pk]),
        {"first": "2025-10-13", "last": "2025-10-19"},
    )

    assert response.status_code == 200
    assert response.context["result"].downtime_seconds == 3600
    assert [row["customer"] for row in response.context["customers"]] == [
        people.customer_a,
        people.customer_b,
    ]
    chart = response.context["chart"]
    assert [d["day"] for d in chart][:2] == ["2025-10-13", "2025-10-14"]
    assert chart[1]["downtime"] == 3600 and chart[1]["percent"] == 87.5
    assert chart[5]["percent"] is None  # Saturday: no service hours
    assert 'id="availability-daily"' in response.content.decode()
    assert (
        client_for(people.a_manager)
        .get(reverse("availability_service", args=[world.erp.pk]))
        .status_code
        == 404
    )


def test_recording_an_outage_through_the_form(people, world, client_for):
    response = client_for(people.agent).post(
        reverse("outage_new"),
        {
            "service": world.erp.pk,
            "title": "Slow logins",
            "kind": "unplanned",
            "start": "2025-10-15T09:30:15",
            "end": "2025-10-15T10:00:00",
            "all_customers": "",
            "customers": [people.customer_b.pk],
        },
    )

    outage = Outage.objects.get()
    assert response.status_code == 302 and response.url.endswith(outage.reference + "/")
    assert outage.start == at("2025-10-15 09:30:15")
    assert list(outage.customers.all()) == [people.customer_b]


def test_the_form_shows_the_services_errors(people, world, client_for):
    response = client_for(people.agent).post(
        reverse("outage_new"),
        {
            "service": world.erp.pk,
            "title": "Backwards",
            "kind": "unplanned",
            "start": "2025-10-15T10:00:00",
            "end": "2025-10-15T09:00:00",
            "all_customers": "on",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["end"]
    assert not Outage.objects.exists()


def test_recording_the_outage_of_a_major_incident_from_its_page(people, world, client_for):
    ticket = TicketFactory(
        organisation=people.customer_a,
        requester=people.a_user,
        is_major=True,
        service="erp",
        status=Status.RESOLVED,
        created_at=at("2025-10-14 09:00"),
        resolved_at=at("2025-10-14 09:45"),
    )
    TicketEventFactory(ticket=ticket, kind=EventKind.CREATED, at=at("2025-10-14 09:00"))
    TicketEventFactory(
        ticket=ticket, kind=EventKind.STATUS, at=at("2025-10-14 09:45"), to_value="resolved"
    )
    client = client_for(people.agent)

    panel = client.get(reverse("ticket_detail", args=[ticket.reference])).content.decode()
    form = client.get(reverse("outage_from_incident"), {"ticket": ticket.reference})
    response = client.post(
        reverse("outage_from_incident"),
        {"ticket": ticket.reference, "service": world.erp.pk, "all_customers": "on"},
    )

    assert 'data-testid="assurance-panel"' in panel and 'data-testid="record-outage"' in panel
    assert form.context["form"].initial == {"ticket": ticket.reference, "service": world.erp.pk}
    outage = Outage.objects.get()
    assert response.status_code == 302
    assert (outage.start, outage.end) == (at("2025-10-14 09:00"), at("2025-10-14 09:45"))
    panel = client.get(reverse("ticket_detail", args=[ticket.reference])).content.decode()
    assert outage.reference in panel


def test_adjusting_and_ending_on_the_outage_page(people, world, client_for):
    outage = outage_create(
        actor=people.agent, service=world.mail, title="Down", start=at("2025-10-14 10:00")
    )
    client = client_for(people.agent)

    page = client.get(reverse("outage_detail", args=[outage.reference]))
    refused = client.post(
        reverse("outage_adjust", args=[outage.reference]),
        {"start": "2025-10-14T09:55:00", "end": "", "reason": ""},
        follow=True,
    )
    client.post(
        reverse("outage_adjust", args=[outage.reference]),
        {"start": "2025-10-14T09:55:00", "end": "", "reason": "Alarm at 09:55"},
    )
    client.post(
        reverse("outage_end", args=[outage.reference]),
        {"end": "2025-10-14T10:30:00", "reason": ""},
    )

    outage.refresh_from_db()
    assert page.status_code == 200 and 'data-testid="end-form"' in page.content.decode()
    assert refused.status_code == 200 and outage.events.count() == 3
    assert (outage.start, outage.end) == (at("2025-10-14 09:55"), at("2025-10-14 10:30"))
    kinds = list(outage.events.values_list("kind", flat=True))
    assert kinds == [OutageEventKind.CREATED, OutageEventKind.ADJUSTED, OutageEventKind.ENDED]


def test_the_outage_list_filters_and_exports(people, world, client_for):
    OutageFactory(
        service=world.erp, title="Old one", start=at("2025-08-01 10:00"), end=at("2025-08-01 11:00")
    )
    OutageFactory(service=world.mail, title="Open one", start=at("2025-10-01 10:00"), end=None)
    client = client_for(people.agent)

    ongoing = client.get(reverse("outage_list"), {"state": "ongoing"})
    in_august = client.get(reverse("outage_list"), {"first": "2025-08-01", "last": "2025-08-31"})
    csv = client.get(reverse("outage_list"), {"export": "csv"})

    assert [o.title for o in ongoing.context["page"]] == ["Open one"]
    assert [o.title for o in in_august.context["page"]] == ["Old one"]
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert "Old one" in text and "Open one" in text


def test_the_outage_list_costs_the_same_queries_for_1_or_20_rows(
    people, world, client_for, django_assert_max_num_queries
):
    client = client_for(people.agent)
    OutageFactory(service=world.erp, customers=[people.customer_a], all_customers=False)
    client.get(reverse("outage_list"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(reverse("outage_list"))
    for _n in range(19):
        OutageFactory(service=world.erp, customers=[people.customer_a], all_customers=False)
    with CaptureQueriesContext(connection) as twenty:
        client.get(reverse("outage_list"))

    assert len(twenty) == len(one)


def test_the_monthly_report_for_staff_and_exports_per_customer(people, world, outage, client_for):
    client = client_for(people.owner)

    page = client.get(reverse("availability_report"), {"month": "2025-10"})
    csv = client.get(
        reverse("availability_report"), {"month": "2025-10", "export": "csv", "table": "customers"}
    )
    xlsx = client.get(reverse("availability_report"), {"month": "2025-10", "export": "xlsx"})

    assert page.status_code == 200
    assert len(page.context["per_service"]) == 2 and len(page.context["per_customer"]) == 3
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert text.count("\n") == 4  # header and three customer rows
    assert xlsx["Content-Disposition"].startswith('attachment; filename="availability-2025-10')


def test_a_customer_reads_his_own_services_report_only(people, world, outage, client_for):
    client = client_for(people.b_user)

    page = client.get(
        reverse("availability_report"), {"month": "2025-10", "customer": people.customer_a.pk}
    )
    csv = client.get(reverse("availability_report"), {"month": "2025-10", "export": "csv"})

    assert page.status_code == 200
    assert page.context["per_service"] == []
    rows = page.context["per_customer"]
    assert [(r.customer, r.service.code) for r in rows] == [(people.customer_b, "erp")]
    assert rows[0].result.downtime_seconds == 3600
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert "Customer B" in text and "Customer A" not in text and "Mail" not in text
    assert 'href="/availability/services/' not in page.content.decode()


def test_targets_screen_and_form(people, world, client_for):
    assert (
        client_for(people.agent)
        .get(reverse("availability_target_edit", args=[world.erp.pk]))
        .status_code
        == 403
    )
    owner_of_erp = client_for(people.lead)

    response = owner_of_erp.post(
        reverse("availability_target_edit", args=[world.erp.pk]),
        {"target_percent": "99.9", "note": "Agreed with finance"},
    )
    listing = owner_of_erp.get(reverse("availability_target_list"))

    assert response.status_code == 302
    assert str(AvailabilityTarget.objects.get().target_percent) == "99.900"
    rows = {row["service"].code: row for row in listing.context["rows"]}
    assert rows["erp"]["source"] == "service" and rows["erp"]["can_edit"]
    assert not rows["mail"]["can_edit"]


def test_single_points_of_failure_screens(people, world, client_for):
    item = ConfigurationItemFactory(name="only-db")
    ServiceComponentFactory(service=world.erp, configuration_item=item)

    assert client_for(people.agent).post(reverse("spof_scan")).status_code == 403
    client = client_for(people.owner)
    client.post(reverse("spof_scan"))
    finding = SpofFinding.objects.get()
    listing = client.get(reverse("spof_list"))
    detail = client.post(
        reverse("spof_detail", args=[finding.pk]),
        {"note": "Replica planned"},
    )
    moved = client.post(
        reverse("spof_move", args=[finding.pk]), {"target": "accepted", "note": "Budget next year"}
    )

    finding.refresh_from_db()
    assert "only-db" in listing.content.decode()
    assert detail.status_code == 302 and moved.status_code == 302
    assert (finding.note, finding.status) == ("Budget next year", "accepted")
    assert (
        client_for(people.a_user).get(reverse("spof_detail", args=[finding.pk])).status_code == 404
    )


def test_anonymous_visitors_are_sent_to_sign_in(db, client):
    response = client.get(reverse("availability_home"))

    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_navigation_offers_the_assurance_entries(people, client_for):
    staff = client_for(people.agent).get(reverse("home")).content.decode()
    customer = client_for(people.a_user).get(reverse("home")).content.decode()

    for name in ("availability_home", "continuity_plan_list", "security_risk_list"):
        assert f'data-nav="{name}"' in staff and f'data-nav="{name}"' not in customer
    assert 'data-nav="availability_report"' in customer
    assert timezone.now()
