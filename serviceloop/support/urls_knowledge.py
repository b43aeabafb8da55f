"""Screens of the knowledge part."""

urlpatterns: list = []
