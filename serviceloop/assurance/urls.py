"""Screens of assurance: availability (8.7.1), continuity (8.7.2), information security (8.7.3)."""

from django.urls import path

from serviceloop.assurance import views_availability as a
from serviceloop.assurance import views_continuity as c
from serviceloop.assurance import views_security as s
from serviceloop.assurance import views_spof as f

urlpatterns = [
    # availability
    path("availability/", a.availability_home, name="availability_home"),
    path("availability/report/", a.availability_report, name="availability_report"),
    path("availability/services/<int:pk>/", a.availability_service, name="availability_service"),
    path("availability/targets/", a.target_list, name="availability_target_list"),
    path("availability/targets/<int:pk>/", a.target_edit, name="availability_target_edit"),
    path("availability/outages/", a.outage_list, name="outage_list"),
    path("availability/outages/new/", a.outage_new, name="outage_new"),
    path(
        "availability/outages/from-incident/", a.outage_from_incident, name="outage_from_incident"
    ),
    path("availability/outages/from-change/", a.outage_from_change, name="outage_from_change"),
    path("availability/outages/<str:reference>/", a.outage_detail, name="outage_detail"),
    path("availability/outages/<str:reference>/adjust/", a.outage_adjust, name="outage_adjust"),
    path("availability/outages/<str:reference>/end/", a.outage_end, name="outage_end"),
    path("availability/outages/<str:reference>/edit/", a.outage_edit, name="outage_edit"),
    path(
        "availability/outages/<str:reference>/customers/",
        a.outage_customers,
        name="outage_customers",
    ),
    path("availability/spof/", f.spof_list, name="spof_list"),
    path("availability/spof/scan/", f.spof_scan, name="spof_scan"),
    path("availability/spof/<int:pk>/", f.spof_detail, name="spof_detail"),
    path("availability/spof/<int:pk>/move/", f.spof_move, name="spof_move"),
    # continuity
    path("continuity/", c.plan_list, name="continuity_plan_list"),
    path("continuity/new/", c.plan_new, name="continuity_plan_new"),
    path("continuity/schedule/", c.test_schedule, name="continuity_schedule"),
    path("continuity/issues/", c.issue_list, name="continuity_issue_list"),
    path("continuity/issues/<int:pk>/move/", c.issue_move, name="continuity_issue_move"),
    path("continuity/tests/<int:pk>/issues/new/", c.issue_new, name="continuity_issue_new"),
    path(
        "continuity/invocations/<int:pk>/stand-down/",
        c.invocation_stand_down,
        name="continuity_stand_down",
    ),
    path(
        "continuity/incidents/<str:reference>/invoke/",
        c.ticket_invoke,
        name="continuity_ticket_invoke",
    ),
    path("continuity/<str:reference>/", c.plan_detail, name="continuity_plan_detail"),
    path("continuity/<str:reference>/edit/", c.plan_edit, name="continuity_plan_edit"),
    path("continuity/<str:reference>/move/", c.plan_move, name="continuity_plan_move"),
    path("continuity/<str:reference>/tests/new/", c.plan_test_new, name="continuity_test_new"),
    path("continuity/<str:reference>/invoke/", c.plan_invoke, name="continuity_plan_invoke"),
    # information security
    path("security/", s.risk_list, name="security_risk_list"),
    path("security/risks/new/", s.risk_new, name="security_risk_new"),
    path("security/risks/<str:reference>/", s.risk_detail, name="security_risk_detail"),
    path("security/risks/<str:reference>/edit/", s.risk_edit, name="security_risk_edit"),
    path("security/risks/<str:reference>/move/", s.risk_move, name="security_risk_move"),
    path("security/controls/", s.control_list, name="security_control_list"),
    path("security/controls/new/", s.control_new, name="security_control_new"),
    path("security/controls/seed/", s.controls_seed, name="security_controls_seed"),
    path("security/controls/<str:code>/", s.control_detail, name="security_control_detail"),
    path("security/controls/<str:code>/edit/", s.control_edit, name="security_control_edit"),
    path("security/incidents/", s.incident_list, name="security_incident_list"),
    path("security/incidents/new/", s.incident_new, name="security_incident_new"),
    path(
        "security/incidents/<str:reference>/",
        s.incident_detail,
        name="security_incident_detail",
    ),
    path(
        "security/incidents/<str:reference>/edit/", s.incident_edit, name="security_incident_edit"
    ),
    path(
        "security/incidents/<str:reference>/viewers/",
        s.incident_viewers,
        name="security_incident_viewers",
    ),
    path(
        "security/incidents/<str:reference>/notified/",
        s.incident_notified,
        name="security_incident_notified",
    ),
    path(
        "security/incidents/<str:reference>/move/", s.incident_move, name="security_incident_move"
    ),
]
