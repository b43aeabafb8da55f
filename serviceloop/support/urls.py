"""Screens of support: one url module per part."""

from django.urls import include, path

urlpatterns = [
    path("", include("serviceloop.support.urls_knowledge")),
    path("", include("serviceloop.support.urls_documents")),
    path("", include("serviceloop.support.urls_competence")),
]
