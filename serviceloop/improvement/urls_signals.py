"""Screens of improvement: proposals raised from operational signals."""

from django.urls import path

from serviceloop.improvement import views_signals as views

urlpatterns: list = [
    path("improvement/proposals/", views.proposal_list, name="proposal_list"),
    path("improvement/proposals/run/", views.signal_run, name="signal_run"),
    path("improvement/signals/", views.signal_rules, name="signal_rules"),
    path("improvement/signals/<slug:kind>/", views.signal_rule_update, name="signal_rule_update"),
    path("improvement/proposals/<str:reference>/", views.proposal_detail, name="proposal_detail"),
    path(
        "improvement/proposals/<str:reference>/decide/",
        views.proposal_decide,
        name="proposal_decide",
    ),
]
