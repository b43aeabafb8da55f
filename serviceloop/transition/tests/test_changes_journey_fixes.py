"""What the change manager's browser walkthrough found wanting, pinned down: the calendar's
Month/Week switch keeps the day in view, the CAB vote's radio buttons, item types in the
change form and page, the conflict list, the schedule form's errors, the incidents a
failed change is suspected of, and the change panel on the incident's page."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from serviceloop.desk.models import Kind, TicketConfigurationItem
from serviceloop.desk.tests.factories import TicketFactory
from serviceloop.transition import (
    queries,
    services_change_implementation,
    services_change_links,
)
from serviceloop.transition.lifecycle import ChangeStatus
from serviceloop.transition.tests.factories import ChangeRequestFactory

pytestmark = pytest.mark.usefixtures("english")
CS = ChangeStatus


# --- The calendar --------------------------------------------------------------------------


def test_the_month_week_switch_keeps_the_day_in_view(people, window, client_for):
    start, end = window(0, 2)
    change = ChangeRequestFactory(
        requester=people.agent, status=CS.SCHEDULED, planned_start=start, planned_end=end
    )
    day = timezone.localtime(start).date()
    client = client_for(people.agent)
    month = client.get(reverse("change_calendar"), {"date": day.isoformat()}).content.decode()
    week_link = re.search(
        r'href="\?view=week&amp;date=([\d-]+)"[^>]*data-testid="view-week"', month
    )
    assert week_link and week_link.group(1) == day.isoformat()  # not the 1st of the month

    week = client.get(reverse("change_calendar"), {"view": "week", "date": day.isoformat()})
    assert change.reference in week.content.decode()
    month_link = re.search(
        r'href="\?view=month&amp;date=([\d-]+)"[^>]*data-testid="view-month"',
        week.content.decode(),
    )
    assert month_link.group(1) == day.isoformat()

    today = timezone.localdate().isoformat()  # no day asked for: today
    assert f"view=week&amp;date={today}" in client.get(reverse("change_calendar")).content.decode()


# --- The CAB vote and the review -----------------------------------------------------------


def radios(html: str, name: str) -> list[str]:
    return re.findall(rf'<input type="radio" name="{name}"[^>]*>', html)


def test_the_vote_page_draws_radio_buttons_and_no_link_to_itself(
    people, new_change, walk, client_for
):
    change = walk(new_change(), CS.AWAITING_CAB)
    client = client_for(people.admin)
    html = client.get(reverse("change_vote_page", args=[change.reference])).content.decode()
    buttons = radios(html, "decision")
    assert len(buttons) == 3
    assert all('class="form-check-input"' in b and "form-control" not in b for b in buttons)
    assert '<div id="id_decision">' in html  # the list around them: no text-box class
    assert 'data-testid="vote-link"' not in html
    # the change's own page leads a seated member to the vote
    page = client.get(reverse("change_detail", args=[change.reference])).content.decode()
    assert 'data-testid="vote-link"' in page


def test_the_review_form_draws_radio_buttons(people, new_change, walk, client_for):
    change = walk(new_change(), CS.IMPLEMENTED)
    html = client_for(people.agent).get(reverse("change_review", args=[change.reference]))
    buttons = radios(html.content.decode(), "success")
    assert len(buttons) == 2 and all("form-control" not in b for b in buttons)


# --- Item types ----------------------------------------------------------------------------


def test_items_are_offered_and_shown_with_their_type(people, cmdb, new_change, client_for):
    client = client_for(people.agent)
    form = client.get(reverse("change_new")).content.decode()
    assert f"{cmdb.db.reference} erp-db (Software)</option>" in form
    assert f"{cmdb.host.reference} host-1 (Server)</option>" in form
    change = new_change(items=[cmdb.host])
    page = client.get(reverse("change_detail", args=[change.reference])).content.decode()
    assert re.search(rf"{cmdb.host.reference}</span> host-1 <span[^>]*>\(Server\)", page)


# --- Conflicts -----------------------------------------------------------------------------


@pytest.fixture
def conflicting(people, cmdb, new_change, walk, window):
    """An approved change on the database, and another one booked there in its window."""
    start, end = window(0, 2)
    other = ChangeRequestFactory(
        title="Patch the database host",
        requester=people.agent,
        status=CS.SCHEDULED,
        planned_start=start,
        planned_end=end,
        items=[cmdb.db],
    )
    fmt, local = "%Y-%m-%dT%H:%M", timezone.localtime
    window_input = {
        "planned_start": local(start).strftime(fmt),
        "planned_end": local(end).strftime(fmt),
    }
    return walk(new_change(), CS.APPROVED), other, window_input


def test_a_conflict_names_the_other_change_by_its_title_and_reference_once(
    people, conflicting, client_for
):
    change, other, window_input = conflicting
    url = reverse("change_schedule", args=[change.reference])
    html = client_for(people.agent).post(url, window_input).content.decode()
    alert = html[html.index('data-testid="conflicts"') :]
    alert = alert[: alert.index("</div>")]
    assert f'data-conflict-change="{other.reference}">Patch the database host</a>' in alert
    shown = re.sub(r"<[^>]+>", "", alert)
    assert shown.count(other.reference) == 1  # in the message, not again before it


def test_the_schedule_form_lists_the_conflicts_once_and_asks_for_a_reason(
    people, conflicting, client_for
):
    change, other, window_input = conflicting
    url = reverse("change_schedule", args=[change.reference])
    response = client_for(people.agent).post(url, window_input)
    assert response.status_code == 200
    html = response.content.decode()
    message = "changes the same item at the same time"
    assert html.count(message) == 1  # in the list above the form, not again under the field
    errors = response.context["form"].errors["override_reason"]
    assert list(errors) == [
        "This window conflicts with other work; give a reason to schedule it anyway."
    ]
    change.refresh_from_db()
    assert change.status == CS.APPROVED


# --- Incidents a failed change is suspected of ---------------------------------------------


@pytest.fixture
def failed(people, new_change, walk):
    """A change on the ERP database that failed; its impact: erp-app and the ERP service."""
    change = walk(new_change(), CS.IMPLEMENTING)
    return services_change_implementation.change_complete(
        actor=people.agent, change=change, target=CS.FAILED, note="Logins broke."
    )


def incident(people, **fields):
    fields.setdefault("organisation", people.customer_a)
    fields.setdefault("requester", people.a_user)
    return TicketFactory(**fields)


def test_incidents_on_the_changes_services_or_items_since_it_started_are_suspected(
    people, cmdb, failed
):
    naming = incident(people, title="ERP down", service="erp")  # the code, any case
    part = incident(people, title="ERP slow", service="ERP Mobile")  # not the service
    on_item = incident(people, title="App errors")
    TicketConfigurationItem.objects.create(ticket=on_item, item=cmdb.app, added_at=timezone.now())
    before = incident(
        people,
        service="ERP",
        created_at=failed.actual_start - datetime.timedelta(hours=1),
    )
    long_after = incident(
        people, service="ERP", created_at=failed.actual_end + datetime.timedelta(days=8)
    )
    elsewhere = incident(people, service="Print")
    request = incident(people, service="ERP", kind=Kind.REQUEST)
    linked = incident(people, service="ERP")
    services_change_links.change_link_incidents(
        actor=people.agent, change=failed, incidents=[linked]
    )

    suspected = queries.incidents_suspected(failed, people.agent)
    assert [t.title for t in suspected] == ["ERP down", "App errors"]
    assert suspected[0] == naming
    assert {before, long_after, elsewhere, request, linked, part}.isdisjoint(suspected)
    # only what the user may see: customer B's manager sees none of customer A's tickets
    assert queries.incidents_suspected(failed, people.b_manager) == []
    assert len(queries.incidents_suspected(failed, people.agent, limit=1)) == 1


def test_a_change_that_has_not_run_suspects_nothing(people, new_change, walk):
    incident(people, service="ERP")
    change = walk(new_change(), CS.SCHEDULED)
    assert queries.incidents_suspected(change, people.agent) == []


def test_the_failed_change_page_offers_the_suspected_incidents_for_linking(
    people, failed, client_for
):
    down = incident(people, title="ERP down", service="ERP")
    client = client_for(people.agent)
    url = reverse("change_detail", args=[failed.reference])
    html = client.get(url).content.decode()
    assert 'data-testid="suspected-incidents"' in html
    assert f'data-link-incident="{down.reference}"' in html

    response = client.post(
        reverse("change_link", args=[failed.reference]), {"references": down.reference}
    )
    assert response.status_code == 302
    assert list(failed.caused_incidents.all()) == [down]
    assert 'data-testid="suspected-incidents"' not in client.get(url).content.decode()
    # read-only staff see the incidents caused, but are offered nothing to link
    incident(people, title="ERP again", service="ERP")
    html = client_for(people.auditor).get(url).content.decode()
    assert 'data-testid="suspected-incidents"' not in html


# --- The change panel on the incident's page -----------------------------------------------


def test_the_incident_page_names_the_change_that_caused_it(people, failed, client_for):
    down = incident(people, title="ERP down")
    services_change_links.change_link_incidents(actor=people.agent, change=failed, incidents=[down])
    url = reverse("ticket_detail", args=[down.reference])
    html = client_for(people.agent).get(url).content.decode()
    panel = html[html.index('data-testid="transition-panel"') :]
    assert f'href="{reverse("change_detail", args=[failed.reference])}"' in panel
    assert "Failed" in panel[: panel.index("</div>")]
    assert reverse("incident_changes", args=[down.reference]) in panel

    # read-only staff see the cause, without the way to link
    html = client_for(people.auditor).get(url).content.decode()
    assert (
        failed.reference in html and reverse("incident_changes", args=[down.reference]) not in html
    )
    # the customer does not see the provider's change records
    html = client_for(people.a_user).get(url).content.decode()
    assert 'data-testid="transition-panel"' not in html and failed.reference not in html


def test_no_change_panel_on_a_service_request(people, client_for):
    request = incident(people, kind=Kind.REQUEST)
    html = client_for(people.agent).get(reverse("ticket_detail", args=[request.reference]))
    assert 'data-testid="transition-panel"' not in html.content.decode()
