"""The change screens: who sees what (404 for customers, 403 for read-only staff on writes),
the forms and moves, the CAB page, the calendar, the settings, the customers' planned
changes, the navigation, and the CSV/XLSX exports."""

import csv
import datetime
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from serviceloop.transition.lifecycle import ChangeStatus
from serviceloop.transition.models import (
    BlackoutPeriod,
    CabVote,
    ChangePolicy,
    ChangeRequest,
    ChangeTemplate,
)
from serviceloop.transition.tests.factories import (
    BlackoutPeriodFactory,
    ChangeRequestFactory,
    ChangeTemplateFactory,
)

pytestmark = pytest.mark.usefixtures("english")
CS = ChangeStatus


def csv_rows(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))


def nav(html):
    return re.findall(r'data-nav="([^"]+)"', html)


# --- Who sees what -------------------------------------------------------------------------

STAFF_PAGES = [
    "change_list",
    "change_calendar",
    "cab_queue",
    "change_settings",
    "change_template_list",
    "cab_rule_list",
    "blackout_list",
    "release_list",
    "plan_list",
]


@pytest.mark.parametrize("url_name", STAFF_PAGES)
def test_staff_read_every_list_and_customers_get_404(people, client_for, url_name):
    url = reverse(url_name)
    for user in (people.agent, people.auditor, people.top, people.owner):
        assert client_for(user).get(url).status_code == 200, user
    for user in (people.a_manager, people.b_user, people.outsider):
        assert client_for(user).get(url).status_code == 404, user
    anonymous = client_for(None).get(url)
    assert anonymous.status_code == 302 and reverse("login") in anonymous.url


def test_change_pages_are_404_for_customers_and_forms_403_for_read_only_staff(
    people, new_change, client_for
):
    change = new_change()
    detail = reverse("change_detail", args=[change.reference])
    for user in (people.a_manager, people.a_user):
        assert client_for(user).get(detail).status_code == 404
        assert (
            client_for(user).get(reverse("change_vote_page", args=[change.reference])).status_code
            == 404
        )
    for user in (people.auditor, people.top):
        client = client_for(user)
        assert client.get(detail).status_code == 200
        assert client.get(reverse("change_new")).status_code == 403
        assert client.get(reverse("change_edit", args=[change.reference])).status_code == 403
        response = client.post(
            reverse("change_move", args=[change.reference]), {"target": "submitted"}
        )
        assert response.status_code == 403
    change.refresh_from_db()
    assert change.status == CS.DRAFT


def test_navigation_entries(people, client_for):
    staff_nav = nav(client_for(people.auditor).get(reverse("home")).content.decode())
    assert {"change_list", "change_calendar", "release_list"} <= set(staff_nav)
    assert "planned_changes" not in staff_nav
    customer_nav = nav(client_for(people.a_user).get(reverse("home")).content.decode())
    assert "planned_changes" in customer_nav and "change_list" not in customer_nav


# --- Forms and moves -----------------------------------------------------------------------


def test_raise_submit_and_assess_through_the_screens(people, cmdb, client_for):
    client = client_for(people.agent)
    response = client.post(
        reverse("change_new"),
        {
            "change_type": "normal",
            "title": "Resize the ERP database",
            "description": "More memory.",
            "reason": "Month-end load.",
            "configuration_items": [cmdb.db.pk],
            "implementation_plan": "Resize the VM.",
            "backout_plan": "Resize back.",
            "likelihood": "1",
            "impact": "2",
        },
    )
    change = ChangeRequest.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "change_detail", args=[change.reference]
    )
    assert change.risk_level == "low" and change.owner == people.agent

    page = client.get(reverse("change_detail", args=[change.reference])).content.decode()
    assert 'data-move="submitted"' in page and "ERP" in page  # the impact preview

    client.post(reverse("change_move", args=[change.reference]), {"target": "submitted"})
    client.post(
        reverse("change_move", args=[change.reference]),
        {"target": "assessed", "likelihood": "2", "impact": "2"},
    )
    change.refresh_from_db()
    assert change.status == CS.ASSESSED and change.risk_level == "medium"
    page = client.get(reverse("change_detail", args=[change.reference])).content.decode()
    assert 'data-testid="cab-needed"' in page and "low-risk" in page


def test_an_illegal_move_shows_a_message_and_changes_nothing(people, new_change, client_for):
    change = new_change()
    response = client_for(people.agent).post(
        reverse("change_move", args=[change.reference]), {"target": "implemented"}, follow=True
    )
    assert response.status_code == 200
    assert "cannot go from" in response.content.decode()
    change.refresh_from_db()
    assert change.status == CS.DRAFT


def test_the_form_shows_service_errors(people, client_for):
    response = client_for(people.agent).post(
        reverse("change_new"), {"change_type": "standard", "title": "x"}
    )
    assert response.status_code == 200
    assert "active template" in response.content.decode()
    assert not ChangeRequest.objects.exists()


def test_schedule_page_asks_for_an_override_reason(
    people, cmdb, new_change, walk, window, client_for
):
    start, end = window(0, 2)
    other = ChangeRequestFactory(
        requester=people.agent,
        status=CS.SCHEDULED,
        planned_start=start,
        planned_end=end,
        items=[cmdb.db],
    )
    change = walk(new_change(), CS.APPROVED)
    url = reverse("change_schedule", args=[change.reference])
    fmt = "%Y-%m-%dT%H:%M"
    local = timezone.localtime
    data = {"planned_start": local(start).strftime(fmt), "planned_end": local(end).strftime(fmt)}
    client = client_for(people.agent)

    refused = client.post(url, data)
    assert refused.status_code == 200
    assert other.reference in refused.content.decode()
    change.refresh_from_db()
    assert change.status == CS.APPROVED

    accepted = client.post(url, {**data, "override_reason": "Agreed with the other team."})
    assert accepted.status_code == 302
    change.refresh_from_db()
    assert change.status == CS.SCHEDULED
    page = client.get(reverse("change_detail", args=[change.reference])).content.decode()
    assert 'data-testid="override"' in page and "Agreed with the other team." in page


def test_cab_vote_page(people, new_change, walk, client_for):
    change = walk(new_change(), CS.AWAITING_CAB)
    url = reverse("change_vote_page", args=[change.reference])
    queue = client_for(people.admin).get(reverse("cab_queue"))
    assert [c.pk for c in queue.context["mine"]] == [change.pk]

    page = client_for(people.admin).get(url).content.decode()
    assert 'data-testid="vote-form"' in page
    assert client_for(people.agent).post(url, {"decision": "approve"}).status_code == 403
    assert client_for(people.auditor).post(url, {"decision": "approve"}).status_code == 403

    client_for(people.admin).post(url, {"decision": "approve", "comment": "ok"})
    client_for(people.owner).post(url, {"decision": "approve"})
    change.refresh_from_db()
    assert change.status == CS.APPROVED
    assert CabVote.objects.filter(change=change).count() == 2
    assert 'data-testid="vote-form"' not in client_for(people.lead).get(url).content.decode()


def test_review_page(people, new_change, walk, client_for):
    change = walk(new_change(), CS.IMPLEMENTED)
    client = client_for(people.agent)
    response = client.post(
        reverse("change_review", args=[change.reference]),
        {"success": "yes", "notes": "Went fine.", "lessons": ""},
    )
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == CS.REVIEWED and change.review_success is True


def test_calendar_month_and_week(people, cmdb, window, client_for):
    start, end = window(0, 2)
    scheduled = ChangeRequestFactory(
        requester=people.agent, status=CS.SCHEDULED, planned_start=start, planned_end=end
    )
    draft = ChangeRequestFactory(
        requester=people.agent, status=CS.DRAFT, planned_start=start, planned_end=end
    )
    day = timezone.localtime(start).date()
    client = client_for(people.auditor)
    month = client.get(reverse("change_calendar"), {"date": day.isoformat()})
    html = month.content.decode()
    assert month.status_code == 200 and len(month.context["weeks"]) in (4, 5, 6)
    assert scheduled.reference in html and draft.reference not in html
    week = client.get(reverse("change_calendar"), {"view": "week", "date": day.isoformat()})
    assert len(week.context["weeks"]) == 1 and scheduled.reference in week.content.decode()
    assert client.get(reverse("change_calendar"), {"date": "not-a-date"}).status_code == 200


def test_calendar_query_count_does_not_grow_with_changes(people, cmdb, window, client_for):
    client = client_for(people.agent)
    day = timezone.localtime(window()[0]).date().isoformat()

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("change_calendar"), {"date": day}).status_code == 200
        return len(captured)

    ChangeRequestFactory(
        requester=people.agent,
        status=CS.SCHEDULED,
        planned_start=window(0)[0],
        planned_end=window(0)[1],
        items=[cmdb.db],
    )
    few = count()
    for n in range(1, 6):
        ChangeRequestFactory(
            requester=people.agent,
            status=CS.SCHEDULED,
            planned_start=window(n * 3)[0],
            planned_end=window(n * 3)[1],
            items=[cmdb.host],
        )
    assert count() == few


def test_change_list_query_count_is_flat(people, client_for):
    client = client_for(people.agent)

    def count():
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("change_list"))
        return len(captured)

    ChangeRequestFactory(requester=people.agent)
    few = count()
    for _n in range(5):
        ChangeRequestFactory(requester=people.lead, owner=people.admin)
    assert count() == few


# --- Settings ------------------------------------------------------------------------------


def test_policy_is_configured_by_the_system_owner_only(people, cmdb, client_for):
    url = reverse("change_settings")
    data = {"controlled_ci_types": [cmdb.server.pk], "low_risk_without_cab": "on"}
    assert client_for(people.agent).post(url, data).status_code == 403
    assert client_for(people.auditor).post(url, data).status_code == 403
    assert client_for(people.a_manager).post(url, data).status_code == 404
    assert 'data-testid="policy-form"' not in client_for(people.agent).get(url).content.decode()

    response = client_for(people.owner).post(url, data)
    assert response.status_code == 302
    policy = ChangePolicy.current()
    assert list(policy.controlled_ci_types.all()) == [cmdb.server]
    assert policy.low_risk_without_cab and not policy.all_controlled


def test_templates_and_blackouts_through_the_screens(people, client_for):
    admin = client_for(people.admin)
    assert client_for(people.agent).get(reverse("change_template_new")).status_code == 403
    response = admin.post(
        reverse("change_template_new"),
        {
            "name": "Add a mailbox",
            "risk_level": "low",
            "implementation_plan": "Create it.",
            "backout_plan": "Delete it.",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    template = ChangeTemplate.objects.get()
    assert template.name == "Add a mailbox"

    start = timezone.localtime() + datetime.timedelta(days=3)
    fmt = "%Y-%m-%dT%H:%M"
    response = admin.post(
        reverse("blackout_new"),
        {
            "organisation": people.customer_a.pk,
            "start": start.strftime(fmt),
            "end": (start + datetime.timedelta(days=1)).strftime(fmt),
            "reason": "Quarter close",
        },
    )
    assert response.status_code == 302
    blackout = BlackoutPeriod.objects.get()
    assert blackout.organisation == people.customer_a
    assert (
        client_for(people.agent).post(reverse("blackout_delete", args=[blackout.pk])).status_code
        == 403
    )
    admin.post(reverse("blackout_delete", args=[blackout.pk]))
    assert not BlackoutPeriod.objects.exists()


def test_cab_rule_form(people, client_for):
    response = client_for(people.owner).post(
        reverse("cab_rule_new"),
        {
            "risk_level": "high",
            "approvers": [people.admin.pk, people.lead.pk],
            "quorum": "2",
            "emergency_approvers": [people.lead.pk],
            "emergency_quorum": "1",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    rules = client_for(people.auditor).get(reverse("cab_rule_list"))
    assert [r.risk_level for r in rules.context["rules"]] == ["high"]
    bad = client_for(people.owner).post(
        reverse("cab_rule_new"),
        {
            "risk_level": "low",
            "approvers": [people.admin.pk],
            "quorum": "2",
            "emergency_quorum": "1",
        },
    )
    assert bad.status_code == 200 and "cannot be reached" in bad.content.decode()


# --- The customers' planned changes --------------------------------------------------------


def test_customers_see_only_planned_changes_on_their_services(people, cmdb, window, client_for):
    start, end = window(0, 2)
    for_a = ChangeRequestFactory(
        requester=people.agent,
        status=CS.SCHEDULED,
        planned_start=start,
        planned_end=end,
        customers=[people.customer_a],
        impact_snapshot={
            "services": [
                {"id": cmdb.erp.pk, "name": "ERP"},
                {"id": cmdb.printing.pk, "name": "Print"},
            ]
        },
    )
    for_b = ChangeRequestFactory(
        requester=people.agent,
        status=CS.SCHEDULED,
        planned_start=start,
        planned_end=end,
        customers=[people.customer_b],
    )
    unscheduled = ChangeRequestFactory(
        requester=people.agent,
        status=CS.APPROVED,
        planned_start=start,
        planned_end=end,
        customers=[people.customer_a],
    )
    page = client_for(people.a_user).get(reverse("planned_changes"))
    html = page.content.decode()
    assert page.status_code == 200
    assert [r["change"].pk for r in page.context["rows"]] == [for_a.pk]
    assert page.context["rows"][0]["services"] == ["ERP"]  # not customer B's service
    assert for_b.reference not in html and unscheduled.reference not in html
    assert f'href="/changes/{for_a.reference}/"' not in html  # no link into staff pages
    staff = client_for(people.agent).get(reverse("planned_changes"))
    assert {r["change"].pk for r in staff.context["rows"]} == {for_a.pk, for_b.pk}


# --- Exports -------------------------------------------------------------------------------


def test_change_list_exports_csv_and_xlsx_with_the_filters(people, client_for):
    emergency = ChangeRequestFactory(
        requester=people.agent, change_type="emergency", title="=cmd()"
    )
    ChangeRequestFactory(requester=people.agent, change_type="normal")
    client = client_for(people.auditor)

    response = client.get(reverse("change_list"), {"export": "csv", "change_type": "emergency"})
    assert response["Content-Disposition"].startswith('attachment; filename="changes-')
    rows = csv_rows(response)
    assert rows[0][:4] == ["Reference", "Type", "Title", "Status"]
    assert [r[0] for r in rows[1:]] == [emergency.reference]
    assert rows[1][2] == "'=cmd()"  # no formula

    response = client.get(reverse("change_list"), {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row == 3
    assert (
        client_for(people.a_manager).get(reverse("change_list"), {"export": "csv"}).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("url_name", "name"),
    [
        ("change_template_list", "change-templates"),
        ("cab_rule_list", "cab-rules"),
        ("blackout_list", "blackout-periods"),
        ("release_list", "releases"),
        ("plan_list", "transition-plans"),
    ],
)
def test_every_list_exports(people, cab, client_for, url_name, name):
    ChangeTemplateFactory(name="Rotate logs")
    BlackoutPeriodFactory(reason="Freeze")
    for fmt in ("csv", "xlsx"):
        response = client_for(people.agent).get(reverse(url_name), {"export": fmt})
        assert response.status_code == 200
        assert f'filename="{name}-' in response["Content-Disposition"]
    rows = csv_rows(client_for(people.agent).get(reverse(url_name), {"export": "csv"}))
    if url_name == "cab_rule_list":
        assert len(rows) == 4  # header + low, medium, high
    if url_name == "blackout_list":
        assert rows[1][-1] == "Freeze"
