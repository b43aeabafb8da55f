"""Confidential incidents (security incidents) linked to a change or tagged to a release are
listed only to the people cleared for them: change and release pages, their histories, the
incident's own transition page, the API and its filter. Counts stay whole."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from serviceloop.desk.models import Ticket
from serviceloop.desk.tests.factories import TicketFactory
from serviceloop.transition import (
    services_change_implementation,
    services_change_links,
)
from serviceloop.transition import services_release_deployments as deployments
from serviceloop.transition import services_releases as svc
from serviceloop.transition.lifecycle import ChangeStatus, ReleaseStatus
from serviceloop.transition.models import Release

pytestmark = pytest.mark.usefixtures("english")
CS, RS = ChangeStatus, ReleaseStatus
SECRET = "Ransomware on ERP 勒索软件"


def confidential(people, **kwargs):
    ticket = TicketFactory(
        organisation=people.customer_a, requester=people.a_user, title=SECRET, **kwargs
    )
    Ticket.objects.filter(pk=ticket.pk).update(confidential=True)
    ticket.confidential_viewers.set([people.agent])
    ticket.refresh_from_db()
    return ticket


@pytest.fixture
def failed_change(people, new_change, walk):
    change = walk(new_change(), CS.IMPLEMENTING)
    return services_change_implementation.change_complete(
        actor=people.agent, change=change, target=CS.FAILED, note="The upgrade broke logins."
    )


def test_a_change_lists_a_confidential_incident_only_to_the_cleared(
    people, failed_change, client_for, api_client_for
):
    secret = confidential(people)
    plain = TicketFactory(organisation=people.customer_a, requester=people.a_user)
    services_change_links.change_link_incidents(
        actor=people.agent, change=failed_change, incidents=[secret, plain]
    )
    url = reverse("change_detail", args=[failed_change.reference])

    page = client_for(people.lead).get(url).content.decode()  # staff, not cleared
    assert secret.reference not in page and SECRET not in page
    assert plain.reference in page and "(confidential)" in page  # the history's line
    assert secret.reference in client_for(people.agent).get(url).content.decode()
    incident_page = reverse("incident_changes", args=[secret.reference])
    assert client_for(people.lead).get(incident_page).status_code == 404
    assert client_for(people.agent).get(incident_page).status_code == 200
    unlink = reverse("change_unlink", args=[failed_change.reference, secret.reference])
    assert client_for(people.lead).post(unlink).status_code == 404
    assert failed_change.caused_incidents.count() == 2

    api = api_client_for(people.lead)
    shown = api.get(f"/api/v1/changes/{failed_change.reference}/").json()
    assert shown["caused_incidents"] == [plain.reference]
    assert (
        api.get("/api/v1/changes/", {"caused_incident": secret.reference}).json()["results"] == []
    )
    cleared = api_client_for(people.agent).get(
        "/api/v1/changes/", {"caused_incident": secret.reference}
    )
    assert [c["reference"] for c in cleared.json()["results"]] == [failed_change.reference]
    listed = api_client_for(people.agent).get(f"/api/v1/changes/{failed_change.reference}/")
    assert set(listed.json()["caused_incidents"]) == {secret.reference, plain.reference}


@pytest.fixture
def deployed(people, cmdb, new_change, walk):
    change = walk(new_change(), CS.APPROVED)
    release = svc.release_create(
        actor=people.agent,
        name="ERP 5.2",
        changes=[change],
        services=[cmdb.erp],
        planned_deploy_at=timezone.now() + datetime.timedelta(days=3),
        els_end=timezone.now() + datetime.timedelta(days=30),
        criteria=["Logins work"],
    )
    release = deployments.release_transition(actor=people.agent, release=release, target=RS.TESTING)
    for criterion in release.criteria.all():
        svc.release_criterion_record(actor=people.agent, criterion=criterion, result="pass")
    release = deployments.release_transition(
        actor=people.agent, release=release, target=RS.DEPLOYING
    )
    deployments.release_deploy(
        actor=people.agent, release=release, environment="prod", outcome="succeeded"
    )
    return deployments.release_transition(actor=people.agent, release=release, target=RS.DEPLOYED)


def test_a_release_lists_a_confidential_incident_only_to_the_cleared(
    people, deployed, client_for, api_client_for
):
    deployed.actual_deploy_at = timezone.now() - datetime.timedelta(hours=2)
    Release.objects.filter(pk=deployed.pk).update(actual_deploy_at=deployed.actual_deploy_at)
    during = deployed.actual_deploy_at + datetime.timedelta(minutes=5)
    secret = confidential(people, service="erp", created_at=during)
    other = confidential(people, service="ERP", created_at=during)  # untagged, during ELS
    svc.release_tag_incidents(actor=people.agent, release=deployed, incidents=[secret])
    url = reverse("release_detail", args=[deployed.reference])

    page = client_for(people.lead).get(url).content.decode()
    assert secret.reference not in page and other.reference not in page and SECRET not in page
    cleared = client_for(people.agent).get(url).content.decode()
    assert secret.reference in cleared and other.reference in cleared
    untag = reverse("release_untag", args=[deployed.reference, secret.reference])
    assert client_for(people.lead).post(untag).status_code == 404
    assert deployed.els_incidents.count() == 1

    api = f"/api/v1/releases/{deployed.reference}/"
    assert api_client_for(people.lead).get(api).json()["els_incidents"] == []
    assert api_client_for(people.agent).get(api).json()["els_incidents"] == [secret.reference]
