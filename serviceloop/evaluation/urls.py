"""Screens of evaluation: one url module per part."""

from django.urls import include, path

urlpatterns = [
    path("", include("serviceloop.evaluation.urls_kpis")),
    path("", include("serviceloop.evaluation.urls_audits")),
    path("", include("serviceloop.evaluation.urls_reviews")),
    path("", include("serviceloop.evaluation.urls_reports")),
    path("", include("serviceloop.evaluation.urls_dashboards")),
]
