"""Screens of the services part."""

urlpatterns: list = []
