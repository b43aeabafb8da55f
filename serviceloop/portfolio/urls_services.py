"""Screens of the services part: the staff catalogue and the customers' one."""

from django.urls import path

from serviceloop.portfolio import views_catalogue as views

urlpatterns = [
    path("services/", views.service_list, name="service_list"),
    path("services/new/", views.service_new, name="service_new"),
    path("services/<int:pk>/", views.service_detail, name="service_detail"),
    path("services/<int:pk>/edit/", views.service_edit, name="service_edit"),
    path("services/<int:pk>/move/", views.service_move, name="service_move"),
    path(
        "services/<int:pk>/checklist/add/",
        views.checklist_add,
        name="service_checklist_add",
    ),
    path(
        "services/<int:pk>/checklist/<int:item_pk>/",
        views.checklist_toggle,
        name="service_checklist_toggle",
    ),
    path(
        "services/<int:pk>/dependencies/",
        views.dependency_add,
        name="service_dependency_add",
    ),
    path(
        "services/<int:pk>/dependencies/<int:dependency_pk>/remove/",
        views.dependency_remove,
        name="service_dependency_remove",
    ),
    path("services/<int:pk>/components/", views.component_add, name="service_component_add"),
    path(
        "services/<int:pk>/components/<int:component_pk>/remove/",
        views.component_remove,
        name="service_component_remove",
    ),
    path("portal/services/", views.portal_service_list, name="portal_service_list"),
    path("portal/services/<int:pk>/", views.portal_service_detail, name="portal_service_detail"),
]
