"""Screens of improvement: nonconformities, corrective and preventive actions (10.1)."""

from django.urls import path

from serviceloop.improvement import views_actions_nonconformities as actions
from serviceloop.improvement import views_nonconformities as ncs

urlpatterns: list = [
    path("improvement/nonconformities/", ncs.nonconformity_list, name="nonconformity_list"),
    path("improvement/nonconformities/new/", ncs.nonconformity_new, name="nonconformity_new"),
    path(
        "improvement/nonconformities/<str:reference>/",
        ncs.nonconformity_detail,
        name="nonconformity_detail",
    ),
    path(
        "improvement/nonconformities/<str:reference>/edit/",
        ncs.nonconformity_edit,
        name="nonconformity_edit",
    ),
    path(
        "improvement/nonconformities/<str:reference>/containment/",
        ncs.nonconformity_contain,
        name="nonconformity_contain",
    ),
    path(
        "improvement/nonconformities/<str:reference>/analysis/",
        ncs.nonconformity_analyse,
        name="nonconformity_analyse",
    ),
    path(
        "improvement/nonconformities/<str:reference>/cancel/",
        ncs.nonconformity_cancel,
        name="nonconformity_cancel",
    ),
    path(
        "improvement/nonconformities/<str:reference>/reopen/",
        ncs.nonconformity_reopen,
        name="nonconformity_reopen",
    ),
    path(
        "improvement/nonconformities/<str:reference>/actions/new/",
        actions.nonconformity_action_new,
        name="nonconformity_action_new",
    ),
    path("improvement/actions/", actions.action_list, name="action_list"),
    path("improvement/actions/mine/", actions.my_actions, name="my_actions"),
    path("improvement/actions/new/", actions.preventive_action_new, name="preventive_action_new"),
    path("improvement/actions/<str:reference>/", actions.action_detail, name="action_detail"),
    path("improvement/actions/<str:reference>/edit/", actions.action_edit, name="action_edit"),
    path("improvement/actions/<str:reference>/move/", actions.action_move, name="action_move"),
    path(
        "improvement/actions/<str:reference>/verify/", actions.action_verify, name="action_verify"
    ),
]
