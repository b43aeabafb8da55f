"""Screens of evaluation: internal audit (9.2)."""

urlpatterns: list = []
