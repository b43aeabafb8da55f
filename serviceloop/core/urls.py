from django.urls import path

from serviceloop.core.views import (
    account,
    attachments,
    audit,
    calendars,
    notifications,
    organisations,
)

urlpatterns = [
    path("", account.home, name="home"),
    path("profile/", account.profile, name="profile"),
    path("language/", account.language_switch, name="language_switch"),
    path("my-organisation/", organisations.my_organisation, name="my_organisation"),
    path("organisations/", organisations.organisation_list, name="organisation_list"),
    path("organisations/new/", organisations.organisation_create, name="organisation_create"),
    path("organisations/<int:pk>/", organisations.organisation_detail, name="organisation_detail"),
    path("organisations/<int:pk>/edit/", organisations.organisation_edit, name="organisation_edit"),
    path(
        "organisations/<int:pk>/attachments/",
        organisations.organisation_attachment_add,
        name="organisation_attachment_add",
    ),
    path("people/", organisations.person_list, name="person_list"),
    path("people/new/", organisations.person_create, name="person_create"),
    path("people/<int:pk>/", organisations.person_detail, name="person_detail"),
    path("people/<int:pk>/edit/", organisations.person_edit, name="person_edit"),
    path("teams/", organisations.team_list, name="team_list"),
    path("teams/new/", organisations.team_create, name="team_create"),
    path("teams/<int:pk>/", organisations.team_detail, name="team_detail"),
    path("teams/<int:pk>/edit/", organisations.team_edit, name="team_edit"),
    path("calendars/", calendars.calendar_list, name="calendar_list"),
    path("calendars/new/", calendars.calendar_create, name="calendar_create"),
    path("calendars/<int:pk>/", calendars.calendar_detail, name="calendar_detail"),
    path("calendars/<int:pk>/edit/", calendars.calendar_edit, name="calendar_edit"),
    path("calendars/<int:pk>/days/", calendars.calendar_day_add, name="calendar_day_add"),
    path(
        "calendars/<int:pk>/days/<str:date>/remove/",
        calendars.calendar_day_remove,
        name="calendar_day_remove",
    ),
    path("attachments/<uuid:uuid>/", attachments.attachment_download, name="attachment_download"),
    path("notifications/", notifications.notification_list, name="notification_list"),
    path(
        "notifications/read-all/",
        notifications.notification_mark_all_read,
        name="notification_mark_all_read",
    ),
    path("notifications/<int:pk>/open/", notifications.notification_open, name="notification_open"),
    path("audit/", audit.audit_list, name="audit_list"),
    path("audit/<int:pk>/", audit.audit_detail, name="audit_detail"),
]
