"""Screens of improvement: one url module per part."""

from django.urls import include, path

urlpatterns = [
    path("", include("serviceloop.improvement.urls_nonconformities")),
    path("", include("serviceloop.improvement.urls_improvements")),
    path("", include("serviceloop.improvement.urls_signals")),
]
