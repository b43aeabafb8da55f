"""Screens of evaluation: role-based dashboards."""

urlpatterns: list = []
