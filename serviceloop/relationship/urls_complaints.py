"""Screens of the complaints part (staff and the customer portal alike)."""

from django.urls import path

from serviceloop.relationship import views_complaints as views

urlpatterns = [
    path("complaints/", views.complaint_list, name="complaint_list"),
    path("complaints/new/", views.complaint_new, name="complaint_new"),
    path("complaints/targets/", views.complaint_targets, name="complaint_targets"),
    path("complaints/<str:reference>/", views.complaint_detail, name="complaint_detail"),
    path("complaints/<str:reference>/edit/", views.complaint_edit, name="complaint_edit"),
    path("complaints/<str:reference>/move/", views.complaint_move, name="complaint_move"),
    path(
        "complaints/<str:reference>/acceptance/",
        views.complaint_acceptance,
        name="complaint_acceptance",
    ),
    path("complaints/<str:reference>/notes/", views.complaint_note, name="complaint_note"),
]
