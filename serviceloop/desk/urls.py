from django.urls import path

from serviceloop.desk.views import portal, tickets

urlpatterns = [
    path("desk/", tickets.queue, name="desk_queue"),
    path("desk/new/", tickets.ticket_new, name="ticket_new"),
    path("desk/tickets/<str:reference>/", tickets.ticket_detail, name="ticket_detail"),
    path("desk/tickets/<str:reference>/comment/", tickets.ticket_comment, name="ticket_comment"),
    path("desk/tickets/<str:reference>/move/", tickets.ticket_move, name="ticket_move"),
    path("desk/tickets/<str:reference>/assign/", tickets.ticket_assign, name="ticket_assign"),
    path("desk/tickets/<str:reference>/edit/", tickets.ticket_edit, name="ticket_edit"),
    path("portal/", portal.portal_home, name="portal_home"),
    path("portal/new/", portal.portal_new, name="portal_new"),
]
