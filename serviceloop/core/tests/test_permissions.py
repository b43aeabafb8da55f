"""Who may read and change which object, on the web screens and under /api/v1/.

Each case runs every member of the cast (``people`` plus anonymous) against one URL and
compares the whole table of status codes, so a failure shows every actor that got the
wrong answer. The rules: an object one may not see is a 404 (outsiders never learn it
exists); an object one may see but not change is a 403. Anonymous visitors are sent to
sign in (302) from every screen, whether the object exists or not, so that a link from an
e-mail leads through sign-in to the record and reveals nothing before.
"""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from serviceloop.core.models import AuditEvent, CalendarDay, Notification, Organisation, Team
from serviceloop.core.tests.factories import (
    AttachmentFactory,
    AuditEventFactory,
    CalendarDayFactory,
    CalendarFactory,
    NotificationFactory,
    TeamFactory,
)

STAFF = ("admin", "owner", "lead", "agent", "auditor", "top")
READ_ONLY_STAFF = ("owner", "lead", "agent", "auditor", "top")  # no ADMINISTER capability
OWN_CUSTOMER = ("a_manager", "a_user")
OTHER_CUSTOMERS = ("b_manager", "b_user", "outsider")
CUSTOMERS = OWN_CUSTOMER + OTHER_CUSTOMERS
SIGNED_IN = STAFF + CUSTOMERS
AUDIT_READERS = ("admin", "owner", "auditor")  # READ_AUDIT_TRAIL
EVERYONE = (*SIGNED_IN, "anonymous")


def expect(**groups):
    """``expect(admin=200, OTHER=404)`` → {actor: status} for every actor; names may be
    actors or the groups above (upper case); later keywords win."""
    table = {}
    for key, status in groups.items():
        names = globals()[key] if key.isupper() else (key,)
        for name in names:
            table[name] = status
    missing = set(EVERYONE) - set(table)
    assert not missing, f"expectation misses {missing}"
    return table


@pytest.fixture
def world(people):
    """Objects of customer A, plus a calendar and an audit row."""
    organisation_type = ContentType.objects.get_for_model(Organisation)
    return {
        "team": TeamFactory(
            organisation=people.customer_a, members=[people.a_manager, people.a_user]
        ),
        "calendar": CalendarFactory(name="office"),
        "day": CalendarDayFactory(date=datetime.date(2030, 5, 1)),
        "public_file": AttachmentFactory(
            organisation=people.customer_a,
            content_type=organisation_type,
            object_id=str(people.customer_a.pk),
            filename="contract.txt",
        ),
        "internal_file": AttachmentFactory(
            organisation=people.customer_a,
            content_type=organisation_type,
            object_id=str(people.customer_a.pk),
            filename="internal-notes.txt",
            is_internal=True,
        ),
        "notification": NotificationFactory(recipient=people.a_user, url="/profile/"),
        "audit_event": AuditEventFactory(actor=people.admin),
    }


@pytest.fixture
def statuses(people, client_for, api_client_for):
    """``statuses(method, url, data=None, api=False)`` → {actor: status code}."""

    def run(method, url, data=None, *, api=False):
        table = {}
        for name in EVERYONE:
            user = None if name == "anonymous" else getattr(people, name)
            client = api_client_for(user) if api else client_for(user)
            kwargs = {"format": "json"} if api and data is not None else {}
            response = getattr(client, method)(url, data, **kwargs)
            table[name] = response.status_code
        return table

    return run


# --- Web screens: reading objects ---------------------------------------------------------


@pytest.mark.parametrize(
    "url_name",
    ["organisation_detail", "person_detail", "team_detail", "attachment_download"],
)
def test_customer_a_objects_are_read_by_staff_and_customer_a_only(
    url_name, people, world, statuses
):
    arg = {
        "organisation_detail": people.customer_a.pk,
        "person_detail": people.a_manager.pk,
        "team_detail": world["team"].pk,
        "attachment_download": world["public_file"].uuid,
    }[url_name]

    assert statuses("get", reverse(url_name, args=[arg])) == expect(
        STAFF=200, OWN_CUSTOMER=200, OTHER_CUSTOMERS=404, anonymous=302
    )


def test_calendars_are_reference_data_every_signed_in_user_reads(world, statuses):
    url = reverse("calendar_detail", args=[world["calendar"].pk])

    assert statuses("get", url) == expect(SIGNED_IN=200, anonymous=302)


def test_internal_attachment_is_never_served_to_customers(world, statuses):
    url = reverse("attachment_download", args=[world["internal_file"].uuid])

    assert statuses("get", url) == expect(STAFF=200, CUSTOMERS=404, anonymous=302)


def test_organisation_page_lists_internal_files_to_staff_only(people, world, client_for):
    url = reverse("organisation_detail", args=[people.customer_a.pk])

    staff_page = client_for(people.agent).get(url).content.decode()
    customer_page = client_for(people.a_manager).get(url).content.decode()

    assert "contract.txt" in staff_page and "internal-notes.txt" in staff_page
    assert "contract.txt" in customer_page
    assert "internal-notes.txt" not in customer_page
    assert str(world["internal_file"].uuid) not in customer_page


def test_customer_reads_his_own_organisation_and_its_people_only(people, client_for):
    client = client_for(people.a_user)

    organisations = client.get(reverse("organisation_list")).content.decode()
    people_page = client.get(reverse("person_list")).content.decode()
    detail = client.get(reverse("organisation_detail", args=[people.customer_a.pk]))

    assert "Customer A 甲方" in organisations and "Customer B 乙方" not in organisations
    assert "a.manager" in people_page and "b.manager" not in people_page
    assert "agent" not in people_page  # provider staff are not the customer's to browse
    assert "A.Manager" in detail.content.decode()
    assert client.get(reverse("my_organisation")).url == detail.wsgi_request.path


def test_audit_event_is_read_by_audit_trail_readers_only(world, statuses):
    url = reverse("audit_detail", args=[world["audit_event"].pk])

    assert statuses("get", url) == expect(SIGNED_IN=404, AUDIT_READERS=200, anonymous=302)


def test_audit_list_is_refused_to_roles_without_read_audit_trail(people, statuses):
    table = statuses("get", reverse("audit_list"))

    assert table == expect(SIGNED_IN=403, AUDIT_READERS=200, anonymous=302)


def test_notification_is_opened_by_its_recipient_only(world, statuses):
    notification = world["notification"]
    url = reverse("notification_open", args=[notification.pk])

    table = statuses("post", url)

    assert table == expect(SIGNED_IN=404, a_user=302, anonymous=302)
    notification.refresh_from_db()
    assert notification.read_at is not None


# --- Web screens: changing objects ---------------------------------------------------------


@pytest.mark.parametrize("url_name", ["organisation_edit", "person_edit", "team_edit"])
def test_edit_pages_are_for_administrators_and_hidden_from_other_customers(
    url_name, people, world, statuses
):
    arg = {
        "organisation_edit": people.customer_a.pk,
        "person_edit": people.a_user.pk,
        "team_edit": world["team"].pk,
    }[url_name]

    assert statuses("get", reverse(url_name, args=[arg])) == expect(
        admin=200, READ_ONLY_STAFF=403, OWN_CUSTOMER=403, OTHER_CUSTOMERS=404, anonymous=302
    )


def test_calendar_edit_is_for_administrators(world, statuses):
    url = reverse("calendar_edit", args=[world["calendar"].pk])

    assert statuses("get", url) == expect(SIGNED_IN=403, admin=200, anonymous=302)


@pytest.mark.parametrize(
    "url_name", ["organisation_create", "person_create", "team_create", "calendar_create"]
)
def test_create_pages_are_for_administrators(url_name, people, statuses):
    assert statuses("get", reverse(url_name)) == expect(SIGNED_IN=403, admin=200, anonymous=302)


def test_organisation_edit_by_read_only_roles_is_refused_and_changes_nothing(people, client_for):
    url = reverse("organisation_edit", args=[people.customer_a.pk])
    form = {"name": "Renamed", "time_zone": "Asia/Shanghai", "is_active": "on"}

    refused = {
        name: client_for(getattr(people, name)).post(url, form).status_code
        for name in (*READ_ONLY_STAFF, *OWN_CUSTOMER)
    }
    accepted = client_for(people.admin).post(url, form)

    assert set(refused.values()) == {403}
    assert accepted.status_code == 302
    assert Organisation.objects.get(pk=people.customer_a.pk).name == "Renamed"


def test_person_edit_by_administrator_changes_the_person(people, client_for):
    url = reverse("person_edit", args=[people.a_user.pk])
    form = {
        "display_name": "Alice A",
        "email": "alice@example.org",
        "role": "customer_manager",
        "language": "en",
        "time_zone": "Europe/Paris",
        "is_active": "on",
    }

    assert client_for(people.agent).post(url, form).status_code == 403
    response = client_for(people.admin).post(url, form)

    assert response.status_code == 302
    people.a_user.refresh_from_db()
    assert (people.a_user.role, people.a_user.time_zone) == ("customer_manager", "Europe/Paris")


def test_team_edit_by_administrator_changes_the_team(people, world, client_for):
    team = world["team"]
    url = reverse("team_edit", args=[team.pk])
    form = {"name": "A helpers", "members": [people.a_manager.pk], "is_active": "on"}

    assert client_for(people.lead).post(url, form).status_code == 403
    response = client_for(people.admin).post(url, form)

    assert response.status_code == 302
    team.refresh_from_db()
    assert team.name == "A helpers"
    assert list(team.members.all()) == [people.a_manager]


def test_calendar_day_add_and_remove_are_for_administrators(people, world, statuses):
    calendar = world["calendar"]
    add_url = reverse("calendar_day_add", args=[calendar.pk])
    day = {"date": "2030-10-01", "kind": "holiday", "name": "National Day"}

    assert statuses("post", add_url, day) == expect(SIGNED_IN=403, admin=302, anonymous=302)
    assert CalendarDay.objects.filter(calendar=calendar, date="2030-10-01").count() == 1

    remove_url = reverse("calendar_day_remove", args=[calendar.pk, "2030-10-01"])
    assert statuses("post", remove_url) == expect(SIGNED_IN=403, admin=302, anonymous=302)
    assert not CalendarDay.objects.filter(calendar=calendar).exists()


# --- API ----------------------------------------------------------------------------------

API_ANONYMOUS = 403  # DRF without a WWW-Authenticate scheme: 403 for every URL, no data


def test_api_organisation_read_and_write(people, statuses):
    url = f"/api/v1/organisations/{people.customer_a.uuid}/"

    reads = statuses("get", url, api=True)
    writes = statuses("patch", url, {"short_name": "CA2"}, api=True)

    visible = {
        "STAFF": 200,
        "OWN_CUSTOMER": 200,
        "OTHER_CUSTOMERS": 404,
        "anonymous": API_ANONYMOUS,
    }
    assert reads == expect(**visible)
    assert writes == expect(**{**visible, "STAFF": 403, "OWN_CUSTOMER": 403}, admin=200)
    assert Organisation.objects.get(pk=people.customer_a.pk).short_name == "CA2"


def test_api_person_read_and_write(people, statuses):
    url = f"/api/v1/people/{people.a_user.uuid}/"

    reads = statuses("get", url, api=True)
    writes = statuses("patch", url, {"phone": "+86 21 5555"}, api=True)

    visible = {
        "STAFF": 200,
        "OWN_CUSTOMER": 200,
        "OTHER_CUSTOMERS": 404,
        "anonymous": API_ANONYMOUS,
    }
    assert reads == expect(**visible)
    # a_user edits his own phone (self-service); everyone else needs ADMINISTER
    assert writes == expect(**{**visible, "STAFF": 403, "OWN_CUSTOMER": 403}, admin=200, a_user=200)


def test_api_person_cannot_raise_his_own_role(people, api_client_for):
    client = api_client_for(people.a_user)

    response = client.patch(
        f"/api/v1/people/{people.a_user.uuid}/", {"role": "provider_admin"}, format="json"
    )

    assert response.status_code == 403
    people.a_user.refresh_from_db()
    assert people.a_user.role == "customer_user"


def test_api_team_is_read_only_and_scoped(people, world, statuses):
    url = f"/api/v1/teams/{world['team'].uuid}/"

    assert statuses("get", url, api=True) == expect(
        STAFF=200, OWN_CUSTOMER=200, OTHER_CUSTOMERS=404, anonymous=API_ANONYMOUS
    )
    assert statuses("patch", url, {"name": "x"}, api=True) == expect(
        SIGNED_IN=405, anonymous=API_ANONYMOUS
    )
    assert Team.objects.get(pk=world["team"].pk).name != "x"


def test_api_calendar_is_read_only_reference_data(world, statuses):
    url = f"/api/v1/calendars/{world['calendar'].name}/"

    assert statuses("get", url, api=True) == expect(SIGNED_IN=200, anonymous=API_ANONYMOUS)
    assert statuses("delete", url, api=True) == expect(SIGNED_IN=405, anonymous=API_ANONYMOUS)


def test_api_audit_events_are_read_by_audit_trail_readers_only(world, statuses):
    detail = f"/api/v1/audit-events/{world['audit_event'].pk}/"

    assert statuses("get", "/api/v1/audit-events/", api=True) == expect(
        SIGNED_IN=403, AUDIT_READERS=200, anonymous=API_ANONYMOUS
    )
    assert statuses("get", detail, api=True) == expect(
        SIGNED_IN=404, AUDIT_READERS=200, anonymous=API_ANONYMOUS
    )


def test_api_notification_is_its_recipients_alone(world, statuses):
    notification = world["notification"]
    url = f"/api/v1/notifications/{notification.pk}/"

    assert statuses("get", url, api=True) == expect(
        SIGNED_IN=404, a_user=200, anonymous=API_ANONYMOUS
    )
    assert statuses("post", f"{url}read/", api=True) == expect(
        SIGNED_IN=404, a_user=204, anonymous=API_ANONYMOUS
    )
    assert Notification.objects.get(pk=notification.pk).read_at is not None


def test_api_lists_are_scoped_to_the_customers_organisation(people, api_client_for):
    client = api_client_for(people.a_manager)

    organisations = client.get("/api/v1/organisations/").json()["results"]
    persons = client.get("/api/v1/people/").json()["results"]

    assert [o["id"] for o in organisations] == [str(people.customer_a.uuid)]
    assert {p["username"] for p in persons} == {"a.manager", "a.user"}


def test_api_create_is_for_administrators(people, api_client_for):
    body = {"kind": "customer", "name": "New customer", "time_zone": "Asia/Shanghai"}
    table = {}
    for name in (*reversed(EVERYONE),):  # the administrator last: the name is still free
        user = None if name == "anonymous" else getattr(people, name)
        response = api_client_for(user).post("/api/v1/organisations/", body, format="json")
        table[name] = response.status_code

    assert table == expect(SIGNED_IN=403, admin=201, anonymous=API_ANONYMOUS)
    assert Organisation.objects.filter(name="New customer").count() == 1


@pytest.mark.parametrize(
    "url, body",
    [
        ("/api/v1/organisations/", {"kind": "customer", "name": "Customer B 乙方"}),
        (
            "/api/v1/people/",
            {"username": "b.manager", "organisation": "{org}", "role": "customer_user"},
        ),
    ],
)
def test_api_create_refuses_non_administrators_before_validating(url, body, people, api_client_for):
    body = {k: v.replace("{org}", str(people.customer_a.uuid)) for k, v in body.items()}

    response = api_client_for(people.a_user).post(url, body, format="json")

    assert response.status_code == 403
    assert "already exists" not in response.content.decode()


def test_api_accepts_token_authentication(people, world, client):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=people.auditor)

    response = client.get("/api/v1/audit-events/", HTTP_AUTHORIZATION=f"Token {token.key}")
    refused = client.get("/api/v1/audit-events/", HTTP_AUTHORIZATION="Token not-a-token")

    assert response.status_code == 200
    assert response.json()["results"][0]["verb"] == "test.event"
    assert refused.status_code == API_ANONYMOUS
    assert "results" not in refused.json()


def test_audit_trail_rows_are_not_writable_through_the_api(people, world, api_client_for):
    client = api_client_for(people.admin)
    event = world["audit_event"]
    detail = f"/api/v1/audit-events/{event.pk}/"

    answers = {
        "post": client.post("/api/v1/audit-events/", {"verb": "x"}, format="json").status_code,
        "put": client.put(detail, {"verb": "x"}, format="json").status_code,
        "patch": client.patch(detail, {"verb": "x"}, format="json").status_code,
        "delete": client.delete(detail).status_code,
    }

    assert answers == {"post": 405, "put": 405, "patch": 405, "delete": 405}
    assert AuditEvent.objects.get(pk=event.pk).verb == event.verb
