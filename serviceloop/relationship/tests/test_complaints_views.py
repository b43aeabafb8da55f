"""The complaint screens: a customer lodges and follows his complaints in the portal (a
customer manager his organisation's; another organisation's are 404), staff see and work
them all, read-only staff get 403 on changes, closure is refused without the customer's
answer, investigation notes stay internal, and the list filters and exports."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from serviceloop.core.navigation import entries_for
from serviceloop.portfolio.models import Service
from serviceloop.relationship.models import Complaint, ComplaintResponseTarget, ComplaintStatus
from serviceloop.relationship.services_complaints import complaint_note_add
from serviceloop.relationship.services_complaints_lifecycle import complaint_transition

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def complaints(people, complaint_portal):
    """One complaint of a_user, one of a_manager (customer A), one of b_user."""
    return {
        "a_user": complaint_portal(subject="Slow answers"),
        "a_manager": complaint_portal(actor=people.a_manager, subject="Wrong invoice"),
        "b_user": complaint_portal(actor=people.b_user, subject="Rude engineer"),
    }


def listed(client, query=""):
    return {c.subject for c in client.get(reverse("complaint_list") + query).context["page"]}


def test_the_navigation_offers_complaints_to_both_sides(people):
    staff = [e for e in entries_for(people.agent) if e.url_name == "complaint_list"]
    customer = [e for e in entries_for(people.a_user) if e.url_name == "complaint_list"]
    assert [e.menu for e in staff] == ["operation"]
    assert [e.customers_only for e in customer] == [True]
    assert "supplier_list" in {e.url_name for e in entries_for(people.top)}
    assert "supplier_list" not in {e.url_name for e in entries_for(people.a_manager)}


def test_a_customer_lodges_a_complaint_in_the_portal(people, client_for):
    vpn = Service.objects.create(code="vpn", name="VPN", status="live")
    vpn.customers.add(people.customer_a)
    erp = Service.objects.create(code="erp", name="ERP", status="live")
    client = client_for(people.a_user)

    form = client.get(reverse("complaint_new"))
    assert list(form.context["form"].fields["service"].queryset) == [vpn]
    assert "owner" not in form.context["form"].fields
    refused = client.post(reverse("complaint_new"), {"subject": "x", "service": erp.pk})
    response = client.post(
        reverse("complaint_new"),
        {"subject": "Hotline", "description": "Nobody answered.", "severity": "high", "service": vpn.pk},
    )  # fmt: skip

    assert refused.status_code == 200 and "service" in refused.context["form"].errors
    complaint = Complaint.objects.get()
    assert response.url == f"/complaints/{complaint.reference}/"
    assert (complaint.channel, complaint.complainant, complaint.service) == (
        "portal",
        people.a_user,
        vpn,
    )
    page = client.get(response.url).content.decode()
    assert "Hotline" in page and 'data-testid="complaint-notes"' not in page


def test_customers_follow_only_their_own_complaints(people, client_for, complaints):
    assert listed(client_for(people.a_user)) == {"Slow answers"}
    assert listed(client_for(people.a_manager)) == {"Slow answers", "Wrong invoice"}
    assert listed(client_for(people.b_manager)) == {"Rude engineer"}
    assert listed(client_for(people.outsider)) == set()
    assert listed(client_for(people.auditor)) == {"Slow answers", "Wrong invoice", "Rude engineer"}

    def status(person, name):
        url = reverse("complaint_detail", args=[complaints[name].reference])
        return client_for(person).get(url).status_code

    assert status(people.a_user, "a_user") == 200
    assert status(people.a_user, "a_manager") == 404  # a colleague's: not his
    assert status(people.a_manager, "a_user") == 200  # his organisation's
    assert status(people.b_manager, "a_user") == status(people.outsider, "a_user") == 404
    b_ref = complaints["b_user"].reference
    for name in ("complaint_detail", "complaint_edit"):
        assert client_for(people.a_manager).get(reverse(name, args=[b_ref])).status_code == 404
    response = client_for(people.a_manager).post(
        reverse("complaint_move", args=[b_ref]), {"target": "acknowledged"}
    )
    assert response.status_code == 404


def test_read_only_staff_read_but_get_403_on_changes(people, client_for, complaints):
    client = client_for(people.auditor)
    reference = complaints["a_user"].reference
    assert client.get(reverse("complaint_detail", args=[reference])).status_code == 200
    assert client.get(reverse("complaint_new")).status_code == 403
    assert client.get(reverse("complaint_edit", args=[reference])).status_code == 403
    for name, data in (
        ("complaint_move", {"target": "acknowledged"}),
        ("complaint_note", {"body": "x"}),
        ("complaint_acceptance", {"accepted": "yes"}),
    ):
        assert client.post(reverse(name, args=[reference]), data).status_code == 403
    assert client.post(reverse("complaint_targets"), {}).status_code == 403
    assert Complaint.objects.get(reference=reference).status == ComplaintStatus.RECEIVED


def test_customers_may_not_edit_or_work_a_complaint(people, client_for, complaints):
    client = client_for(people.a_user)
    reference = complaints["a_user"].reference
    assert client.get(reverse("complaint_edit", args=[reference])).status_code == 403
    assert (
        client.post(reverse("complaint_note", args=[reference]), {"body": "x"}).status_code == 403
    )
    assert (
        client.post(
            reverse("complaint_move", args=[reference]), {"target": "acknowledged"}
        ).status_code
        == 403
    )
    assert client.get(reverse("complaint_targets")).status_code == 403


def test_the_lifecycle_on_the_page_refuses_closure_without_the_customers_answer(
    people, client_for, complaints
):
    complaint = complaints["a_user"]
    url = reverse("complaint_move", args=[complaint.reference])
    detail = reverse("complaint_detail", args=[complaint.reference])
    agent = client_for(people.agent)

    agent.post(url, {"target": "investigating"})
    agent.post(reverse("complaint_note", args=[complaint.reference]), {"body": "Checked logs"})
    agent.post(url, {"target": "responded", "response": "We coached the team."})
    refused = agent.post(url, {"target": "closed"}, follow=True)

    assert "A complaint closes only once" in refused.content.decode()
    assert Complaint.objects.get(pk=complaint.pk).status == ComplaintStatus.RESPONDED

    customer = client_for(people.a_user)
    page = customer.get(detail).content.decode()
    assert 'data-testid="acceptance-form"' in page and "Checked logs" not in page
    assert 'data-move="investigating"' in page and 'data-move="closed"' not in page
    customer.post(
        reverse("complaint_acceptance", args=[complaint.reference]),
        {"accepted": "yes", "note": "Thanks"},
    )
    closed = agent.post(url, {"target": "closed"}, follow=True)

    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.CLOSED and complaint.customer_accepted
    staff_page = closed.content.decode()
    assert "Checked logs" in staff_page and 'data-testid="acceptance"' in staff_page


def test_staff_close_with_the_answer_given_in_the_close_form(people, client_for, complaints):
    complaint = complaints["a_user"]
    complaint_transition(
        actor=people.agent, complaint=complaint, target="responded", response="Done"
    )
    client_for(people.agent).post(
        reverse("complaint_move", args=[complaint.reference]),
        {
            "target": "closed",
            "accepted": "no",
            # the answer came today (local date: the response was given today, and a date
            # before the response is refused)
            "acceptance_date": timezone.localdate().isoformat(),
            "acceptance_note": "Still unhappy",
        },
    )
    complaint.refresh_from_db()
    assert complaint.status == "closed" and complaint.customer_accepted is False


def test_staff_record_a_phone_complaint(people, client_for):
    response = client_for(people.agent).post(
        reverse("complaint_new"),
        {
            "organisation": people.customer_b.pk,
            "channel": "phone",
            "severity": "low",
            "subject": "Noise",
            "description": "Too loud.",
            "complainant_name": "Mr Wang",
            "received_at": "2026-03-02T09:30",
        },
    )
    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert (complaint.owner, complaint.complainant_label, complaint.channel) == (
        people.agent,
        "Mr Wang",
        "phone",
    )


def test_the_staff_list_filters_and_exports(people, client_for, complaints):
    complaint_note_add(actor=people.agent, complaint=complaints["b_user"], body="internal")
    client = client_for(people.lead)
    assert listed(client, f"?organisation={people.customer_b.pk}") == {"Rude engineer"}
    assert listed(client, "?breached=yes") == set()
    assert listed(client, "?q=invoice") == {"Wrong invoice"}

    csv = client.get(reverse("complaint_list") + "?export=csv&q=rude")
    body = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert csv["Content-Disposition"].startswith('attachment; filename="complaints-')
    lines = body.strip().splitlines()
    assert len(lines) == 2 and "Rude engineer" in lines[1] and "Customer B" in lines[1]
    assert "Owner" in lines[0]
    xlsx = client.get(reverse("complaint_list") + "?export=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == 4


def test_customers_export_only_their_own_complaints(people, client_for, complaints):
    csv = client_for(people.a_manager).get(reverse("complaint_list") + "?export=csv")
    body = b"".join(csv.streaming_content).decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert len(lines) == 3 and "Rude engineer" not in body and "Owner" not in lines[0]


def test_the_complaint_list_keeps_its_query_count(people, client_for, complaint_portal):
    complaint_portal()
    client = client_for(people.agent)
    client.get(reverse("complaint_list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("complaint_list"))
    for _ in range(8):
        complaint_portal(actor=people.b_user)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("complaint_list"))
    assert len(many) == len(few)


def test_leads_set_the_response_targets(people, client_for):
    data = {}
    for severity, hours in (("low", 40), ("medium", 16), ("high", 4)):
        data.update(
            {f"{severity}-hours": hours, f"{severity}-business_hours": "on", f"{severity}-warn_percent": 75}
        )  # fmt: skip
    assert client_for(people.agent).post(reverse("complaint_targets"), data).status_code == 403
    assert client_for(people.agent).get(reverse("complaint_targets")).status_code == 200

    response = client_for(people.lead).post(reverse("complaint_targets"), data)

    assert response.status_code == 302
    rows = dict(ComplaintResponseTarget.objects.values_list("severity", "hours"))
    assert rows == {"medium": 16, "high": 4}  # low is unchanged from its default
