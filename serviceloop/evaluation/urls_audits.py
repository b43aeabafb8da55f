"""Screens of evaluation: internal audit (9.2)."""

from django.urls import path

from serviceloop.evaluation import views_audits as audits
from serviceloop.evaluation import views_findings_audits as findings

urlpatterns: list = [
    path("audits/programmes/", audits.audit_programme_list, name="audit_programme_list"),
    path("audits/programmes/new/", audits.audit_programme_new, name="audit_programme_new"),
    path(
        "audits/programmes/<str:reference>/",
        audits.audit_programme_detail,
        name="audit_programme_detail",
    ),
    path(
        "audits/programmes/<str:reference>/edit/",
        audits.audit_programme_edit,
        name="audit_programme_edit",
    ),
    path(
        "audits/programmes/<str:reference>/move/",
        audits.audit_programme_move,
        name="audit_programme_move",
    ),
    path(
        "audits/programmes/<str:reference>/lines/new/",
        audits.audit_line_new,
        name="audit_line_new",
    ),
    path(
        "audits/programmes/<str:reference>/audits/new/", audits.audit_new, name="internal_audit_new"
    ),
    path("audits/lines/<int:pk>/edit/", audits.audit_line_edit, name="audit_line_edit"),
    path("audits/lines/<int:pk>/remove/", audits.audit_line_remove, name="audit_line_remove"),
    path("audits/auditors/", audits.audit_auditor_list, name="audit_auditor_list"),
    path("audits/auditors/<int:pk>/", audits.audit_auditor_detail, name="audit_auditor_detail"),
    path("audits/settings/", audits.audit_settings, name="audit_settings"),
    path("audits/findings/", findings.audit_finding_list, name="audit_finding_list"),
    path(
        "audits/findings/<str:reference>/",
        findings.audit_finding_detail,
        name="audit_finding_detail",
    ),
    path(
        "audits/findings/<str:reference>/edit/",
        findings.audit_finding_edit,
        name="audit_finding_edit",
    ),
    path(
        "audits/findings/<str:reference>/move/",
        findings.audit_finding_move,
        name="audit_finding_move",
    ),
    path(
        "audits/findings/<str:reference>/attach/",
        findings.audit_finding_attach,
        name="audit_finding_attach",
    ),
    path("audits/", audits.audit_list, name="internal_audit_list"),
    path("audits/<str:reference>/", audits.audit_detail, name="internal_audit_detail"),
    path("audits/<str:reference>/edit/", audits.audit_edit, name="internal_audit_edit"),
    path("audits/<str:reference>/move/", audits.audit_move, name="internal_audit_move"),
    path(
        "audits/<str:reference>/checklist/new/",
        audits.audit_question_add,
        name="audit_question_add",
    ),
    path(
        "audits/<str:reference>/checklist/<int:pk>/",
        audits.audit_checklist_answer,
        name="audit_checklist_answer",
    ),
    path("audits/<str:reference>/report.pdf", audits.audit_report_pdf, name="audit_report_pdf"),
    path(
        "audits/<str:reference>/findings/new/",
        findings.audit_finding_new,
        name="audit_finding_new",
    ),
]
