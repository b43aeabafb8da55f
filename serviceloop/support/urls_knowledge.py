"""Screens of the knowledge part."""

from django.urls import path

from serviceloop.support import views_knowledge as views
from serviceloop.support import views_knowledge_desk as desk_views
from serviceloop.support import views_knowledge_portal as portal_views

urlpatterns = [
    path("knowledge/", views.knowledge_list, name="knowledge_list"),
    path("knowledge/new/", views.knowledge_new, name="knowledge_new"),
    path("knowledge/suggest/", desk_views.knowledge_suggest, name="knowledge_suggest"),
    path("knowledge/categories/", views.knowledge_categories, name="knowledge_categories"),
    path("knowledge/categories/new/", views.knowledge_category_new, name="knowledge_category_new"),
    path(
        "knowledge/categories/<int:pk>/",
        views.knowledge_category_edit,
        name="knowledge_category_edit",
    ),
    path(
        "knowledge/links/<str:kind>/<int:pk>/used/",
        desk_views.knowledge_link_used,
        name="knowledge_link_used",
    ),
    path(
        "knowledge/links/<str:kind>/<int:pk>/remove/",
        desk_views.knowledge_link_remove,
        name="knowledge_link_remove",
    ),
    path(
        "knowledge/tickets/<str:reference>/search/",
        desk_views.knowledge_ticket_search,
        name="knowledge_ticket_search",
    ),
    path(
        "knowledge/tickets/<str:reference>/link/",
        desk_views.knowledge_ticket_link,
        name="knowledge_ticket_link",
    ),
    path("knowledge/<str:reference>/", views.knowledge_detail, name="knowledge_detail"),
    path("knowledge/<str:reference>/edit/", views.knowledge_edit, name="knowledge_edit"),
    path("knowledge/<str:reference>/move/", views.knowledge_move, name="knowledge_move"),
    path(
        "knowledge/<str:reference>/reviewed/", views.knowledge_reviewed, name="knowledge_reviewed"
    ),
    path(
        "knowledge/<str:reference>/feedback/", views.knowledge_feedback, name="knowledge_feedback"
    ),
    path("knowledge/<str:reference>/link/", desk_views.knowledge_link, name="knowledge_link"),
    path(
        "knowledge/<str:reference>/versions/<int:number>/",
        views.knowledge_version,
        name="knowledge_version",
    ),
    path("portal/knowledge/", portal_views.portal_knowledge, name="portal_knowledge"),
    path(
        "portal/knowledge/<str:reference>/",
        portal_views.portal_knowledge_detail,
        name="portal_knowledge_detail",
    ),
]
