"""Screens of transition: changes, the change calendar, the CAB, settings, releases and
service transition plans."""

from django.urls import path

from serviceloop.transition import (
    views_calendar,
    views_changes,
    views_config,
    views_plans,
    views_releases,
)

urlpatterns = [
    # changes
    path("changes/", views_changes.change_list, name="change_list"),
    path("changes/new/", views_changes.change_new, name="change_new"),
    path("changes/calendar/", views_calendar.change_calendar, name="change_calendar"),
    path("changes/cab/", views_changes.cab_queue, name="cab_queue"),
    path("changes/planned/", views_changes.planned_changes, name="planned_changes"),
    path(
        "changes/incidents/<str:reference>/",
        views_changes.incident_changes,
        name="incident_changes",
    ),
    # settings
    path("changes/settings/", views_config.change_settings, name="change_settings"),
    path("changes/settings/templates/", views_config.template_list, name="change_template_list"),
    path("changes/settings/templates/new/", views_config.template_edit, name="change_template_new"),
    path(
        "changes/settings/templates/<int:pk>/",
        views_config.template_edit,
        name="change_template_edit",
    ),
    path("changes/settings/cab-rules/", views_config.cab_rule_list, name="cab_rule_list"),
    path("changes/settings/cab-rules/new/", views_config.cab_rule_edit, name="cab_rule_new"),
    path("changes/settings/cab-rules/<int:pk>/", views_config.cab_rule_edit, name="cab_rule_edit"),
    path("changes/settings/blackouts/", views_config.blackout_list, name="blackout_list"),
    path("changes/settings/blackouts/new/", views_config.blackout_edit, name="blackout_new"),
    path("changes/settings/blackouts/<int:pk>/", views_config.blackout_edit, name="blackout_edit"),
    path(
        "changes/settings/blackouts/<int:pk>/delete/",
        views_config.blackout_delete,
        name="blackout_delete",
    ),
    # one change
    path("changes/<str:reference>/", views_changes.change_detail, name="change_detail"),
    path("changes/<str:reference>/edit/", views_changes.change_edit, name="change_edit"),
    path("changes/<str:reference>/move/", views_changes.change_move, name="change_move"),
    path(
        "changes/<str:reference>/schedule/", views_changes.change_schedule, name="change_schedule"
    ),
    path("changes/<str:reference>/review/", views_changes.change_review, name="change_review"),
    path("changes/<str:reference>/vote/", views_changes.change_vote_page, name="change_vote_page"),
    path("changes/<str:reference>/incidents/", views_changes.change_link, name="change_link"),
    path(
        "changes/<str:reference>/incidents/<str:incident>/unlink/",
        views_changes.change_unlink,
        name="change_unlink",
    ),
    # releases
    path("releases/", views_releases.release_list, name="release_list"),
    path("releases/new/", views_releases.release_new, name="release_new"),
    path("releases/<str:reference>/", views_releases.release_detail, name="release_detail"),
    path("releases/<str:reference>/edit/", views_releases.release_edit, name="release_edit"),
    path("releases/<str:reference>/move/", views_releases.release_move, name="release_move"),
    path("releases/<str:reference>/deploy/", views_releases.release_deploy, name="release_deploy"),
    path(
        "releases/<str:reference>/rollback/",
        views_releases.release_rollback,
        name="release_rollback",
    ),
    path(
        "releases/<str:reference>/criteria/",
        views_releases.release_criterion_add,
        name="release_criterion_add",
    ),
    path(
        "releases/<str:reference>/criteria/<int:pk>/",
        views_releases.release_criterion_result,
        name="release_criterion_result",
    ),
    path("releases/<str:reference>/incidents/", views_releases.release_tag, name="release_tag"),
    path(
        "releases/<str:reference>/incidents/<str:incident>/untag/",
        views_releases.release_untag,
        name="release_untag",
    ),
    # service transition plans
    path("transition-plans/", views_plans.plan_list, name="plan_list"),
    path("transition-plans/new/", views_plans.plan_new, name="plan_new"),
    path("transition-plans/<str:reference>/", views_plans.plan_detail, name="plan_detail"),
    path("transition-plans/<str:reference>/move/", views_plans.plan_move, name="plan_move"),
    path(
        "transition-plans/<str:reference>/criteria/<int:pk>/",
        views_plans.plan_criterion,
        name="plan_criterion",
    ),
]
