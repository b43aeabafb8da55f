"""Business calendars as the product uses them: screens, API, CLI and the schedule warning.

The engine itself (``business_time``, presets) has its own table and property tests; these
check that a stored calendar, its hand-edited days and its callers agree with it.
"""

import datetime
import io
import zoneinfo

import pytest
from django.core.management import call_command
from django.urls import reverse

from serviceloop.core.models import AuditEvent, Calendar, Notification
from serviceloop.core.roles import Role
from serviceloop.core.services import calendars as calendar_services
from serviceloop.core.tests.factories import UserFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
MONDAY_9AM = datetime.datetime(2030, 1, 7, 9, 0, tzinfo=SHANGHAI)  # 2030-01-07 is a Monday


@pytest.fixture
def office(people):
    """Monday to Friday, 09:00-12:00 and 13:00-18:00 in Shanghai: 8 working hours a day."""
    return calendar_services.calendar_create(
        actor=people.admin,
        name="office",
        label="Office hours 办公时间",
        hours="09:00-12:00,13:00-18:00",
        time_zone="Asia/Shanghai",
    )


def api_deadline(client, name, start, minutes):
    response = client.post(
        f"/api/v1/calendars/{name}/deadline/",
        {"start": start.isoformat(), "minutes": minutes},
        format="json",
    )
    assert response.status_code == 200, response.content
    return datetime.datetime.fromisoformat(response.json()["deadline"])


def test_an_administrator_creates_a_calendar_through_the_form(people, client_for):
    response = client_for(people.admin).post(
        reverse("calendar_create"),
        {
            "name": "late-shift",
            "label": "Late shift",
            "time_zone": "Asia/Shanghai",
            "hours": "",
            "weekly_hours": '{"5": "10:00-16:00", "6": "10:00-16:00"}',
            "is_active": "on",
        },
    )

    calendar = Calendar.objects.get(name="late-shift")
    assert response.url == reverse("calendar_detail", args=[calendar.pk])
    assert calendar.weekly_hours == {"5": "10:00-16:00", "6": "10:00-16:00"}
    assert AuditEvent.objects.filter(verb="calendar.created", object_id=calendar.pk).count() == 1


def test_the_calendar_form_rejects_weekly_hours_that_are_not_json(people, client_for):
    page = client_for(people.admin).post(
        reverse("calendar_create"),
        {"name": "x", "label": "X", "time_zone": "Asia/Shanghai", "weekly_hours": "{mon: 9-5}"},
    )

    assert page.status_code == 200
    assert "weekly_hours" in page.context["form"].errors
    assert not Calendar.objects.filter(name="x").exists()


def test_the_detail_page_shows_the_weekly_hours_and_checks_a_deadline(people, office, client_for):
    page = client_for(people.a_user).get(
        reverse("calendar_detail", args=[office.pk]),
        {"start": "2030-01-07T09:00", "minutes": "600"},  # wall-clock time in the calendar
    )

    html = page.content.decode()
    assert page.status_code == 200
    assert "09:00–12:00, 13:00–18:00" in html
    assert page.context["deadline"].startswith("2030-01-08 11:00:00")  # 8 h Monday, 2 h Tuesday
    assert page.context["can_edit"] is False


def test_the_api_answers_deadlines_in_business_time(people, office, api_client_for):
    client = api_client_for(people.agent)

    lunch = api_deadline(client, "office", MONDAY_9AM, 180)
    friday_evening = api_deadline(
        client, "office", datetime.datetime(2030, 1, 11, 17, 0, tzinfo=SHANGHAI), 120
    )

    assert lunch == datetime.datetime(2030, 1, 7, 12, 0, tzinfo=SHANGHAI)
    assert friday_evening == datetime.datetime(2030, 1, 14, 10, 0, tzinfo=SHANGHAI)


def test_a_day_set_by_hand_changes_the_deadlines_at_once(people, office, api_client_for):
    client = api_client_for(people.agent)
    before = api_deadline(client, "office", MONDAY_9AM, 240)

    calendar_services.calendar_day_set(
        actor=people.admin, calendar=office, date=MONDAY_9AM.date(), kind="holiday"
    )
    on_holiday = api_deadline(client, "office", MONDAY_9AM, 240)
    calendar_services.calendar_day_set(
        actor=people.admin, calendar=office, date=datetime.date(2030, 1, 5), kind="workday"
    )
    saturday = api_deadline(
        client, "office", datetime.datetime(2030, 1, 5, 9, 0, tzinfo=SHANGHAI), 60
    )
    calendar_services.calendar_day_remove(
        actor=people.admin, calendar=office, date=MONDAY_9AM.date()
    )
    after = api_deadline(client, "office", MONDAY_9AM, 240)

    assert before == after == datetime.datetime(2030, 1, 7, 14, 0, tzinfo=SHANGHAI)
    assert on_holiday == datetime.datetime(2030, 1, 8, 14, 0, tzinfo=SHANGHAI)
    assert saturday == datetime.datetime(2030, 1, 5, 10, 0, tzinfo=SHANGHAI)


def test_the_deadline_api_refuses_bad_input(people, office, api_client_for):
    response = api_client_for(people.agent).post(
        "/api/v1/calendars/office/deadline/",
        {"start": "tomorrow", "minutes": -5},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()) == {"start", "minutes"}


def test_the_calendar_command_answers_like_the_api(people, office):
    out = io.StringIO()

    call_command(
        "calendar",
        "deadline",
        "--calendar",
        "office",
        "--start",
        "2030-01-07T09:00",
        "--minutes",
        "600",
        stdout=out,
    )
    elapsed = io.StringIO()
    call_command(
        "calendar",
        "elapsed",
        "--calendar",
        "office",
        "--start",
        "2030-01-07T09:00",
        "--end",
        "2030-01-08T11:00",
        stdout=elapsed,
    )

    assert out.getvalue().strip() == "2030-01-08T11:00:00+08:00"
    assert elapsed.getvalue().strip() == "600"


def test_a_preset_calendar_without_a_zone_takes_the_presets_zone(people):
    calendar = calendar_services.calendar_create(
        actor=people.admin, name="uk", label="UK", preset="GB-workdays"
    )

    assert str(calendar.engine().tz) == "Europe/London"


def test_the_schedule_warning_notifies_each_administrator_once(people, client_for):
    calendar_services.calendar_create(
        actor=people.admin, name="china", label="China", preset="cn-workdays"
    )
    english_admin = UserFactory(role=Role.PROVIDER_ADMIN, language="en", username="admin2")
    UserFactory(role=Role.PROVIDER_ADMIN, is_active=False)
    far_future = datetime.date(2040, 11, 15)  # no published holiday schedule for 2040/2041

    first = calendar_services.calendar_schedule_warn(today=far_future)
    again = calendar_services.calendar_schedule_warn(today=far_future)

    notifications = Notification.objects.filter(kind="calendar_unconfirmed")
    assert first == notifications.count() > 0
    assert again == 0
    assert {n.recipient for n in notifications} == {people.admin, english_admin}
    english = notifications.filter(recipient=english_admin).first()
    assert english.subject.startswith("Calendar “China” has no confirmed holidays for 204")
    assert notifications.filter(recipient=people.admin).first().subject.startswith("日历")
