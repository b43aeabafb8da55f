"""Screens of the complaints part."""

urlpatterns: list = []
