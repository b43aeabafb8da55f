from django.urls import path

from serviceloop.desk.views import affected as affected_views
from serviceloop.desk.views import configuration, intake, portal, problems, ticket_extras, tickets
from serviceloop.desk.views import search as search_views

urlpatterns = [
    path("desk/", tickets.queue, name="desk_queue"),
    path("desk/search/", search_views.search, name="desk_search"),
    path("desk/new/", tickets.ticket_new, name="ticket_new"),
    path("desk/bulk/", tickets.queue_bulk, name="desk_bulk"),
    path("desk/views/", tickets.saved_view_save, name="desk_view_save"),
    path("desk/views/<int:pk>/delete/", tickets.saved_view_delete, name="desk_view_delete"),
    path("desk/tickets/<str:reference>/", tickets.ticket_detail, name="ticket_detail"),
    path("desk/tickets/<str:reference>/comment/", tickets.ticket_comment, name="ticket_comment"),
    path("desk/tickets/<str:reference>/move/", tickets.ticket_move, name="ticket_move"),
    path("desk/tickets/<str:reference>/assign/", tickets.ticket_assign, name="ticket_assign"),
    path("desk/tickets/<str:reference>/edit/", tickets.ticket_edit, name="ticket_edit"),
    path(
        "desk/tickets/<str:reference>/items/",
        affected_views.affected_items_set,
        name="ticket_affected_items",
    ),
    path(
        "desk/tickets/<str:reference>/watchers/", ticket_extras.watchers_set, name="ticket_watchers"
    ),
    path("desk/tickets/<str:reference>/links/", ticket_extras.link_add, name="ticket_link"),
    path(
        "desk/tickets/<str:reference>/files/", ticket_extras.attachment_upload, name="ticket_attach"
    ),
    path(
        "desk/tickets/<str:reference>/major/",
        ticket_extras.major_update,
        name="ticket_major_update",
    ),
    path("desk/tickets/<str:reference>/review/", ticket_extras.review_save, name="ticket_review"),
    path(
        "desk/tickets/<str:reference>/approvals/<int:step>/",
        ticket_extras.approval_decide,
        name="ticket_approval",
    ),
    path("desk/tickets/<str:reference>/rate/", ticket_extras.rate_signed_in, name="ticket_rate"),
    path("desk/tickets/<str:reference>/presence/", ticket_extras.presence, name="ticket_presence"),
    path("desk/rate/<str:token>/", ticket_extras.rate, name="ticket_rate_token"),
    path("portal/requests/", ticket_extras.request_catalogue, name="request_catalogue"),
    path("portal/requests/<int:pk>/", ticket_extras.request_new, name="request_new"),
    path("desk/settings/", configuration.settings_home, name="desk_settings"),
    path("desk/settings/matrix/", configuration.priority_matrix, name="desk_priority_matrix"),
    path("desk/settings/sla/<int:pk>/publish/", configuration.sla_publish, name="desk_sla_publish"),
    path("desk/settings/<str:kind>/", configuration.config_list, name="desk_config_list"),
    path("desk/settings/<str:kind>/new/", configuration.config_edit, name="desk_config_new"),
    path("desk/settings/<str:kind>/<int:pk>/", configuration.config_edit, name="desk_config_edit"),
    # problems, known errors and recurring-incident proposals
    path("desk/problems/", problems.problem_list, name="problem_list"),
    path("desk/problems/new/", problems.problem_new, name="problem_new"),
    path("desk/problems/<str:reference>/", problems.problem_detail, name="problem_detail"),
    path("desk/problems/<str:reference>/edit/", problems.problem_edit, name="problem_edit"),
    path("desk/problems/<str:reference>/rca/", problems.problem_rca, name="problem_rca"),
    path("desk/problems/<str:reference>/move/", problems.problem_move, name="problem_move"),
    path("desk/problems/<str:reference>/link/", problems.problem_link, name="problem_link"),
    path(
        "desk/problems/<str:reference>/unlink/<str:incident>/",
        problems.problem_unlink,
        name="problem_unlink",
    ),
    path(
        "desk/problem-proposals/<int:pk>/",
        problems.proposal_detail,
        name="problem_proposal_detail",
    ),
    path(
        "desk/problem-proposals/<int:pk>/accept/",
        problems.proposal_accept,
        name="problem_proposal_accept",
    ),
    path(
        "desk/problem-proposals/<int:pk>/dismiss/",
        problems.proposal_dismiss,
        name="problem_proposal_dismiss",
    ),
    path("desk/known-errors/", problems.known_error_list, name="known_error_list"),
    path(
        "desk/tickets/<str:reference>/problem/",
        problems.ticket_problem_link,
        name="ticket_problem_link",
    ),
    # monitoring intake tokens (administrators)
    path("desk/intake/", intake.intake_token_list, name="intake_token_list"),
    path("desk/intake/new/", intake.intake_token_new, name="intake_token_new"),
    path(
        "desk/intake/<int:pk>/revoke/",
        intake.intake_token_revoke_view,
        name="intake_token_revoke",
    ),
    path("portal/", portal.portal_home, name="portal_home"),
    path("portal/new/", portal.portal_new, name="portal_new"),
]
