"""Screens of conformity."""

urlpatterns: list = []
