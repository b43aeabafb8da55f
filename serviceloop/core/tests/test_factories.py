"""The factories and the shared ``people`` fixture build valid data."""

import pytest

from serviceloop.core.audit import audit_verify
from serviceloop.core.models import AuditChainHead, OrganisationKind
from serviceloop.core.roles import CUSTOMER_ROLES, PROVIDER_ROLES, Role
from serviceloop.core.tests import factories

pytestmark = pytest.mark.django_db

ALL_FACTORIES = [
    factories.CalendarFactory,
    factories.CalendarDayFactory,
    factories.OrganisationFactory,
    factories.UserFactory,
    factories.TeamFactory,
    factories.AttachmentFactory,
    factories.NotificationFactory,
    factories.DeliveryFactory,
    factories.ReferenceSequenceFactory,
    factories.AuditChainHeadFactory,
    factories.AuditEventFactory,
]


@pytest.mark.parametrize("factory_class", ALL_FACTORIES, ids=lambda f: f.__name__)
def test_every_factory_builds_a_row_that_passes_model_validation(factory_class):
    instance = factory_class()

    instance.refresh_from_db()
    # The chain head's last_event_id is null until the first event (null=True, not blank).
    instance.full_clean(exclude=["password", "last_event_id"])


def test_one_factory_per_model():
    from django.apps import apps

    models = set(apps.get_app_config("core").get_models())

    assert {f._meta.model for f in ALL_FACTORIES} == models


def test_the_provider_is_one_organisation_however_often_it_is_asked_for():
    first = factories.OrganisationFactory(provider=True)
    agent = factories.UserFactory(role=Role.AGENT)

    assert agent.organisation == first
    assert factories.OrganisationFactory(provider=True) == first


def test_audit_event_factory_keeps_the_chain_verifiable():
    factories.AuditEventFactory.create_batch(3)

    report = audit_verify()

    assert report.ok
    assert report.checked == 3
    assert AuditChainHead.objects.get(pk=1).last_event_id is not None


def test_people_fixture_holds_every_role_in_the_right_kind_of_organisation(people):
    roles = {user.role for user in (*people.staff.values(), *people.customers.values())}

    assert roles == set(Role.values)
    assert all(u.organisation == people.provider for u in people.staff.values())
    assert all(u.role in PROVIDER_ROLES for u in people.staff.values())
    assert all(u.role in CUSTOMER_ROLES for u in people.customers.values())
    assert people.outsider.organisation not in (people.customer_a, people.customer_b)
    assert people.provider.kind == OrganisationKind.PROVIDER
    assert {people.a_manager.organisation, people.a_user.organisation} == {people.customer_a}
    assert {people.b_manager.organisation, people.b_user.organisation} == {people.customer_b}


def test_factory_accounts_can_sign_in_with_the_shared_password(people, client):
    response = client.post(
        "/accounts/login/", {"username": "agent", "password": factories.PASSWORD}
    )

    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == people.agent.pk
