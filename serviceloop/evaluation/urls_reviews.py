"""Screens of evaluation: management review (9.3)."""

from django.urls import path

from serviceloop.evaluation import views_meeting_reviews as meeting
from serviceloop.evaluation import views_reviews as views

P = "management-reviews/<str:reference>/"

urlpatterns: list = [
    path("management-reviews/", views.review_list, name="management_review_list"),
    path("management-reviews/new/", views.review_new, name="management_review_new"),
    path("management-reviews/actions/", meeting.action_list, name="management_review_actions"),
    path(P, views.review_detail, name="management_review_detail"),
    path(P + "edit/", views.review_edit, name="management_review_edit"),
    path(P + "generate/", views.review_generate, name="management_review_generate"),
    path(P + "move/", views.review_move, name="management_review_move"),
    path(P + "minutes/", views.review_minutes, name="management_review_minutes"),
    path(P + "pdf/", views.review_pdf, name="management_review_pdf"),
    path(P + "inputs/<slug:code>/text/", meeting.input_text, name="management_review_input_text"),
    path(
        P + "inputs/<slug:code>/decisions/",
        meeting.decision_new,
        name="management_review_decision_new",
    ),
    path(
        P + "inputs/<slug:code>/actions/", meeting.action_new, name="management_review_action_new"
    ),
    path(
        P + "decisions/<int:number>/edit/",
        meeting.decision_edit,
        name="management_review_decision_edit",
    ),
    path(
        P + "actions/<int:number>/move/",
        meeting.action_move,
        name="management_review_action_move",
    ),
    path(
        P + "actions/<int:number>/edit/",
        meeting.action_edit,
        name="management_review_action_edit",
    ),
    path(
        P + "actions/<int:number>/improvement/",
        meeting.action_improvement,
        name="management_review_action_improvement",
    ),
]
