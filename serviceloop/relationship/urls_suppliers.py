"""Screens of the suppliers part (staff only)."""

from django.urls import path

from serviceloop.relationship import views_suppliers as views
from serviceloop.relationship import views_suppliers_records as records

urlpatterns = [
    path("suppliers/", views.supplier_list, name="supplier_list"),
    path("suppliers/new/", views.supplier_new, name="supplier_new"),
    path("suppliers/<int:pk>/", views.supplier_detail, name="supplier_detail"),
    path("suppliers/<int:pk>/edit/", views.supplier_edit, name="supplier_edit"),
    path("suppliers/<int:pk>/contacts/", views.supplier_contact_add, name="supplier_contact_add"),
    path(
        "suppliers/<int:pk>/contacts/<int:contact>/edit/",
        views.supplier_contact_edit,
        name="supplier_contact_edit",
    ),
    path(
        "suppliers/<int:pk>/contacts/<int:contact>/remove/",
        views.supplier_contact_remove,
        name="supplier_contact_remove",
    ),
    path("suppliers/<int:pk>/tickets/", views.supplier_ticket_link, name="supplier_ticket_link"),
    path("suppliers/tickets/", views.supplier_ticket_list, name="supplier_ticket_list"),
    path(
        "suppliers/tickets/<int:link>/unlink/",
        views.supplier_ticket_unlink,
        name="supplier_ticket_unlink",
    ),
    # contracts and their obligations
    path("suppliers/contracts/", views.contract_list, name="contract_list"),
    path("suppliers/contracts/new/", views.contract_new, name="contract_new"),
    path("suppliers/contracts/<str:reference>/", views.contract_detail, name="contract_detail"),
    path("suppliers/contracts/<str:reference>/edit/", views.contract_edit, name="contract_edit"),
    path("suppliers/contracts/<str:reference>/move/", views.contract_move, name="contract_move"),
    path(
        "suppliers/contracts/<str:reference>/obligations/",
        views.obligation_add,
        name="contract_obligation_add",
    ),
    path(
        "suppliers/obligations/<int:pk>/edit/",
        views.obligation_edit,
        name="contract_obligation_edit",
    ),
    # performance reviews
    path("suppliers/reviews/", records.review_list, name="supplier_review_list"),
    path("suppliers/reviews/new/", records.review_new, name="supplier_review_new"),
    path(
        "suppliers/reviews/<str:reference>/",
        records.review_detail,
        name="supplier_review_detail",
    ),
    path(
        "suppliers/reviews/<str:reference>/recompute/",
        records.review_recompute,
        name="supplier_review_recompute",
    ),
    path(
        "suppliers/reviews/<str:reference>/scores/<int:score>/",
        records.review_score,
        name="supplier_review_score",
    ),
    path(
        "suppliers/reviews/<str:reference>/complete/",
        records.review_complete,
        name="supplier_review_complete",
    ),
    # disputes
    path("suppliers/disputes/", records.dispute_list, name="supplier_dispute_list"),
    path("suppliers/disputes/new/", records.dispute_new, name="supplier_dispute_new"),
    path(
        "suppliers/disputes/<str:reference>/",
        records.dispute_detail,
        name="supplier_dispute_detail",
    ),
    path(
        "suppliers/disputes/<str:reference>/edit/",
        records.dispute_edit,
        name="supplier_dispute_edit",
    ),
    path(
        "suppliers/disputes/<str:reference>/move/",
        records.dispute_move,
        name="supplier_dispute_move",
    ),
]
