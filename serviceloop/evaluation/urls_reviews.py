"""Screens of evaluation: management review (9.3)."""

urlpatterns: list = []
