"""Service transition plans: the acceptance checklist with evidence, the SLA criterion
checked against the agreements in force, and go-live refused until every criterion is met."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from serviceloop.core.models import AuditEvent
from serviceloop.portfolio.lifecycle import ServiceStatus
from serviceloop.transition import services_plans
from serviceloop.transition.lifecycle import PlanStatus
from serviceloop.transition.models import CriterionKey
from serviceloop.transition.tests.factories import ServiceFactory

pytestmark = pytest.mark.usefixtures("english")
MANUAL = (CriterionKey.SUPPORT_TRAINED, CriterionKey.KNOWLEDGE_PUBLISHED, CriterionKey.MONITORING)


@pytest.fixture
def service(people):
    """A pipeline service ready for the catalogue (owner, description, no open checklist)."""
    return ServiceFactory(
        code="crm",
        name="CRM",
        status=ServiceStatus.PIPELINE,
        owner=people.owner,
        summary="Customer records.",
    )


@pytest.fixture
def plan(people, service):
    return services_plans.plan_create(actor=people.agent, service=service, title="CRM go-live")


@pytest.fixture
def sla_in_force(people):
    """``sla_in_force(service)``: an agreed SLA covering the service from yesterday."""
    pytest.importorskip("serviceloop.relationship.queries_agreements")
    from serviceloop.relationship.models import Agreement, AgreementVersion

    def make(service):
        agreement = Agreement.objects.create(
            reference="SLA-2026-000001", kind="sla", title="CRM SLA"
        )
        agreement.customers.add(people.customer_a)
        yesterday = timezone.localdate() - datetime.timedelta(days=1)
        version = AgreementVersion.objects.create(
            agreement=agreement,
            number=1,
            status="agreed",
            valid_from=yesterday,
            agreed_on=yesterday,
            created_at=timezone.now(),
            updated_at=timezone.now(),
        )
        version.services.add(service)
        return version

    return make


def record(people, plan, key, met=True, evidence="Done, see the training log."):
    criterion = plan.criteria.get(key=key)
    return services_plans.plan_criterion_record(
        actor=people.agent, criterion=criterion, met=met, evidence=evidence
    )


def test_a_plan_starts_with_the_four_criteria_unmet(people, plan):
    assert plan.reference.startswith("STP-") and plan.status == PlanStatus.OPEN
    assert sorted(plan.criteria.values_list("key", flat=True)) == sorted(CriterionKey.values)
    assert not plan.criteria.filter(met=True).exists()
    sla = plan.criteria.get(key=CriterionKey.SLA_AGREED)
    assert sla.automatic == services_plans.sla_is_automatic()


def test_a_manual_criterion_needs_evidence_and_records_who_and_when(people, plan):
    with pytest.raises(ValidationError):
        record(people, plan, CriterionKey.MONITORING, evidence=" ")
    criterion = record(people, plan, CriterionKey.MONITORING, evidence="Zabbix template linked.")
    assert criterion.met and criterion.checked_by == people.agent and criterion.checked_at
    assert AuditEvent.objects.filter(verb="transition_plan.criterion").count() == 1


def test_go_live_is_refused_until_every_criterion_is_met(people, plan, service, sla_in_force):
    for key in MANUAL:
        record(people, plan, key)
    with pytest.raises(ValidationError) as error:
        services_plans.plan_transition(actor=people.agent, plan=plan, target=PlanStatus.LIVE)
    assert "Service level agreement agreed" in str(error.value)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.OPEN

    with pytest.raises(ValidationError) as error:  # no SLA covers the service yet
        record(people, plan, CriterionKey.SLA_AGREED, evidence="")
    assert "No SLA in force covers CRM" in str(error.value)

    version = sla_in_force(service)
    criterion = record(people, plan, CriterionKey.SLA_AGREED, evidence="")
    assert str(version) in criterion.evidence

    plan = services_plans.plan_transition(actor=people.agent, plan=plan, target=PlanStatus.LIVE)
    assert plan.status == PlanStatus.LIVE and plan.went_live_by == people.agent
    assert AuditEvent.objects.filter(verb="transition_plan.live").exists()


def test_go_live_checks_the_sla_again(people, plan, service, sla_in_force):
    version = sla_in_force(service)
    for key in MANUAL:
        record(people, plan, key)
    record(people, plan, CriterionKey.SLA_AGREED, evidence="")
    version.valid_until = timezone.localdate() - datetime.timedelta(days=1)
    version.valid_from = version.valid_until
    version.save()
    with pytest.raises(ValidationError) as error:
        services_plans.plan_transition(actor=people.agent, plan=plan, target=PlanStatus.LIVE)
    assert "any more" in str(error.value)


def test_cancel_needs_a_reason_and_closes_the_checklist(people, plan):
    with pytest.raises(ValidationError):
        services_plans.plan_transition(actor=people.agent, plan=plan, target=PlanStatus.CANCELLED)
    plan = services_plans.plan_transition(
        actor=people.agent, plan=plan, target=PlanStatus.CANCELLED, note="Project stopped."
    )
    with pytest.raises(ValidationError):
        record(people, plan, CriterionKey.MONITORING)


def test_read_only_staff_cannot_check_criteria(people, plan):
    with pytest.raises(PermissionDenied):
        services_plans.plan_criterion_record(
            actor=people.auditor, criterion=plan.criteria.first(), met=True, evidence="x"
        )


def test_plan_screens(people, plan, service, client_for):
    url = reverse("plan_detail", args=[plan.reference])
    assert client_for(people.a_user).get(url).status_code == 404
    page = client_for(people.top).get(url)
    assert page.status_code == 200 and 'data-testid="go-live-refusals"' in page.content.decode()
    criterion = plan.criteria.get(key=CriterionKey.SUPPORT_TRAINED)
    assert (
        client_for(people.top)
        .post(
            reverse("plan_criterion", args=[plan.reference, criterion.pk]),
            {"met": "yes", "evidence": "x"},
        )
        .status_code
        == 403
    )
    client_for(people.agent).post(
        reverse("plan_criterion", args=[plan.reference, criterion.pk]),
        {"met": "yes", "evidence": "All agents trained on 3 March."},
    )
    criterion.refresh_from_db()
    assert criterion.met and criterion.evidence == "All agents trained on 3 March."
    refused = client_for(people.agent).post(
        reverse("plan_move", args=[plan.reference]), {"target": "live"}, follow=True
    )
    assert "Not met yet" in refused.content.decode()
    created = client_for(people.agent).post(
        reverse("plan_new"), {"service": service.pk, "kind": "changed", "title": "CRM v2"}
    )
    assert created.status_code == 302


def ready_to_go_live(people, plan, service, sla_in_force):
    sla_in_force(service)
    for key in MANUAL:
        record(people, plan, key)
    record(people, plan, CriterionKey.SLA_AGREED, evidence="")


def test_going_live_puts_the_service_live_in_the_catalogue(people, plan, service, sla_in_force):
    ready_to_go_live(people, plan, service, sla_in_force)
    plan = services_plans.plan_transition(actor=people.agent, plan=plan, target=PlanStatus.LIVE)

    service.refresh_from_db()
    assert service.status == ServiceStatus.LIVE and service.live_since is not None
    [moved] = AuditEvent.objects.filter(verb="service.status_changed", object_id=str(service.pk))
    assert moved.payload == {"status": ["pipeline", "live"]}
    [went] = AuditEvent.objects.filter(verb="transition_plan.live")
    assert went.payload["service"] == {"code": "crm", "status": ["pipeline", "live"]}
    assert went.actor == people.agent


def test_a_live_service_stays_as_it_is(people, service, sla_in_force):
    service.status = ServiceStatus.LIVE
    service.save()
    plan = services_plans.plan_create(
        actor=people.agent, service=service, title="CRM v2", kind="changed"
    )
    ready_to_go_live(people, plan, service, sla_in_force)
    services_plans.plan_transition(actor=people.agent, plan=plan, target=PlanStatus.LIVE)

    assert not AuditEvent.objects.filter(verb="service.status_changed").exists()
    [went] = AuditEvent.objects.filter(verb="transition_plan.live")
    assert went.payload["service"] == {"code": "crm", "status": None}


def test_a_service_the_catalogue_cannot_put_live_refuses_the_go_live(
    people, plan, service, sla_in_force
):
    from serviceloop.portfolio.models import ServiceChecklistItem

    ready_to_go_live(people, plan, service, sla_in_force)
    ServiceChecklistItem.objects.create(service=service, label="Runbook written", position=1)
    service.summary = ""
    service.save()

    refusals = services_plans.go_live_refusals(plan, timezone.localdate())
    assert any("Runbook written" in r for r in refusals)
    assert any("description for customers" in r for r in refusals)
    rows = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as error:
        services_plans.plan_transition(actor=people.agent, plan=plan, target=PlanStatus.LIVE)
    assert "Runbook written" in str(error.value)
    plan.refresh_from_db()
    service.refresh_from_db()
    assert plan.status == PlanStatus.OPEN and service.status == ServiceStatus.PIPELINE
    assert AuditEvent.objects.count() == rows
