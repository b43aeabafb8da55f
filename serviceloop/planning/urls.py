"""Screens of planning: the gap analysis and the implementation plan."""

from django.urls import path

from serviceloop.planning import views_assessments as gap
from serviceloop.planning import views_plan as plan
from serviceloop.planning.urls_management import urlpatterns as management_urlpatterns

urlpatterns = [
    path("planning/gap/", gap.assessment_list, name="assessment_list"),
    path("planning/gap/new/", gap.assessment_new, name="assessment_new"),
    path("planning/gap/<str:reference>/", gap.assessment_detail, name="assessment_detail"),
    path("planning/gap/<str:reference>/edit/", gap.assessment_edit, name="assessment_edit"),
    path("planning/gap/<str:reference>/move/", gap.assessment_move, name="assessment_move"),
    path(
        "planning/gap/<str:reference>/answers/<int:pk>/", gap.answer_save, name="assessment_answer"
    ),
    path(
        "planning/gap/<str:reference>/results/", gap.assessment_results, name="assessment_results"
    ),
    path(
        "planning/gap/<str:reference>/to-plan/",
        gap.assessment_gaps_to_plan,
        name="assessment_gaps_to_plan",
    ),
    path(
        "planning/gap/<str:reference>/export.<str:fmt>",
        gap.assessment_export,
        name="assessment_export",
    ),
    path("planning/plan/", plan.plan_overview, name="plan_overview"),
    path("planning/plan/export.<str:fmt>", plan.plan_export, name="plan_export"),
    path("planning/plan/items/", plan.plan_item_list, name="plan_item_list"),
    path("planning/plan/items/new/", plan.plan_item_new, name="plan_item_new"),
    path("planning/plan/items/<str:reference>/", plan.plan_item_detail, name="plan_item_detail"),
    path("planning/plan/items/<str:reference>/edit/", plan.plan_item_edit, name="plan_item_edit"),
    path("planning/plan/items/<str:reference>/move/", plan.plan_item_move, name="plan_item_move"),
    path(
        "planning/plan/items/<str:reference>/progress/",
        plan.plan_item_progress,
        name="plan_item_progress",
    ),
    path("planning/plan/milestones/", plan.milestone_list, name="milestone_list"),
    path("planning/plan/milestones/new/", plan.milestone_new, name="milestone_new"),
    path("planning/plan/milestones/<int:pk>/", plan.milestone_edit, name="milestone_edit"),
    path(
        "planning/plan/milestones/<int:pk>/achieve/",
        plan.milestone_achieve,
        name="milestone_achieve",
    ),
]
urlpatterns += management_urlpatterns
