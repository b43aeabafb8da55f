"""The audit trail: one row per change, in the change's transaction; hash-chained,
append-only, verifiable; readable (filters and CSV) by those allowed to."""

import contextlib
import csv
import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection
from django.urls import reverse
from django.utils import timezone

from serviceloop.core.audit import audit_record, audit_verify
from serviceloop.core.models import (
    Attachment,
    AuditChainHead,
    AuditEvent,
    CalendarDay,
    Organisation,
    Team,
    User,
)
from serviceloop.core.models.audit import AuditTrailIsAppendOnly
from serviceloop.core.roles import Role
from serviceloop.core.services import attachments as attachment_services
from serviceloop.core.services import calendars as calendar_services
from serviceloop.core.services import notifications as notification_services
from serviceloop.core.services import organisations as services
from serviceloop.core.tests.factories import (
    AuditEventFactory,
    CalendarDayFactory,
    CalendarFactory,
    NotificationFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db

# --- One audit row per service call ---------------------------------------------------------

# name: (call(people, objects) -> None, expected verb, object type of the row)
SERVICE_CALLS = {
    "organisation_create": (
        lambda p, o: services.organisation_create(actor=p.admin, kind="customer", name="New Co"),
        "organisation.created",
        "core.organisation",
    ),
    "organisation_update": (
        lambda p, o: services.organisation_update(
            actor=p.admin, organisation=p.customer_a, short_name="A2"
        ),
        "organisation.updated",
        "core.organisation",
    ),
    "person_create": (
        lambda p, o: services.person_create(
            actor=p.admin,
            organisation=p.customer_a,
            username="newbie",
            role=Role.CUSTOMER_USER,
            password="a-long-enough-passphrase",
        ),
        "person.created",
        "core.user",
    ),
    "person_update": (
        lambda p, o: services.person_update(actor=p.admin, person=p.a_user, phone="12345"),
        "person.updated",
        "core.user",
    ),
    "person_set_password": (
        lambda p, o: services.person_set_password(
            actor=p.a_user, person=p.a_user, password="another-long-passphrase"
        ),
        "person.password_changed",
        "core.user",
    ),
    "team_create": (
        lambda p, o: services.team_create(
            actor=p.admin,
            organisation=p.provider,
            name="Second line",
            members=[p.agent],
            lead=p.lead,
        ),
        "team.created",
        "core.team",
    ),
    "team_update": (
        lambda p, o: services.team_update(
            actor=p.admin, team=o["team"], members=[p.agent, p.lead], name="Desk 2"
        ),
        "team.updated",
        "core.team",
    ),
    "calendar_create": (
        lambda p, o: calendar_services.calendar_create(
            actor=p.admin,
            name="late-shift",
            label="Late shift",
            hours="14:00-22:00",
            time_zone="Asia/Shanghai",
        ),
        "calendar.created",
        "core.calendar",
    ),
    "calendar_update": (
        lambda p, o: calendar_services.calendar_update(
            actor=p.admin, calendar=o["calendar"], label="Office hours"
        ),
        "calendar.updated",
        "core.calendar",
    ),
    "calendar_day_set": (
        lambda p, o: calendar_services.calendar_day_set(
            actor=p.admin, calendar=o["calendar"], date=datetime.date(2030, 2, 1), kind="holiday"
        ),
        "calendar.day_set",
        "core.calendar",
    ),
    "calendar_day_remove": (
        lambda p, o: calendar_services.calendar_day_remove(
            actor=p.admin, calendar=o["calendar"], date=o["day"].date
        ),
        "calendar.day_removed",
        "core.calendar",
    ),
    "attachment_add": (
        lambda p, o: attachment_services.attachment_add(
            actor=p.agent,
            organisation=p.customer_a,
            uploaded_file=SimpleUploadedFile("a.txt", b"hello"),
            target=p.customer_a,
        ),
        "attachment.added",
        "core.attachment",
    ),
    "notification_mark_read": (
        lambda p, o: notification_services.notification_mark_read(
            actor=p.a_user, notification=o["notification"]
        ),
        "notification.read",
        "core.notification",
    ),
}


@pytest.fixture
def objects(people):
    calendar = CalendarFactory(name="office")
    return {
        "team": TeamFactory(organisation=people.provider, name="Desk"),
        "calendar": calendar,
        "day": CalendarDayFactory(calendar=calendar, date=datetime.date(2030, 1, 2)),
        "notification": NotificationFactory(recipient=people.a_user),
    }


@pytest.mark.parametrize("service", SERVICE_CALLS)
def test_each_service_writes_exactly_one_audit_row(service, people, objects):
    call, verb, object_type = SERVICE_CALLS[service]
    last_id = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

    call(people, objects)

    new = list(AuditEvent.objects.filter(id__gt=last_id))
    assert [(e.verb, e.object_type) for e in new] == [(verb, object_type)]
    assert new[0].actor_label in ("admin", "agent", "a.user")
    assert audit_verify().ok


def test_audit_row_names_the_actor_object_and_changes(people):
    organisation = services.organisation_update(
        actor=people.admin, organisation=people.customer_a, short_name="A2", time_zone="UTC"
    )

    event = AuditEvent.objects.get(verb="organisation.updated")

    assert event.actor == people.admin
    assert event.organisation_id == organisation.pk
    assert event.object_id == str(organisation.pk)
    assert event.object_repr == "Customer A 甲方"
    assert event.payload == {"short_name": ["CA", "A2"], "time_zone": ["Asia/Shanghai", "UTC"]}


def test_a_change_that_changes_nothing_writes_no_audit_row(people):
    before = AuditEvent.objects.count()

    services.organisation_update(
        actor=people.admin, organisation=people.customer_a, short_name="CA"
    )

    assert AuditEvent.objects.count() == before


def test_web_request_id_and_client_address_are_recorded(people, client_for):
    client = client_for(people.admin)

    client.post(
        reverse("organisation_edit", args=[people.customer_a.pk]),
        {"name": "Customer A 甲方", "short_name": "A9", "time_zone": "Asia/Shanghai"},
        HTTP_X_REQUEST_ID="req-0123456789",
    )

    event = AuditEvent.objects.get(verb="organisation.updated")
    assert (event.request_id, event.ip_address) == ("req-0123456789", "127.0.0.1")


def test_audit_record_refuses_to_run_outside_a_transaction(transactional_db):
    with pytest.raises(RuntimeError, match="inside the change's transaction"):
        audit_record(actor=None, verb="x", object_type="x", object_id=1)

    assert not AuditEvent.objects.exists()


# --- The change and its audit row commit together -------------------------------------------


@contextlib.contextmanager
def audit_inserts_fail():
    """A database trigger that refuses every new audit row, as a full disk or a lost
    connection would in the middle of the service's transaction."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION test_audit_down() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'audit trail unavailable'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER test_audit_down BEFORE INSERT ON core_auditevent "
                "FOR EACH ROW EXECUTE FUNCTION test_audit_down()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER test_audit_down BEFORE INSERT ON core_auditevent "
                "BEGIN SELECT RAISE(ABORT, 'audit trail unavailable'); END"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "DROP TRIGGER test_audit_down ON core_auditevent"
                if connection.vendor == "postgresql"
                else "DROP TRIGGER test_audit_down"
            )
            if connection.vendor == "postgresql":
                cursor.execute("DROP FUNCTION test_audit_down()")


def _state(people):
    return {
        "organisations": list(Organisation.objects.values_list("name", "short_name")),
        "people": list(User.objects.values_list("username", "phone", "role")),
        "teams": list(Team.objects.values_list("name", flat=True)),
        "days": list(CalendarDay.objects.values_list("date", flat=True)),
        "attachments": Attachment.objects.count(),
        "head": AuditChainHead.objects.values_list("last_hash", flat=True).get(pk=1),
    }


@pytest.mark.parametrize(
    "service",
    ["organisation_create", "person_update", "team_create", "calendar_day_set", "attachment_add"],
)
def test_when_the_audit_row_cannot_be_written_the_change_is_rolled_back(
    service, people, objects, settings
):
    call = SERVICE_CALLS[service][0]
    before = _state(people)

    with audit_inserts_fail(), pytest.raises(DatabaseError, match="audit trail unavailable"):
        call(people, objects)

    assert _state(people) == before
    uploads = settings.MEDIA_ROOT
    assert not uploads.exists() or not [p for p in uploads.rglob("*") if p.is_file()]


def test_a_service_that_fails_validation_writes_nothing(people):
    before = (AuditEvent.objects.count(), User.objects.count())

    with pytest.raises(ValidationError):
        services.person_create(
            actor=people.admin,
            organisation=people.provider,
            username="customer-at-provider",
            role=Role.CUSTOMER_USER,
        )

    assert (AuditEvent.objects.count(), User.objects.count()) == before


# --- The hash chain --------------------------------------------------------------------------


@pytest.fixture
def trail(people):
    """Five audit rows written by services, in order."""
    for short_name in ("A1", "A2", "A3", "A4", "A5"):
        services.organisation_update(
            actor=people.admin, organisation=people.customer_a, short_name=short_name
        )
    return list(AuditEvent.objects.order_by("id"))


def _raw(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_an_untouched_trail_verifies(trail):
    report = audit_verify()
    out = io.StringIO()

    call_command("verify_audit", stdout=out)

    assert report.ok and report.checked == 5
    assert "Audit trail intact: 5 rows verified." in out.getvalue()


def test_a_payload_changed_behind_the_applications_back_is_found(trail):
    tampered = trail[2]
    cast = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    _raw(
        f"UPDATE core_auditevent SET payload = {cast} WHERE id = %s",  # noqa: S608
        ['{"short_name": ["A2", "FORGED"]}', tampered.pk],
    )

    report = audit_verify()

    assert report.broken_event_id == tampered.pk
    assert "changed" in report.reason
    assert report.checked == 2
    with pytest.raises(CommandError, match=f"broken at row {tampered.pk}:") as error:
        call_command("verify_audit")
    assert error.value.returncode == 1


def test_a_middle_row_deleted_is_found_at_the_row_after_it(trail):
    _raw("DELETE FROM core_auditevent WHERE id = %s", [trail[2].pk])

    report = audit_verify()

    assert report.broken_event_id == trail[3].pk
    assert "changed or removed" in report.reason
    with pytest.raises(CommandError, match=f"broken at row {trail[3].pk}:"):
        call_command("verify_audit")


def test_the_last_row_deleted_is_found(trail):
    _raw("DELETE FROM core_auditevent WHERE id = %s", [trail[-1].pk])

    report = audit_verify()

    assert report.broken_event_id == trail[-1].pk
    assert "last rows" in report.reason
    with pytest.raises(CommandError, match=f"broken at row {trail[-1].pk}:"):
        call_command("verify_audit")


def test_a_row_inserted_with_a_forged_hash_is_found(trail):
    forged = trail[-1]
    _raw("UPDATE core_auditevent SET hash = %s WHERE id = %s", ["f" * 64, forged.pk])

    report = audit_verify()

    assert report.broken_event_id == forged.pk


# --- Append-only ---------------------------------------------------------------------------


def test_the_application_cannot_change_or_delete_audit_rows(trail):
    event = AuditEvent.objects.get(pk=trail[0].pk)
    event.verb = "rewritten"

    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.objects.update(verb="rewritten")
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AuditTrailIsAppendOnly):
        event.save()
    with pytest.raises(AuditTrailIsAppendOnly):
        event.delete()

    assert AuditEvent.objects.count() == 5
    assert AuditEvent.objects.get(pk=event.pk).verb == "organisation.updated"
    assert audit_verify().ok


def test_the_admin_shows_audit_rows_but_offers_no_change_or_delete(people, trail, client_for):
    client = client_for(people.admin)
    event = trail[0]
    change_url = reverse("admin:core_auditevent_change", args=[event.pk])

    changelist = client.get(reverse("admin:core_auditevent_changelist"))
    change_page = client.get(change_url)
    posted = client.post(change_url, {"verb": "rewritten"})
    delete_page = client.get(reverse("admin:core_auditevent_delete", args=[event.pk]))
    add_page = client.get(reverse("admin:core_auditevent_add"))

    assert changelist.status_code == 200
    assert 'name="action"' not in changelist.content.decode()  # no bulk delete action
    assert change_page.status_code == 200
    assert 'name="_save"' not in change_page.content.decode()
    assert (posted.status_code, delete_page.status_code, add_page.status_code) == (403, 403, 403)
    assert AuditEvent.objects.get(pk=event.pk).verb == "organisation.updated"


# --- Reading the trail ---------------------------------------------------------------------


@pytest.fixture
def varied_trail(people, objects):
    services.organisation_update(actor=people.admin, organisation=people.customer_a, short_name="X")
    services.organisation_update(actor=people.admin, organisation=people.customer_b, short_name="Y")
    services.person_create(
        actor=people.admin,
        organisation=people.customer_a,
        username="alice",
        role=Role.CUSTOMER_USER,
        display_name="艾丽丝",
    )
    services.person_set_password(
        actor=people.a_user, person=people.a_user, password="a-new-long-passphrase"
    )
    return AuditEvent.objects.order_by("id")


def _listed_ids(response):
    return [e.pk for e in response.context["events"]]


def test_audit_list_filters_by_object(people, varied_trail, client_for):
    client = client_for(people.auditor)

    by_type = client.get(reverse("audit_list"), {"object_type": "core.user"})
    by_object = client.get(
        reverse("audit_list"),
        {"object_type": "core.organisation", "object_id": str(people.customer_b.pk)},
    )

    assert {e.object_type for e in by_type.context["events"]} == {"core.user"}
    assert len(by_type.context["events"]) == 2
    assert [e.payload for e in by_object.context["events"]] == [{"short_name": ["CB", "Y"]}]


def test_audit_list_filters_by_actor(people, varied_trail, client_for):
    response = client_for(people.owner).get(reverse("audit_list"), {"actor": "a.user"})

    events = list(response.context["events"])
    assert [(e.actor_label, e.verb) for e in events] == [("a.user", "person.password_changed")]


def test_audit_list_filters_by_local_dates(people, varied_trail, client_for):
    client = client_for(people.admin)
    day = timezone.localdate(varied_trail.first().occurred_at)
    all_ids = sorted(varied_trail.values_list("id", flat=True), reverse=True)

    def listed(**dates):
        params = {k: v.isoformat() for k, v in dates.items()}
        return _listed_ids(client.get(reverse("audit_list"), params))

    one_day = datetime.timedelta(days=1)
    assert listed(date_from=day, date_to=day) == all_ids
    assert listed(date_from=day + one_day) == []
    assert listed(date_to=day - one_day) == []
    assert listed(date_from=day - one_day, date_to=day + one_day) == all_ids


def test_audit_csv_export_holds_the_filtered_rows(people, varied_trail, client_for):
    response = client_for(people.auditor).get(
        reverse("audit_list"), {"object_type": "core.user", "format": "csv"}
    )

    body = b"".join(response.streaming_content).decode("utf-8")
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="audit-trail.csv"'
    assert body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    expected = varied_trail.filter(object_type="core.user").order_by("-id")
    assert [int(r["id"]) for r in rows] == [e.pk for e in expected]
    assert [r["hash"] for r in rows] == [e.hash for e in expected]
    assert [(r["actor"], r["verb"]) for r in rows] == [
        ("a.user", "person.password_changed"),
        ("admin", "person.created"),
    ]
    assert "艾丽丝" in rows[1]["payload"]
    assert rows[0]["organisation"] == "Customer A 甲方"


def test_audit_csv_export_is_refused_without_read_audit_trail(people, varied_trail, client_for):
    response = client_for(people.agent).get(reverse("audit_list"), {"format": "csv"})

    assert response.status_code == 403


def test_audit_api_lists_rows_newest_first(people, varied_trail, api_client_for):
    results = api_client_for(people.auditor).get("/api/v1/audit-events/").json()["results"]

    assert [r["id"] for r in results] == list(
        varied_trail.order_by("-id").values_list("id", flat=True)
    )
    assert results[0]["hash"] == varied_trail.last().hash


def test_an_invalid_filter_never_widens_the_list(people, varied_trail, client_for):
    response = client_for(people.auditor).get(
        reverse("audit_list"), {"actor": "a.user", "date_from": "2030-13-45"}
    )

    assert response.context["form"].errors
    assert {e.actor_label for e in response.context["events"]} <= {"a.user"}


def test_audit_list_page_links_keep_the_filters(people, client_for):
    for n in range(51):
        AuditEventFactory(actor=people.owner, object_id=str(n))
    AuditEventFactory(actor=people.admin)

    page = client_for(people.auditor).get(reverse("audit_list"), {"actor": "owner"})

    assert page.context["events"].has_next()
    assert "actor=owner" in page.content.decode().split('class="pagination')[1]
