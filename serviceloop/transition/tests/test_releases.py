"""Releases: acceptance criteria and results, deployments per environment, the lifecycle's
preconditions, rollbacks, early-life support and its incidents, screens and permissions."""

import datetime
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from serviceloop.core.models import AuditEvent
from serviceloop.desk.tests.factories import TicketFactory
from serviceloop.transition import services_release_deployments as deployments
from serviceloop.transition import services_releases as svc
from serviceloop.transition.lifecycle import ChangeStatus, ReleaseStatus
from serviceloop.transition.models import Deployment, Environment, Release, Rollback
from serviceloop.transition.queries import els_incidents

pytestmark = pytest.mark.usefixtures("english")
RS = ReleaseStatus


@pytest.fixture
def release(people, cmdb, new_change, walk):
    change = walk(new_change(), ChangeStatus.APPROVED)
    return svc.release_create(
        actor=people.agent,
        name="ERP 5.2",
        changes=[change],
        services=[cmdb.erp],
        planned_deploy_at=timezone.now() + datetime.timedelta(days=3),
        els_end=timezone.now() + datetime.timedelta(days=30),
        criteria=["Logins work", "Month-end report matches"],
    )


def pass_all(people, release):
    for criterion in release.criteria.all():
        svc.release_criterion_record(actor=people.agent, criterion=criterion, result="pass")


def to_deployed(people, release):
    release = deployments.release_transition(actor=people.agent, release=release, target=RS.TESTING)
    pass_all(people, release)
    release = deployments.release_transition(
        actor=people.agent, release=release, target=RS.DEPLOYING
    )
    deployments.release_deploy(
        actor=people.agent, release=release, environment="prod", outcome="succeeded"
    )
    return deployments.release_transition(actor=people.agent, release=release, target=RS.DEPLOYED)


def test_create_with_criteria(people, release):
    assert re.fullmatch(r"REL-\d{4}-\d{6}", release.reference)
    assert list(release.criteria.values_list("description", "result")) == [
        ("Logins work", "pending"),
        ("Month-end report matches", "pending"),
    ]
    [row] = AuditEvent.objects.filter(verb="release.created")
    assert row.payload["criteria"] == ["Logins work", "Month-end report matches"]


def test_deployment_needs_every_criterion_passed_and_every_change_approved(
    people, release, new_change
):
    release = deployments.release_transition(actor=people.agent, release=release, target=RS.TESTING)
    [first, second] = release.criteria.all()
    svc.release_criterion_record(actor=people.agent, criterion=first, result="pass")
    with pytest.raises(ValidationError):
        svc.release_criterion_record(actor=people.agent, criterion=second, result="fail")
    svc.release_criterion_record(
        actor=people.agent, criterion=second, result="fail", note="Totals differ by 3."
    )
    approved = release.changes.get()
    draft = new_change(title="Not approved yet")
    svc.release_update(actor=people.agent, release=release, changes=[approved, draft])

    with pytest.raises(ValidationError) as error:
        deployments.release_transition(actor=people.agent, release=release, target=RS.DEPLOYING)
    text = str(error.value)
    assert "Month-end report matches" in text and draft.reference in text

    svc.release_criterion_record(actor=people.agent, criterion=second, result="pass", note="Fixed.")
    svc.release_update(actor=people.agent, release=release, changes=[approved])
    release = deployments.release_transition(
        actor=people.agent, release=release, target=RS.DEPLOYING
    )
    assert release.status == RS.DEPLOYING


def test_environments_and_the_production_deployment(people, release):
    with pytest.raises(ValidationError):  # nothing is deployed while only planned
        deployments.release_deploy(
            actor=people.agent, release=release, environment="dev", outcome="succeeded"
        )
    release = deployments.release_transition(actor=people.agent, release=release, target=RS.TESTING)
    deployments.release_deploy(
        actor=people.agent, release=release, environment="dev", outcome="succeeded"
    )
    deployments.release_deploy(
        actor=people.agent,
        release=release,
        environment="test",
        outcome="failed",
        notes="Bad config",
    )
    with pytest.raises(ValidationError):
        deployments.release_deploy(
            actor=people.agent, release=release, environment="prod", outcome="succeeded"
        )
    with pytest.raises(ValidationError):  # a failed deployment needs notes
        deployments.release_deploy(
            actor=people.agent, release=release, environment="test", outcome="failed"
        )
    pass_all(people, release)
    release = deployments.release_transition(
        actor=people.agent, release=release, target=RS.DEPLOYING
    )
    with pytest.raises(ValidationError) as error:
        deployments.release_transition(actor=people.agent, release=release, target=RS.DEPLOYED)
    assert "production deployment" in str(error.value)
    deployment = deployments.release_deploy(
        actor=people.agent, release=release, environment="prod", outcome="succeeded"
    )
    release = deployments.release_transition(
        actor=people.agent, release=release, target=RS.DEPLOYED
    )
    assert release.actual_deploy_at == deployment.deployed_at
    assert list(
        Deployment.objects.filter(release=release).values_list("environment", flat=True)
    ) == ["dev", "test", "prod"]


def test_deployed_needs_the_end_of_early_life_support(people, release):
    svc.release_update(actor=people.agent, release=release, els_end=None)
    release = deployments.release_transition(actor=people.agent, release=release, target=RS.TESTING)
    pass_all(people, release)
    release = deployments.release_transition(
        actor=people.agent, release=release, target=RS.DEPLOYING
    )
    deployments.release_deploy(
        actor=people.agent, release=release, environment="prod", outcome="succeeded"
    )
    with pytest.raises(ValidationError) as error:
        deployments.release_transition(actor=people.agent, release=release, target=RS.DEPLOYED)
    assert "els_end" in error.value.message_dict


def test_a_production_rollback_rolls_the_release_back(people, release):
    release = to_deployed(people, release)
    with pytest.raises(ValidationError):
        deployments.release_rollback(
            actor=people.agent, release=release, environment="prod", reason=""
        )
    rollback = deployments.release_rollback(
        actor=people.agent, release=release, environment="prod", reason="Logins fail for SSO users."
    )
    release.refresh_from_db()
    assert release.status == RS.ROLLED_BACK and rollback.environment == Environment.PROD
    assert Rollback.objects.get().reason == "Logins fail for SSO users."
    [row] = AuditEvent.objects.filter(verb="release.rollback")
    assert row.payload["status"] == ["deployed", "rolled_back"]
    release = deployments.release_transition(actor=people.agent, release=release, target=RS.TESTING)
    assert release.status == RS.TESTING


def test_illegal_release_moves_are_refused(people, release):
    for target in (RS.DEPLOYED, RS.CLOSED, RS.DEPLOYING):
        with pytest.raises(ValidationError):
            deployments.release_transition(actor=people.agent, release=release, target=target)
    with pytest.raises(ValidationError):  # cancelling needs a reason
        deployments.release_transition(actor=people.agent, release=release, target=RS.CANCELLED)
    release = deployments.release_transition(
        actor=people.agent, release=release, target=RS.CANCELLED, note="Vendor withdrew it."
    )
    with pytest.raises(ValidationError):
        svc.release_update(actor=people.agent, release=release, name="Again")


def test_early_life_incidents(people, cmdb, release):
    before = TicketFactory(
        organisation=people.customer_a,
        requester=people.a_user,
        service="ERP",
        created_at=timezone.now() - datetime.timedelta(days=2),
    )
    with pytest.raises(ValidationError):  # not in production yet
        svc.release_tag_incidents(actor=people.agent, release=release, incidents=[before])
    release = to_deployed(people, release)
    during = TicketFactory(
        organisation=people.customer_a,
        requester=people.a_user,
        service="erp",
        created_at=release.actual_deploy_at + datetime.timedelta(minutes=5),
    )
    elsewhere = TicketFactory(
        organisation=people.customer_a,
        requester=people.a_user,
        service="Print",
        created_at=release.actual_deploy_at + datetime.timedelta(minutes=5),
    )
    assert list(els_incidents(release, now=during.created_at + datetime.timedelta(hours=1))) == [
        during
    ]
    tagged = svc.release_tag_incidents(
        actor=people.agent, release=release, incidents=[during, elsewhere]
    )
    assert {t.pk for t in tagged} == {during.pk, elsewhere.pk}
    assert set(release.els_incidents.all()) == {during, elsewhere}
    assert list(during.els_releases.all()) == [release]
    assert svc.release_untag_incident(actor=people.agent, release=release, incident=elsewhere)
    assert before not in release.els_incidents.all()


def test_read_only_staff_cannot_write_releases(people, release):
    with pytest.raises(PermissionDenied):
        deployments.release_transition(actor=people.auditor, release=release, target=RS.TESTING)
    with pytest.raises(PermissionDenied):
        svc.release_create(actor=people.top, name="x")


# --- Screens -------------------------------------------------------------------------------


def test_release_page_and_moves(people, release, client_for):
    url = reverse("release_detail", args=[release.reference])
    assert client_for(people.a_manager).get(url).status_code == 404
    page = client_for(people.auditor).get(url)
    assert page.status_code == 200 and "Logins work" in page.content.decode()
    assert 'data-testid="release-moves"' not in page.content.decode()
    assert (
        client_for(people.auditor)
        .post(reverse("release_move", args=[release.reference]), {"target": "testing"})
        .status_code
        == 403
    )

    client = client_for(people.agent)
    client.post(reverse("release_move", args=[release.reference]), {"target": "testing"})
    release.refresh_from_db()
    assert release.status == RS.TESTING
    criterion = release.criteria.first()
    client.post(
        reverse("release_criterion_result", args=[release.reference, criterion.pk]),
        {"result": "pass", "note": "ok"},
    )
    client.post(
        reverse("release_deploy", args=[release.reference]),
        {"environment": "test", "outcome": "succeeded", "notes": ""},
    )
    client.post(
        reverse("release_criterion_add", args=[release.reference]), {"description": "Backups run"}
    )
    criterion.refresh_from_db()
    assert criterion.result == "pass"
    assert release.deployments.get().environment == "test"
    assert release.criteria.count() == 3
    html = client.get(url).content.decode()
    assert "Backups run" in html and 'data-testid="deploy"' in html


def test_release_form(people, cmdb, client_for):
    response = client_for(people.agent).post(
        reverse("release_new"),
        {
            "name": "Mail 2026.1",
            "services": [cmdb.printing.pk],
            "criteria": "Mail flows\n\nSpam filter on",
        },
    )
    assert response.status_code == 302
    release = Release.objects.get()
    assert list(release.criteria.values_list("description", flat=True)) == [
        "Mail flows",
        "Spam filter on",
    ]
    assert client_for(people.top).get(reverse("release_new")).status_code == 403


def test_early_life_incidents_name_the_portfolio_service_exactly(people, cmdb, release):
    """The ticket's free-text service is the service's code or name (any case), never a part
    of it or a longer name that contains it."""
    release = to_deployed(people, release)
    at = release.actual_deploy_at + datetime.timedelta(minutes=5)

    def raised(service):
        return TicketFactory(
            organisation=people.customer_a, requester=people.a_user, service=service, created_at=at
        )

    matching = [raised("erp"), raised("ERP"), raised("Erp")]
    for near_miss in ("ERP Mobile", "erp-test", "ER", "myerp", ""):
        raised(near_miss)

    found = els_incidents(release, now=at + datetime.timedelta(hours=1))
    assert {t.pk for t in found} == {t.pk for t in matching}
