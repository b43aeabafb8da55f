"""Screens of assurance."""

urlpatterns: list = []
