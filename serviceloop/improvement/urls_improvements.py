"""Screens of improvement: the continual improvement register (10.2)."""

from django.urls import path

from serviceloop.improvement import views_improvements as views

urlpatterns: list = [
    path("improvement/register/", views.improvement_list, name="improvement_list"),
    path("improvement/register/new/", views.improvement_new, name="improvement_new"),
    path(
        "improvement/register/<str:reference>/",
        views.improvement_detail,
        name="improvement_detail",
    ),
    path(
        "improvement/register/<str:reference>/edit/",
        views.improvement_edit,
        name="improvement_edit",
    ),
    path(
        "improvement/register/<str:reference>/move/",
        views.improvement_move,
        name="improvement_move",
    ),
    path(
        "improvement/register/<str:reference>/measure/",
        views.improvement_measure,
        name="improvement_measure",
    ),
]
