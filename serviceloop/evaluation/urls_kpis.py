"""Screens of evaluation: KPIs."""

from django.urls import path

from serviceloop.evaluation import views_kpis as views

urlpatterns: list = [
    path("kpis/", views.kpi_list, name="kpi_list"),
    path("kpis/new/", views.kpi_create, name="kpi_create"),
    path("kpis/<slug:code>/", views.kpi_detail, name="kpi_detail"),
    path("kpis/<slug:code>/records/", views.kpi_records, name="kpi_records"),
    path("kpis/<slug:code>/edit/", views.kpi_edit, name="kpi_edit"),
]
