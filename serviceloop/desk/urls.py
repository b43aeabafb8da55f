from django.urls import path

from serviceloop.desk.views import configuration, portal, ticket_extras, tickets

urlpatterns = [
    path("desk/", tickets.queue, name="desk_queue"),
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
    path("portal/", portal.portal_home, name="portal_home"),
    path("portal/new/", portal.portal_new, name="portal_new"),
]
