"""Screens of relationship: one url module per part."""

from django.urls import include, path

urlpatterns = [
    path("", include("serviceloop.relationship.urls_customers")),
    path("", include("serviceloop.relationship.urls_suppliers")),
    path("", include("serviceloop.relationship.urls_complaints")),
]
