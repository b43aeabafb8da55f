"""The service catalogue's rules: creating with the default checklist, editing rights (the
management system, administrators, the owner), the lifecycle and the go-live checklist,
entitlements, dependencies (no self, no duplicate, no cycle) and components, audit rows."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from serviceloop.core.models import AuditEvent
from serviceloop.portfolio.models import (
    CiStatus,
    Service,
    ServiceChecklistItem,
    ServiceDependency,
    ServiceStatus,
)
from serviceloop.portfolio.services_catalogue import (
    DEFAULT_CHECKLIST,
    checklist_add,
    checklist_set_done,
    component_add,
    component_remove,
    dependency_add,
    dependency_remove,
    service_create,
    service_transition,
    service_update,
)
from serviceloop.portfolio.tests.factories import ConfigurationItemFactory, ServiceFactory

pytestmark = pytest.mark.usefixtures("english")


def audit_rows(service, verb=None):
    rows = AuditEvent.objects.filter(
        object_type="portfolio.service", object_id=str(service.pk)
    ).order_by("id")
    return rows.filter(verb=verb) if verb else rows


@pytest.fixture
def planned(people):
    return service_create(
        actor=people.admin,
        code="mail",
        name="邮件服务 Email",
        owner=people.agent,
        summary="Mailboxes for everyone.",
        staff_notes="Exchange DAG.",
        customers=[people.customer_a],
        budget_amount=Decimal("1000.50"),
        budget_currency="cny",
    )


def finish_checklist(actor, service):
    for item in service.checklist.all():
        checklist_set_done(actor=actor, item=item, done=True)


# --- Creating and editing ------------------------------------------------------------------


def test_a_new_service_is_in_the_pipeline_with_the_default_checklist_and_an_audit_row(
    planned, people
):
    assert planned.status == ServiceStatus.PIPELINE
    assert planned.budget_currency == "CNY" and planned.budget_amount == Decimal("1000.50")
    labels = list(planned.checklist.values_list("label", flat=True))
    assert labels == [str(step) for step in DEFAULT_CHECKLIST]
    assert not planned.checklist.filter(done=True).exists()
    [row] = audit_rows(planned)
    assert row.verb == "service.created" and row.actor == people.admin
    assert row.payload["customers"] == [people.customer_a.pk]


def test_bad_input_is_refused_and_nothing_is_written(people):
    ServiceFactory(code="erp")
    with pytest.raises(ValidationError) as error:
        service_create(
            actor=people.admin,
            code="ERP",
            name=" ",
            owner=people.a_user,
            customers=[people.provider],
            budget_amount=Decimal("-1"),
            budget_currency="yuan",
        )
    assert set(error.value.message_dict) == {
        "code",
        "name",
        "owner",
        "customers",
        "budget_amount",
        "budget_currency",
    }
    assert Service.objects.count() == 1 and not AuditEvent.objects.exists()


def test_a_budget_needs_its_currency(people):
    with pytest.raises(ValidationError) as error:
        service_create(actor=people.admin, code="x", name="X", budget_amount=Decimal("5"))
    assert "budget_currency" in error.value.message_dict


@pytest.mark.parametrize("who", ["admin", "owner"])
def test_the_management_system_and_administrators_create_services(people, who):
    service = service_create(actor=getattr(people, who), code=f"s-{who}", name="S")
    assert service.pk


@pytest.mark.parametrize("who", ["lead", "agent", "auditor", "top", "a_manager"])
def test_others_may_not_create_services(people, who):
    with pytest.raises(PermissionDenied):
        service_create(actor=getattr(people, who), code="s", name="S")


def test_the_service_owner_may_edit_his_service_but_not_another(planned, people):
    other = ServiceFactory(owner=people.lead)

    service_update(actor=people.agent, service=planned, summary="New text")
    with pytest.raises(PermissionDenied):
        service_update(actor=people.agent, service=other, summary="x")
    with pytest.raises(PermissionDenied):
        service_update(actor=people.auditor, service=planned, summary="x")


def test_an_update_records_what_changed_and_nothing_when_nothing_did(planned, people):
    service_update(
        actor=people.admin,
        service=planned,
        name="Email",
        customers=[people.customer_a, people.customer_b],
    )
    service_update(actor=people.admin, service=planned, name="Email")

    [row] = audit_rows(planned, "service.updated")
    assert row.payload["name"] == ["邮件服务 Email", "Email"]
    assert row.payload["customers"] == [
        [people.customer_a.pk],
        sorted([people.customer_a.pk, people.customer_b.pk]),
    ]
    planned.refresh_from_db()
    assert planned.version == 2


def test_a_stale_version_is_refused(planned, people):
    service_update(actor=people.admin, service=planned, name="A")
    with pytest.raises(ValidationError) as error:
        service_update(actor=people.admin, service=planned, name="B", expected_version=1)
    assert error.value.error_list[0].code == "stale"


# --- Lifecycle and the checklist -----------------------------------------------------------


def test_a_service_cannot_go_live_with_open_checklist_items_and_the_error_names_them(
    planned, people
):
    items = list(planned.checklist.all())
    for item in items[:-2]:
        checklist_set_done(actor=people.admin, item=item, done=True)

    with pytest.raises(ValidationError) as error:
        service_transition(actor=people.admin, service=planned, target="live")

    message = " ".join(error.value.message_dict["status"])
    assert "checklist is not complete" in message
    assert items[-1].label in message and items[-2].label in message
    assert items[0].label not in message
    planned.refresh_from_db()
    assert planned.status == ServiceStatus.PIPELINE
    assert not audit_rows(planned, "service.status_changed").exists()


def test_going_live_needs_an_owner_and_a_customer_description(people):
    service = service_create(actor=people.admin, code="bare", name="Bare", checklist=[])
    with pytest.raises(ValidationError) as error:
        service_transition(actor=people.admin, service=service, target="live")
    messages = error.value.message_dict["status"]
    assert any("owner" in m for m in messages) and any("customers" in m for m in messages)


def test_with_the_checklist_complete_the_service_goes_live_then_retires(planned, people):
    finish_checklist(people.admin, planned)

    live = service_transition(actor=people.agent, service=planned, target="live")
    assert live.status == ServiceStatus.LIVE and live.live_since is not None
    retired = service_transition(actor=people.admin, service=live, target="retired")
    assert retired.status == ServiceStatus.RETIRED and retired.retired_at is not None
    verbs = list(audit_rows(planned).values_list("verb", flat=True))
    assert verbs.count("service.status_changed") == 2
    with pytest.raises(ValidationError):
        service_update(actor=people.admin, service=retired, name="again")


def test_undeclared_moves_are_refused(planned, people):
    with pytest.raises(ValidationError) as error:
        service_transition(actor=people.admin, service=planned, target="pipeline")
    assert "cannot go from" in error.value.message_dict["status"][0]


def test_ticking_a_step_records_who_and_when_and_unticking_clears_it(planned, people):
    item = planned.checklist.first()

    done = checklist_set_done(actor=people.agent, item=item, done=True)
    assert done.done and done.done_by == people.agent and done.done_at is not None
    undone = checklist_set_done(actor=people.agent, item=item, done=False)
    assert not undone.done and undone.done_by is None and undone.done_at is None
    verbs = list(audit_rows(planned).values_list("verb", flat=True))
    assert "service.checklist_done" in verbs and "service.checklist_reopened" in verbs


def test_the_checklist_is_only_worked_in_the_pipeline(planned, people):
    finish_checklist(people.admin, planned)
    service_transition(actor=people.admin, service=planned, target="live")
    with pytest.raises(ValidationError):
        checklist_set_done(actor=people.admin, item=planned.checklist.first(), done=False)
    with pytest.raises(ValidationError):
        checklist_add(actor=people.admin, service=planned, label="late step")


def test_an_added_step_comes_last_and_blocks_going_live(planned, people):
    finish_checklist(people.admin, planned)
    step = checklist_add(actor=people.admin, service=planned, label="Pen test passed")
    assert step.position == ServiceChecklistItem.objects.filter(service=planned).count()
    with pytest.raises(ValidationError):
        service_transition(actor=people.admin, service=planned, target="live")


# --- Dependencies and components -----------------------------------------------------------


def test_dependencies_refuse_self_duplicates_and_cycles(people):
    a, b, c = (ServiceFactory(code=code, name=code.upper()) for code in "abc")
    dependency_add(actor=people.admin, service=a, depends_on=b)
    dependency_add(actor=people.admin, service=b, depends_on=c)

    for service, needed, text in (
        (a, a, "itself"),
        (a, b, "already recorded"),
        (c, a, "cycle"),
    ):
        with pytest.raises(ValidationError) as error:
            dependency_add(actor=people.admin, service=service, depends_on=needed)
        assert text in error.value.message_dict["depends_on"][0]
    assert ServiceDependency.objects.count() == 2


def test_removing_a_dependency_is_audited(people):
    a, b = ServiceFactory(code="a"), ServiceFactory(code="b")
    dependency = dependency_add(actor=people.admin, service=a, depends_on=b)
    dependency_remove(actor=people.admin, dependency=dependency)
    assert not ServiceDependency.objects.exists()
    assert audit_rows(a, "service.dependency_removed").get().payload == {"depends_on": "b"}


def test_components_take_an_item_once_in_a_role_and_never_a_retired_one(people):
    service = ServiceFactory(code="erp")
    item = ConfigurationItemFactory()
    retired = ConfigurationItemFactory(status=CiStatus.RETIRED)

    component = component_add(
        actor=people.admin, service=service, configuration_item=item, role="runs_on"
    )
    assert component.role == "runs_on"
    with pytest.raises(ValidationError):
        component_add(actor=people.admin, service=service, configuration_item=item)
    with pytest.raises(ValidationError):
        component_add(actor=people.admin, service=service, configuration_item=retired)
    with pytest.raises(ValidationError):
        component_add(
            actor=people.admin,
            service=service,
            configuration_item=ConfigurationItemFactory(),
            role="owns",
        )
    component_remove(actor=people.admin, component=component)
    verbs = list(audit_rows(service).values_list("verb", flat=True))
    assert verbs == ["service.component_added", "service.component_removed"]


def test_read_only_staff_cannot_change_dependencies_or_components(people):
    a, b = ServiceFactory(code="a"), ServiceFactory(code="b")
    with pytest.raises(PermissionDenied):
        dependency_add(actor=people.top, service=a, depends_on=b)
    with pytest.raises(PermissionDenied):
        component_add(
            actor=people.auditor, service=a, configuration_item=ConfigurationItemFactory()
        )


# --- Reads for other apps ------------------------------------------------------------------


def test_the_public_queries_give_the_entitled_live_services(people):
    from serviceloop.portfolio.queries import service_choices_for, services_entitled

    live = ServiceFactory(code="live", customers=[people.customer_a])
    ServiceFactory(code="planned", status="pipeline", customers=[people.customer_a])
    ServiceFactory(code="other", customers=[people.customer_b])

    assert list(services_entitled(people.customer_a)) == [live]
    assert list(service_choices_for(people.a_user)) == [live]
    assert set(service_choices_for(people.agent).values_list("code", flat=True)) == {
        "live",
        "other",
    }
    assert list(service_choices_for(people.agent, people.customer_a)) == [live]
