"""Screens of the context, leadership, objectives, risks and tailoring (clauses 4–6)."""

from django.urls import path

from serviceloop.planning import views_context as context
from serviceloop.planning import views_leadership as leadership
from serviceloop.planning import views_objectives as objectives
from serviceloop.planning import views_risk_sources as risk_sources
from serviceloop.planning import views_risks as risks
from serviceloop.planning import views_tailoring as tailoring

urlpatterns = [
    path("planning/tailoring/", tailoring.tailoring, name="tailoring"),
    path("planning/tailoring/profile/", tailoring.tailoring_profile, name="tailoring_profile"),
    path("planning/tailoring/module/", tailoring.tailoring_module, name="tailoring_module"),
    path("planning/tailoring/choices/", tailoring.tailoring_choices, name="tailoring_choices"),
    # 4.1, 4.2
    path("planning/context/", context.context_overview, name="context_overview"),
    path("planning/context/issues/", context.context_issue_list, name="context_issue_list"),
    path("planning/context/issues/new/", context.context_issue_new, name="context_issue_new"),
    path(
        "planning/context/issues/<int:pk>/",
        context.context_issue_detail,
        name="context_issue_detail",
    ),
    path(
        "planning/context/issues/<int:pk>/edit/",
        context.context_issue_edit,
        name="context_issue_edit",
    ),
    path(
        "planning/context/issues/<int:pk>/current/",
        context.context_issue_current,
        name="context_issue_current",
    ),
    path("planning/context/parties/", context.context_party_list, name="context_party_list"),
    path("planning/context/parties/new/", context.context_party_new, name="context_party_new"),
    path(
        "planning/context/parties/<int:pk>/",
        context.context_party_detail,
        name="context_party_detail",
    ),
    path(
        "planning/context/parties/<int:pk>/edit/",
        context.context_party_edit,
        name="context_party_edit",
    ),
    path(
        "planning/context/parties/<int:pk>/current/",
        context.context_party_current,
        name="context_party_current",
    ),
    # 4.3
    path("planning/scope/", context.scope_list, name="scope_list"),
    path("planning/scope/new/", context.scope_new, name="scope_new"),
    path("planning/scope/<int:number>/", context.scope_detail, name="scope_detail"),
    path("planning/scope/<int:number>/edit/", context.scope_edit, name="scope_edit"),
    path("planning/scope/<int:number>/approve/", context.scope_approve, name="scope_approve"),
    path("planning/scope/<int:number>/discard/", context.scope_discard, name="scope_discard"),
    # 5.2, 5.3
    path("planning/policy/", leadership.policy_list, name="policy_list"),
    path("planning/policy/new/", leadership.policy_new, name="policy_new"),
    path(
        "planning/policy/communications/",
        leadership.policy_communication_list,
        name="policy_communication_list",
    ),
    path("planning/policy/<int:number>/", leadership.policy_detail, name="policy_detail"),
    path("planning/policy/<int:number>/edit/", leadership.policy_edit, name="policy_edit"),
    path("planning/policy/<int:number>/approve/", leadership.policy_approve, name="policy_approve"),
    path("planning/policy/<int:number>/discard/", leadership.policy_discard, name="policy_discard"),
    path(
        "planning/policy/<int:number>/communicate/",
        leadership.policy_communicate,
        name="policy_communicate",
    ),
    path("planning/raci/", leadership.raci_matrix, name="raci_matrix"),
    path("planning/raci/edit/", leadership.raci_edit, name="raci_edit"),
    # 6.2
    path("planning/objectives/", objectives.objective_list, name="objective_list"),
    path("planning/objectives/new/", objectives.objective_new, name="objective_new"),
    path(
        "planning/objectives/<str:reference>/",
        objectives.objective_detail,
        name="objective_detail",
    ),
    path(
        "planning/objectives/<str:reference>/edit/",
        objectives.objective_edit,
        name="objective_edit",
    ),
    path(
        "planning/objectives/<str:reference>/state/",
        objectives.objective_state,
        name="objective_state",
    ),
    # 6.1
    path("planning/risks/", risks.risk_list, name="risk_list"),
    path("planning/risks/heat-map/", risks.risk_heatmap, name="risk_heatmap"),
    path("planning/risks/matrix/", risks.risk_matrix, name="risk_matrix"),
    path("planning/risks/new/", risks.risk_new, name="risk_new"),
    path("planning/risks/from-spof/<int:pk>/", risk_sources.risk_from_spof, name="risk_from_spof"),
    path(
        "planning/risks/from-spof/<int:pk>/link/",
        risk_sources.risk_spof_link,
        name="risk_spof_link",
    ),
    path("planning/risks/<str:reference>/", risks.risk_detail, name="risk_detail"),
    path("planning/risks/<str:reference>/edit/", risks.risk_edit, name="risk_edit"),
    path("planning/risks/<str:reference>/move/", risks.risk_move, name="risk_move"),
    path("planning/risks/<str:reference>/review/", risks.risk_review, name="risk_review"),
    path(
        "planning/risks/<str:reference>/spof/unlink/",
        risk_sources.risk_spof_unlink,
        name="risk_spof_unlink",
    ),
]
