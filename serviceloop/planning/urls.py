"""Screens of planning."""

urlpatterns: list = []
