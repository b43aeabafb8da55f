"""Screens of evaluation."""

urlpatterns: list = []
