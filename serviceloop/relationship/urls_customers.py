"""Screens of the customers part."""

urlpatterns: list = []
