"""Screens of portfolio: one url module per part."""

from django.urls import include, path

urlpatterns = [
    path("", include("serviceloop.portfolio.urls_services")),
    path("", include("serviceloop.portfolio.urls_cmdb")),
]
