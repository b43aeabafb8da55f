"""Screens of transition."""

urlpatterns: list = []
