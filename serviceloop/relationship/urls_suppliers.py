"""Screens of the suppliers part."""

urlpatterns: list = []
