"""Screens of the documents part (documented information, clause 7.5)."""

from django.urls import path

from serviceloop.support import views_documents as views

urlpatterns = [
    path("documents/", views.document_list, name="document_list"),
    path("documents/new/", views.document_new, name="document_new"),
    path("documents/reading/", views.document_reading, name="document_reading"),
    path("documents/campaigns/", views.document_campaign_list, name="document_campaign_list"),
    path(
        "documents/campaigns/<str:reference>/",
        views.document_campaign_detail,
        name="document_campaign_detail",
    ),
    path(
        "documents/campaigns/<str:reference>/edit/",
        views.document_campaign_edit,
        name="document_campaign_edit",
    ),
    path(
        "documents/campaigns/<str:reference>/close/",
        views.document_campaign_close,
        name="document_campaign_close",
    ),
    path("documents/<str:reference>/", views.document_detail, name="document_detail"),
    path("documents/<str:reference>/edit/", views.document_edit, name="document_edit"),
    path("documents/<str:reference>/reviewed/", views.document_reviewed, name="document_reviewed"),
    path(
        "documents/<str:reference>/acknowledge/",
        views.document_acknowledge,
        name="document_acknowledge",
    ),
    path(
        "documents/<str:reference>/campaigns/new/",
        views.document_campaign_new,
        name="document_campaign_new",
    ),
    path(
        "documents/<str:reference>/versions/new/",
        views.document_version_new,
        name="document_version_new",
    ),
    path(
        "documents/<str:reference>/versions/<int:number>/",
        views.document_version,
        name="document_version",
    ),
    path(
        "documents/<str:reference>/versions/<int:number>/edit/",
        views.document_version_edit,
        name="document_version_edit",
    ),
    path(
        "documents/<str:reference>/versions/<int:number>/move/",
        views.document_version_move,
        name="document_version_move",
    ),
    path(
        "documents/<str:reference>/versions/<int:number>/review/",
        views.document_version_review,
        name="document_version_review",
    ),
    path(
        "documents/<str:reference>/versions/<int:number>/pdf/",
        views.document_version_pdf,
        name="document_version_pdf",
    ),
]
