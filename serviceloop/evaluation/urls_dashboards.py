"""Screens of evaluation: role-based dashboards."""

from django.urls import path

from serviceloop.evaluation import views_dashboards as views

urlpatterns: list = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/customise/", views.dashboard_customise, name="dashboard_customise"),
    path("dashboard/widgets/add/", views.dashboard_widget_add, name="dashboard_widget_add"),
    path(
        "dashboard/widgets/<str:code>/remove/",
        views.dashboard_widget_remove,
        name="dashboard_widget_remove",
    ),
    path(
        "dashboard/widgets/<str:code>/move/",
        views.dashboard_widget_move,
        name="dashboard_widget_move",
    ),
    path(
        "dashboard/widgets/<str:code>/settings/",
        views.dashboard_widget_configure,
        name="dashboard_widget_configure",
    ),
    path("dashboard/reset/", views.dashboard_reset, name="dashboard_reset"),
]
