"""Screens of competence, training and communication (clauses 7.2–7.4)."""

from django.urls import path

from serviceloop.support import views_communication as communication
from serviceloop.support import views_competence as views

urlpatterns = [
    path("competence/", views.competence_matrix, name="competence_matrix"),
    path("competence/list/", views.competence_list, name="competence_list"),
    path("competence/new/", views.competence_new, name="competence_new"),
    path("competence/<int:pk>/edit/", views.competence_edit, name="competence_edit"),
    path("competence/requirements/", views.competence_requirements, name="competence_requirements"),
    path(
        "competence/requirements/new/",
        views.competence_requirement_new,
        name="competence_requirement_new",
    ),
    path(
        "competence/requirements/<int:pk>/remove/",
        views.competence_requirement_remove,
        name="competence_requirement_remove",
    ),
    path("competence/settings/", views.competence_settings, name="competence_settings"),
    path("competence/people/<int:pk>/", views.competence_person, name="competence_person"),
    path(
        "competence/people/<int:pk>/record/",
        views.competence_person_set,
        name="competence_person_set",
    ),
    path("training/", views.training_list, name="training_list"),
    path("training/new/", views.training_session_new, name="training_session_new"),
    path("training/courses/", views.training_courses, name="training_courses"),
    path("training/courses/new/", views.training_course_new, name="training_course_new"),
    path(
        "training/courses/<int:pk>/edit/", views.training_course_edit, name="training_course_edit"
    ),
    path("training/<str:reference>/", views.training_session, name="training_session"),
    path(
        "training/<str:reference>/edit/", views.training_session_edit, name="training_session_edit"
    ),
    path(
        "training/<str:reference>/move/", views.training_session_move, name="training_session_move"
    ),
    path(
        "training/<str:reference>/attendance/",
        views.training_attendance,
        name="training_attendance",
    ),
    path("communication/", communication.communication_list, name="communication_list"),
    path("communication/new/", communication.communication_new, name="communication_new"),
    path(
        "communication/records/", communication.communication_records, name="communication_records"
    ),
    path(
        "communication/<str:reference>/",
        communication.communication_detail,
        name="communication_detail",
    ),
    path(
        "communication/<str:reference>/edit/",
        communication.communication_edit,
        name="communication_edit",
    ),
    path(
        "communication/<str:reference>/record/",
        communication.communication_record,
        name="communication_record",
    ),
]
