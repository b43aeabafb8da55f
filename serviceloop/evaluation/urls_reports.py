"""Screens of evaluation: service reports (9.4)."""

from django.urls import path

from serviceloop.evaluation import views_reports as views

urlpatterns = [
    path("service-reports/", views.report_list, name="service_report_list"),
    path("service-reports/templates/", views.template_list, name="report_template_list"),
    path("service-reports/templates/new/", views.template_new, name="report_template_new"),
    path(
        "service-reports/templates/<int:pk>/",
        views.template_detail,
        name="report_template_detail",
    ),
    path(
        "service-reports/templates/<int:pk>/edit/",
        views.template_edit,
        name="report_template_edit",
    ),
    path(
        "service-reports/templates/<int:pk>/generate/",
        views.template_generate,
        name="report_template_generate",
    ),
    path("service-reports/<str:reference>/", views.report_detail, name="service_report_detail"),
    path("service-reports/<str:reference>/send/", views.report_send, name="service_report_send"),
    path(
        "service-reports/<str:reference>/pdf/",
        views.report_download,
        {"kind": "pdf"},
        name="service_report_pdf",
    ),
    path(
        "service-reports/<str:reference>/xlsx/",
        views.report_download,
        {"kind": "xlsx"},
        name="service_report_xlsx",
    ),
]
