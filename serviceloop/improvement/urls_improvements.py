"""Screens of improvement: the continual improvement register (10.2)."""

urlpatterns: list = []
