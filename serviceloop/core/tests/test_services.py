"""Services refuse bad input with a clear ValidationError and change nothing."""

import datetime

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from serviceloop.core.models import Organisation, OrganisationKind, Team, User
from serviceloop.core.roles import Role
from serviceloop.core.services import calendars as calendar_services
from serviceloop.core.services import organisations as services
from serviceloop.core.tests.factories import CalendarFactory, TeamFactory


def database_state():
    """Every row of every core model, as plain values: equal before and after means the
    database did not change."""
    return {
        model._meta.label: sorted(map(repr, model._base_manager.values_list()))
        for model in apps.get_app_config("core").get_models()
    }


@pytest.fixture
def refused(people):
    """``refused(call, error=ValidationError)`` runs ``call`` in English, checks that it
    raises ``error`` and changes nothing, and returns the messages by field (``None``: the
    whole object), in English."""

    def check(call, error=ValidationError):
        before = database_state()
        with translation.override("en"):
            with pytest.raises(error) as caught:
                call()
            raised = caught.value
            if not isinstance(raised, ValidationError):
                found = {}
            elif hasattr(raised, "error_dict"):
                found = {k: [str(m) for m in v] for k, v in raised.message_dict.items()}
            else:
                found = {None: [str(m) for m in raised.messages]}
        assert database_state() == before
        return found

    return check


# --- Organisations -------------------------------------------------------------------------


def test_a_second_provider_organisation_is_refused(people, refused):
    error = refused(
        lambda: services.organisation_create(actor=people.admin, kind="provider", name="Rival")
    )

    assert error == {"kind": ["There is already a provider organisation."]}


def test_an_organisation_name_is_unique(people, refused):
    error = refused(
        lambda: services.organisation_create(
            actor=people.admin, kind="customer", name="Customer B 乙方"
        )
    )

    assert "name" in error


def test_an_organisation_needs_a_name(people, refused):
    error = refused(
        lambda: services.organisation_update(
            actor=people.admin, organisation=people.customer_a, name=""
        )
    )

    assert error == {"name": ["This field cannot be blank."]}


def test_a_field_that_is_not_editable_is_a_programming_error(people, refused):
    refused(
        lambda: services.organisation_update(
            actor=people.admin, organisation=people.customer_a, kind="provider"
        ),
        error=ValueError,
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda p: services.organisation_create(
            actor=p.admin, kind="customer", name="Z", time_zone="Mars/Olympus"
        ),
        lambda p: services.organisation_update(
            actor=p.admin, organisation=p.customer_a, time_zone="Mars/Olympus"
        ),
        lambda p: services.person_create(
            actor=p.admin,
            organisation=p.customer_a,
            username="z",
            role=Role.CUSTOMER_USER,
            time_zone="Mars/Olympus",
        ),
    ],
    ids=["organisation_create", "organisation_update", "person_create"],
)
def test_an_unknown_time_zone_is_refused_for_organisations_and_people(call, people, refused):
    error = refused(lambda: call(people))

    assert "time_zone" in error


def test_the_api_refuses_an_unknown_organisation_time_zone(people, api_client_for):
    response = api_client_for(people.admin).post(
        "/api/v1/organisations/",
        {"kind": "customer", "name": "Z", "time_zone": "Mars/Olympus"},
        format="json",
    )

    assert response.status_code == 400
    assert not Organisation.objects.filter(name="Z").exists()


# --- People --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "organisation, role, message",
    [
        ("provider", Role.CUSTOMER_USER, "People of the provider hold a provider role."),
        ("provider", Role.CUSTOMER_MANAGER, "People of the provider hold a provider role."),
        ("customer_a", Role.AGENT, "People of a customer hold a customer role."),
        ("customer_a", Role.PROVIDER_ADMIN, "People of a customer hold a customer role."),
    ],
)
def test_a_role_must_fit_the_kind_of_organisation(organisation, role, message, people, refused):
    error = refused(
        lambda: services.person_create(
            actor=people.admin,
            organisation=getattr(people, organisation),
            username="newcomer",
            role=role,
        )
    )

    assert error == {"role": [message]}


def test_a_role_change_must_fit_the_organisation_too(people, refused):
    error = refused(
        lambda: services.person_update(
            actor=people.admin, person=people.a_user, role=Role.PROVIDER_ADMIN
        )
    )

    assert error == {"role": ["People of a customer hold a customer role."]}


def test_a_weak_password_is_refused(people, refused):
    error = refused(
        lambda: services.person_create(
            actor=people.admin,
            organisation=people.customer_a,
            username="weak",
            role=Role.CUSTOMER_USER,
            password="12345",
        )
    )

    assert any("too short" in m for m in error[None])


def test_a_username_is_unique(people, refused):
    error = refused(
        lambda: services.person_create(
            actor=people.admin, organisation=people.customer_a, username="agent", role="agent"
        )
    )

    assert "username" in error or "role" in error


def test_nobody_deactivates_his_own_account(people, refused):
    error = refused(
        lambda: services.person_update(actor=people.admin, person=people.admin, is_active=False)
    )

    assert error == {"is_active": ["You cannot deactivate your own account."]}


def test_a_person_edits_his_own_profile_but_not_his_role(people, refused):
    services.person_update(actor=people.a_user, person=people.a_user, display_name="Ann")
    refused(
        lambda: services.person_update(
            actor=people.a_user, person=people.a_user, role=Role.CUSTOMER_MANAGER
        ),
        error=PermissionDenied,
    )

    assert User.objects.get(pk=people.a_user.pk).display_name == "Ann"


def test_a_person_created_without_password_cannot_sign_in_until_reset(people):
    person = services.person_create(
        actor=people.admin, organisation=people.customer_a, username="later", role="customer_user"
    )

    assert not person.has_usable_password()


def test_only_provider_administrators_reach_the_django_admin(people):
    made_admin = services.person_update(
        actor=people.admin, person=people.agent, role=Role.PROVIDER_ADMIN
    )
    demoted = services.person_update(actor=people.admin, person=made_admin, role=Role.AGENT)

    assert demoted.is_staff is False and demoted.is_superuser is False
    assert User.objects.filter(is_staff=True).get() == people.admin


# --- Teams ---------------------------------------------------------------------------------


def test_a_team_member_from_another_organisation_is_refused(people, refused):
    error = refused(
        lambda: services.team_create(
            actor=people.admin,
            organisation=people.provider,
            name="Desk",
            members=[people.agent, people.a_user],
        )
    )

    assert error == {"members": ["Team members must belong to the team's organisation."]}


def test_a_team_lead_from_another_organisation_is_refused(people, refused):
    team = TeamFactory(organisation=people.provider, members=[people.agent])

    refused(lambda: services.team_update(actor=people.admin, team=team, lead=people.b_manager))
    refused(
        lambda: services.team_update(
            actor=people.admin, team=team, members=[people.agent, people.outsider]
        )
    )

    assert list(Team.objects.get(pk=team.pk).members.all()) == [people.agent]


def test_a_team_name_is_unique_within_its_organisation(people, refused):
    TeamFactory(organisation=people.provider, name="Desk")

    refused(
        lambda: services.team_create(actor=people.admin, organisation=people.provider, name="Desk")
    )
    other = services.team_create(actor=people.admin, organisation=people.customer_a, name="Desk")

    assert other.organisation == people.customer_a


def test_the_team_form_offers_only_the_teams_organisation_people(people, client_for):
    team = TeamFactory(organisation=people.customer_a)

    page = client_for(people.admin).get(reverse("team_edit", args=[team.pk]))

    offered = set(page.context["form"].fields["members"].queryset)
    assert offered == {people.a_manager, people.a_user}


# --- Calendars -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone", "Unknown time zone: Mars/Olympus"),
        ({"time_zone": ""}, "time_zone", "A calendar with custom hours needs a time zone."),
        ({"hours": ""}, None, "A calendar needs some working time."),
        (
            {"hours": "", "weekly_hours": {"5": "", "6": ""}},
            None,
            "A calendar needs some working time.",
        ),
        ({"preset": "XX-workdays"}, None, "This calendar cannot be built"),
        ({"hours": "18:00-09:00"}, None, "This calendar cannot be built"),
        ({"hours": "nine to five"}, None, "This calendar cannot be built"),
    ],
    ids=[
        "bad time zone",
        "no time zone",
        "no hours",
        "only empty days",
        "bad preset",
        "backwards",
        "garbage",
    ],
)
def test_a_calendar_that_cannot_work_is_refused(fields, field, message, people, refused):
    def create():
        calendar_services.calendar_create(
            actor=people.admin,
            name="bad",
            label="Bad",
            **{"hours": "09:00-17:00", "time_zone": "Asia/Shanghai", **fields},
        )

    error = refused(create)

    assert field in error
    assert any(m.startswith(message) for m in error[field])


def test_a_calendar_update_that_removes_all_working_time_is_refused(people, refused):
    calendar = CalendarFactory(hours="09:00-17:00")

    error = refused(
        lambda: calendar_services.calendar_update(actor=people.admin, calendar=calendar, hours="")
    )

    assert error == {None: ["A calendar needs some working time."]}


def test_a_calendar_day_needs_a_known_kind(people, refused):
    calendar = CalendarFactory()

    error = refused(
        lambda: calendar_services.calendar_day_set(
            actor=people.admin, calendar=calendar, date=datetime.date(2030, 1, 1), kind="party"
        )
    )

    assert error == {"kind": ["Choose holiday or working day."]}


def test_a_calendar_day_set_twice_is_replaced(people):
    calendar = CalendarFactory()
    day = datetime.date(2030, 1, 1)

    calendar_services.calendar_day_set(
        actor=people.admin, calendar=calendar, date=day, kind="holiday", name="New Year"
    )
    calendar_services.calendar_day_set(
        actor=people.admin, calendar=calendar, date=day, kind="workday"
    )

    assert list(calendar.days.values_list("date", "kind")) == [(day, "workday")]


# --- Permissions inside the services (the CLI and tasks call them too) ----------------------


@pytest.mark.parametrize("actor", ["owner", "lead", "agent", "auditor", "top", "a_manager"])
@pytest.mark.parametrize(
    "call",
    [
        lambda p, a: services.organisation_create(actor=a, kind="customer", name="N"),
        lambda p, a: services.organisation_update(actor=a, organisation=p.customer_a, name="N"),
        lambda p, a: services.person_create(
            actor=a, organisation=p.customer_a, username="n", role="customer_user"
        ),
        lambda p, a: services.person_update(actor=a, person=p.a_user, role="customer_manager"),
        lambda p, a: services.person_set_password(
            actor=a, person=p.a_user, password="a-long-passphrase"
        ),
        lambda p, a: services.team_create(actor=a, organisation=p.provider, name="N"),
        lambda p, a: calendar_services.calendar_create(
            actor=a, name="n", label="N", hours="09:00-17:00", time_zone="Asia/Shanghai"
        ),
    ],
    ids=[
        "organisation_create",
        "organisation_update",
        "person_create",
        "person_update",
        "person_set_password",
        "team_create",
        "calendar_create",
    ],
)
def test_services_refuse_actors_without_the_administer_capability(call, actor, people, refused):
    refused(lambda: call(people, getattr(people, actor)), error=PermissionDenied)


# --- The same errors reach the web form and the API ---------------------------------------


def test_the_web_form_shows_the_services_error_on_the_field(people, client_for):
    page = client_for(people.admin).post(
        reverse("person_create"),
        {
            "username": "wrongrole",
            "organisation": people.provider.pk,
            "role": "customer_user",
            "language": "zh-hans",
            "is_active": "on",
        },
    )

    assert page.status_code == 200
    with translation.override("zh-hans"):  # the administrator's language
        expected = translation.gettext("People of the provider hold a provider role.")
    assert page.context["form"].errors["role"] == [expected]
    assert expected != "People of the provider hold a provider role."
    assert not User.objects.filter(username="wrongrole").exists()


def test_the_api_answers_the_services_error_as_400(people, api_client_for):
    response = api_client_for(people.admin).post(
        "/api/v1/people/",
        {
            "username": "wrongrole",
            "organisation": str(people.provider.uuid),
            "role": "customer_user",
        },
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["role"]
    assert Organisation.objects.filter(kind=OrganisationKind.PROVIDER).count() == 1
