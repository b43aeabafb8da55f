"""A failed change linked to the incidents it caused, shown on both sides."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from serviceloop.core.models import AuditEvent
from serviceloop.desk.models import Kind, TicketEvent
from serviceloop.desk.tests.factories import TicketFactory
from serviceloop.transition import (
    services_change_implementation,
    services_change_links,
)
from serviceloop.transition.lifecycle import ChangeStatus
from serviceloop.transition.tests.factories import ReleaseFactory

pytestmark = pytest.mark.usefixtures("english")
CS = ChangeStatus


@pytest.fixture
def incident(people):
    def make(**kwargs):
        kwargs.setdefault("organisation", people.customer_a)
        kwargs.setdefault("requester", people.a_user)
        return TicketFactory(**kwargs)

    return make


@pytest.fixture
def failed_change(people, new_change, walk):
    change = walk(new_change(), CS.IMPLEMENTING)
    return services_change_implementation.change_complete(
        actor=people.agent, change=change, target=CS.FAILED, note="The upgrade broke logins."
    )


def test_link_incidents_to_a_failed_change(people, failed_change, incident):
    first, second = incident(title="Cannot log in"), incident(title="ERP down")
    linked = services_change_links.change_link_incidents(
        actor=people.agent, change=failed_change, incidents=[first, second, first]
    )
    assert {t.pk for t in linked} == {first.pk, second.pk}
    assert set(failed_change.caused_incidents.all()) == {first, second}
    assert list(first.causing_changes.all()) == [failed_change]
    [row] = AuditEvent.objects.filter(verb="change.incidents_linked")
    assert row.payload["incidents"] == sorted([first.reference, second.reference])
    assert TicketEvent.objects.filter(ticket=first, to_value=failed_change.reference).exists()
    # linking again writes nothing
    assert (
        services_change_links.change_link_incidents(
            actor=people.agent, change=failed_change, incidents=[first]
        )
        == []
    )
    assert AuditEvent.objects.filter(verb="change.incidents_linked").count() == 1


def test_only_incidents_and_only_changes_that_ran(people, new_change, failed_change, incident):
    request = incident(kind=Kind.REQUEST)
    with pytest.raises(ValidationError):
        services_change_links.change_link_incidents(
            actor=people.agent, change=failed_change, incidents=[request]
        )
    with pytest.raises(ValidationError):
        services_change_links.change_link_incidents(
            actor=people.agent, change=new_change(), incidents=[incident()]
        )
    with pytest.raises(PermissionDenied):
        services_change_links.change_link_incidents(
            actor=people.auditor, change=failed_change, incidents=[incident()]
        )


def test_unlink(people, failed_change, incident):
    ticket = incident()
    services_change_links.change_link_incidents(
        actor=people.agent, change=failed_change, incidents=[ticket]
    )
    assert services_change_links.change_unlink_incident(
        actor=people.agent, change=failed_change, incident=ticket
    )
    assert not failed_change.caused_incidents.exists()
    assert not services_change_links.change_unlink_incident(
        actor=people.agent, change=failed_change, incident=ticket
    )


def test_both_sides_show_the_link(people, failed_change, incident, client_for):
    ticket = incident(title="Cannot log in")
    release = ReleaseFactory()
    client = client_for(people.agent)

    response = client.post(
        reverse("change_link", args=[failed_change.reference]), {"references": ticket.reference}
    )
    assert response.status_code == 302
    change_page = client.get(reverse("change_detail", args=[failed_change.reference]))
    assert ticket.reference in change_page.content.decode()

    incident_page = client.get(reverse("incident_changes", args=[ticket.reference]))
    assert incident_page.status_code == 200
    assert [c.pk for c in incident_page.context["changes"]] == [failed_change.pk]
    assert failed_change.reference in incident_page.content.decode()
    assert release.reference not in incident_page.content.decode()


def test_link_from_the_incident_side(people, failed_change, incident, client_for):
    ticket = incident()
    response = client_for(people.agent).post(
        reverse("incident_changes", args=[ticket.reference]), {"change": failed_change.reference}
    )
    assert response.status_code == 302
    assert list(failed_change.caused_incidents.all()) == [ticket]


def test_the_incident_side_is_staff_only(people, failed_change, incident, client_for):
    ticket = incident()
    assert (
        client_for(people.a_user)
        .get(reverse("incident_changes", args=[ticket.reference]))
        .status_code
        == 404
    )
    assert (
        client_for(people.auditor)
        .get(reverse("incident_changes", args=[ticket.reference]))
        .status_code
        == 200
    )
    assert (
        client_for(people.auditor)
        .post(
            reverse("incident_changes", args=[ticket.reference]),
            {"change": failed_change.reference},
        )
        .status_code
        == 403
    )
