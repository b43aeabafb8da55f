"""Screens of evaluation: service reports (9.4)."""

urlpatterns: list = []
